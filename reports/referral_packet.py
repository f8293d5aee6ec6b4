"""A student's special-education referral packet, as a PDF (/interventions/students/<id>/referral-packet.pdf).

The packet holds what IDEA (34 CFR 300.311(a)(7)) expects when RtI data support an
SLD determination: the instructional strategies used and the student-centred data
collected (every plan, its dosage and session log, the graphs), and the record that
the parents were told (the notices sent). It composes interventions, screening and
notifications, so it lives in reports, the layer above them; the URL is unchanged.
"""

from __future__ import annotations

from collections import defaultdict

from django.http import HttpResponse
from django.utils import timezone

from interventions.models import Attendance, Decision, Plan, TierPlacement
from interventions.progress import chart_svg
from interventions.referrals.selectors import student_referrals
from interventions.selectors import evaluate_plans
from mtss import access_log
from mtss.decorators import district_member
from mtss.models import District, Role
from mtss.pdf import render_pdf_cached
from mtss.permissions import require
from mtss.throttles import pdf_render_limit
from notifications.selectors import notices_for_student
from reports.compliance import student_referral_readiness
from screening.selectors import student_scores
from students.models import Student
from students.privacy.models import DisclosureChannel
from students.privacy.services import disclosures_record
from students.selectors import student_get


def referral_packet_context(*, district: District, student: Student) -> dict:
    plans = list(
        Plan.objects.filter(district=district, student=student)
        .select_related("student", "placement", "intervention", "provider")
        .order_by("start_date")
    )
    results = evaluate_plans(district=district, plans=plans)
    log = defaultdict(list)
    for row in (
        Attendance.objects.filter(district=district, plan__in=plans).select_related("session").order_by("session__date")
    ):
        log[row.plan_id].append(row)
    sections = []
    for plan in plans:
        result = results[plan.pk]
        rows = log[plan.pk]
        sections.append(
            {
                "plan": plan,
                "result": result,
                "chart": chart_svg(result, id_prefix=f"plan{plan.pk}"),
                "log": rows,
                "delivered": sum(1 for r in rows if r.status == Attendance.Status.PRESENT),
                "minutes": sum(r.session.minutes for r in rows if r.status == Attendance.Status.PRESENT),
            }
        )
    context = {
        "district": district,
        "student": student,
        "generated_at": timezone.now(),
        "sections": sections,
        "placements": list(
            TierPlacement.objects.filter(district=district, student=student)
            .select_related("meeting")
            .order_by("area", "start_date")
        ),
        "decisions": list(
            Decision.objects.filter(district=district, student=student)
            .select_related("meeting", "decided_by")
            .order_by("meeting__starts_at")
        ),
        "notices": _notices(district, student),
        # The referral records: state, the reviewer's sign-off or the override and its reason (issue 13).
        "referrals": _referrals(district, student),
        "screenings": _screenings(district, student),
        # The policy's referral conditions, met or not, and the exceptions that apply to the student.
        "referral": student_referral_readiness(district=district, student=student, today=timezone.localdate()),
    }
    return context


def _referrals(district: District, student: Student) -> list:
    referrals = student_referrals(district=district, student=student)
    for referral in referrals:
        referral.reviewer_label = Role(referral.reviewer_role).label if referral.reviewer_role in Role.values else ""
    return referrals


def _notices(district: District, student: Student) -> list:
    return list(notices_for_student(district=district, student=student))


def _screenings(district: District, student: Student) -> list:
    return student_scores(district=district, student=student)


def referral_packet_pdf(*, district: District, student: Student) -> bytes:
    return render_pdf_cached(
        "interventions/pdf/referral_packet.html",
        referral_packet_context(district=district, student=student),
        district_id=district.pk,
    )


@district_member()
@pdf_render_limit
def referral_packet(request, student_id: int):
    student = student_get(district=request.district, membership=request.membership, student_id=student_id)
    require(request, "may_print_referral_packet", student)
    access_log.record(request, action="export", what="special-education referral packet", student_ids=[student.pk])
    # The packet goes to the special-education evaluation team (IDEA 34 CFR 300.311): a disclosure.
    disclosures_record(
        district=request.district,
        student_ids=[student.pk],
        channel=DisclosureChannel.REFERRAL_PACKET,
        recipient="Special-education evaluation team",
        purpose="Special-education referral (IDEA 34 CFR 300.311)",
        what="Referral packet (PDF)",
        actor=request.user,
    )
    response = HttpResponse(
        referral_packet_pdf(district=request.district, student=student), content_type="application/pdf"
    )
    response["Content-Disposition"] = f'inline; filename="referral-packet-{student.pk}.pdf"'
    return response
