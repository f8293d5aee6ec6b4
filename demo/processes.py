"""Demo: the district processes of issue 13 that this module seeds.

- Loudon County: one special-education referral with its reviewed log (the school psychologist
  signed it off), and one blocked for want of a log, so both states can be walked.
- LAUSD: one PDSA cycle on its most used intervention, started from the effectiveness report
  (its baseline), studied, and decided ("adapt").
"""

from __future__ import annotations

import datetime as dt

from django.db.models import Count, Exists, OuterRef

from interventions.models import Attendance, PdsaCycle, Plan, Probe, Referral
from interventions.pdsa.services import pdsa_create
from interventions.referrals.services import referral_request, referral_review
from mtss.models import District, Membership
from students.models import Student


def _member(district: District, username: str) -> Membership | None:
    return (
        Membership.objects.filter(district=district, user__username=username, is_active=True)
        .select_related("user")
        .first()
    )


def _seed_loudon(district: District) -> dict:
    psych = _member(district, "psych.loudon")
    specialist = _member(district, "specialist.loudon")
    if psych is None or specialist is None or Referral.objects.filter(district=district).exists():
        return {}
    schools = set(psych.schools.values_list("pk", flat=True))
    logged = Attendance.objects.filter(plan=OuterRef("pk"), status=Attendance.Status.PRESENT)
    progress = Probe.objects.filter(plan=OuterRef("pk"), is_baseline=False, measure__isnull=True)
    candidates = Plan.objects.filter(
        district=district, status=Plan.Status.ACTIVE, student__school__in=schools, student__exit_date__isnull=True
    ).order_by("-tier", "student__last_name", "pk")
    with_log = candidates.filter(Exists(logged), Exists(progress)).select_related("student").first()
    counts = {}
    if with_log is not None:
        referral = referral_request(
            district=district,
            actor=specialist.user,
            student=with_log.student,
            area=with_log.area,
            reason="Not responding by the dual-discrepancy rule after the Tier III midpoint (S-Team).",
        )
        if referral.status == Referral.Status.REQUESTED:
            referral_review(
                district=district,
                actor=psych.user,
                membership=psych,
                referral=referral,
                notes="Log reviewed: the intervention was completed as written.",
            )
        counts["referrals"] = 1
    # A student with no plan and so no session log: the referral stays blocked (Loudon: the log
    # is required for every referral).
    no_log = (
        Student.objects.filter(district=district, school__in=schools, exit_date__isnull=True)
        .exclude(Exists(Plan.objects.filter(student=OuterRef("pk"))))
        .order_by("last_name", "pk")
        .first()
    )
    if no_log is not None:
        referral_request(
            district=district,
            actor=specialist.user,
            student=no_log,
            area="reading",
            reason="The teacher asks for an evaluation.",
        )
        counts["referrals"] = counts.get("referrals", 0) + 1
    return counts


def _seed_lausd(district: District, as_of: dt.date) -> dict:
    admin = _member(district, "admin.lausd")
    specialist = _member(district, "specialist.lausd")
    if admin is None or specialist is None:
        return {}
    if PdsaCycle.objects.filter(district=district).exists():
        return {}
    top = (
        Plan.objects.filter(district=district, status=Plan.Status.ACTIVE, student__school__in=specialist.schools.all())
        .values("intervention", "area")
        .annotate(n=Count("pk"))
        .order_by("-n", "intervention")
        .first()
    )
    if top is None:
        return {}
    plan = (
        Plan.objects.filter(
            district=district, intervention_id=top["intervention"], student__school__in=specialist.schools.all()
        )
        .select_related("intervention", "group", "student__school")
        .first()
    )
    intervention = plan.intervention
    # Imported here: the reports need pandas, and `manage.py` start-up must not (issue 16, item 7).
    from reports import selectors as report_selectors

    effect = report_selectors.effectiveness(district=district, membership=admin, area=top["area"])
    row = next((e for e in effect["interventions"] if e.key == str(intervention.pk)), None)
    baseline = {}
    if row is not None:
        baseline = {
            "intervention_id": intervention.pk,
            "intervention": intervention.name,
            "plans": row.plans,
            "judged": row.judged,
            "responding": row.responding,
            "share_responding": round(100 * row.responding / row.judged, 1) if row.judged >= 10 else None,
            "as_of": effect["as_of"].isoformat() if effect["as_of"] else None,
        }
    pdsa_create(
        district=district,
        actor=specialist.user,
        school=plan.student.school,
        interventions=[intervention],
        groups=[plan.group] if plan.group_id else [],
        baseline=baseline,
        title=f"Improve {intervention.name}: more practice minutes",
        level="classroom",
        aim=f"By the winter screening, two in three judged {intervention.name} plans respond.",
        change_idea="Add ten minutes of guided practice to each session in one group; the other groups continue.",
        measures="Share of judged plans responding (effectiveness report); weekly probes; sessions delivered.",
        prediction="The group with the extra minutes grows faster on its weekly probes.",
        start_date=as_of - dt.timedelta(weeks=8),
        study_date=as_of - dt.timedelta(weeks=2),
        what_happened="Six weeks in one group; two sessions lost to testing days.",
        what_was_learned="Growth rose in the group with the extra minutes, but attendance fell on Fridays.",
        decision="adapt",
        next_steps="Run the next cycle with the extra minutes on Monday to Thursday only.",
    )
    return {"pdsa_cycles": 1}


def seed_processes(*, district: District, slug: str, as_of: dt.date) -> dict:
    if slug == "loudon-county-tn":
        return _seed_loudon(district)
    if slug == "lausd-secondary":
        return _seed_lausd(district, as_of)
    return {}
