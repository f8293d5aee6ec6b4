"""The student record page (/students/<id>/): the student, guardians, enrollments and
placements (students), with plans, delivered sessions and team decisions (interventions).

It composes interventions' records, so it lives here rather than in students (which may
not import interventions); the URL is unchanged (interventions/student_urls.py, included
under students/ in mtss/urls.py).
"""

from __future__ import annotations

from django.shortcuts import render
from django.utils import timezone
from django.utils.translation import get_language

from interventions.progress import chart_svg
from interventions.selectors import evaluate_plans, student_timeline
from mtss import access_log
from mtss.decorators import district_member
from mtss.permissions import allowed
from screening.selectors import student_scores
from students.models import Student
from students.selectors import consultations_due, student_get, student_record


@district_member()
def student_detail_view(request, student_id: int):
    student = student_get(district=request.district, membership=request.membership, student_id=student_id)
    access_log.record(request, action="view", what="student record", student_ids=[student.pk])
    timeline = student_timeline(district=request.district, student=student)
    context = {
        "student": student,
        **student_record(district=request.district, student=student),
        **timeline,
        # Screening history (scores by window and measure, with the risk level the policy gave them)
        # and each plan's progress graph (issue 14, item 7).
        "scores": student_scores(district=request.district, student=student),
        "plan_charts": _plan_charts(request.district, [plan for plan, _d, _p in timeline["plans"]]),
        "can_plan": allowed(request.membership, "may_create_plan", student),
        "can_edit": allowed(request.membership, "may_edit_student", student),
        "can_add_guardian": allowed(request.membership, "may_add_guardian", student),
        # The policy's parent consultations a quarter (parent_contact.consultations_per_quarter).
        "consultation_due": next(
            iter(
                consultations_due(
                    district=request.district,
                    students=Student.objects.filter(pk=student.pk),
                    as_of=timezone.localdate(),
                    include_done=True,
                )
            ),
            None,
        ),
        "can_record_consultation": allowed(request.membership, "may_record_consultation", student),
    }
    return render(request, "students/student_detail.html", context)


def _plan_charts(district, plans) -> list[tuple]:
    """(plan, progress graph SVG) for each plan, newest first: one evaluation of all of them (a fixed
    number of queries) and the plan page's chart of the primary measure."""
    if not plans:
        return []
    results = evaluate_plans(district=district, plans=plans)
    lang = get_language() or "en"
    return [(plan, chart_svg(results[plan.pk], lang=lang, id_prefix=f"plan-{plan.pk}-chart")) for plan in plans]
