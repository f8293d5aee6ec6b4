"""What a special-education referral carries, read from the data (no writes).

Loudon (seed 002): "Teachers are required to complete a RTI intervention documentation log.
The teacher must document the date and amount of time spent in intervention. The amount of
time must match the recommended intervention time ... The log is a requirement for all RTI
referrals to special education and is reviewed by the school psychologist" ("to determine that
the intervention was completed as written"). IDEA 34 CFR 300.311(a)(7) (RULES.md 4.3): the
documentation holds "the instructional strategies used and the student-centered data collected".

So the evidence is, per plan of the student (the plan history): sessions and minutes delivered
against planned (the engine's fidelity finding, RULES.md 3.2), each logged session with its date
and minutes, and the progress data (probes). Missing evidence blocks the referral.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass, field

from django.utils.translation import gettext as _

from interventions.models import Attendance, Plan, PlanPhase, Probe, TierPlacement
from interventions.selectors import evaluate_plans
from mtss.models import District
from mtss.selectors import policy_document
from screening.risk import SUBGROUP_FIELDS
from students.models import Student

# Why each piece of evidence is required (shown beside what is missing).
LOG_RULE = (
    "The log is a requirement for all RTI referrals to special education and is reviewed by the school psychologist."
)


@dataclass
class PlanEvidence:
    plan: Plan
    phases: list
    sessions_planned: int | None
    sessions_delivered: int
    minutes_planned: float | None
    minutes_delivered: float
    fidelity_status: str
    fidelity_text: str
    log: list  # (date, minutes, status label)
    probes: list  # (date, score, baseline)

    @property
    def first_session(self) -> dt.date | None:
        return self.log[0][0] if self.log else None

    @property
    def last_session(self) -> dt.date | None:
        return self.log[-1][0] if self.log else None

    @property
    def progress_points(self) -> int:
        return sum(1 for _d, _s, baseline in self.probes if not baseline)


@dataclass
class ExceptionCheck:
    key: str
    description: str
    applies: bool
    why: str
    handled_by: str = ""


@dataclass
class Evidence:
    student: Student
    area: str
    as_of: dt.date
    plans: list[PlanEvidence] = field(default_factory=list)
    placements: list = field(default_factory=list)
    missing: list[str] = field(default_factory=list)
    exceptions: list[ExceptionCheck] = field(default_factory=list)
    reviewer_role: str = "psychologist"
    policy_label: str = ""

    @property
    def complete(self) -> bool:
        return not self.missing

    @property
    def applying_exceptions(self) -> list[ExceptionCheck]:
        return [e for e in self.exceptions if e.applies]

    def snapshot(self) -> dict:
        """The evidence as JSON, kept on the referral when it is signed off (what the reviewer saw)."""
        return {
            "as_of": self.as_of.isoformat(),
            "plans": [
                {
                    "plan_id": p.plan.pk,
                    "intervention": p.plan.intervention.name,
                    "area": p.plan.area,
                    "tier": p.plan.tier,
                    "start": p.plan.start_date.isoformat(),
                    "expected_end": p.plan.expected_end_date.isoformat(),
                    "status": p.plan.get_status_display(),
                    "sessions_planned": p.sessions_planned,
                    "sessions_delivered": p.sessions_delivered,
                    "minutes_planned": p.minutes_planned,
                    "minutes_delivered": p.minutes_delivered,
                    "fidelity": p.fidelity_text,
                    "log": [[d.isoformat(), m, s] for d, m, s in p.log],
                    "progress_points": p.progress_points,
                }
                for p in self.plans
            ],
            "missing": list(self.missing),
        }


def _exception_checks(policy, student: Student, *, tier: int | None, failed: dict[int, int], as_of: dt.date):
    """Every exception of the policy (special_education_referral.exceptions), applying or not, and why.

    Loudon (seed 002) names three: students in special education in other areas or with a Section 504
    plan (an IEP or 504 team decides), English learners after a year of services with little progress
    (from Tier II), and "two interventions ... attempted in TIER II with regression or no improvement"
    (four weeks in Tier III instead of 45 sessions). The policy's subgroup keys are mapped to the
    student's flags (screening.risk.SUBGROUP_FIELDS: ``students_with_disabilities`` is ``disability_iep``).
    """
    checks = []
    years = (as_of - student.entry_date).days / 365.25 if student.entry_date else None
    for exception in policy.special_education_referral.exceptions:
        reasons, applies = [], True
        if exception.subgroups:
            flags = [key for key in exception.subgroups if getattr(student, SUBGROUP_FIELDS.get(key, key), False)]
            applies &= bool(flags)
            reasons.append(
                _("in the subgroup")
                if flags
                else _("not in the subgroups %(s)s") % {"s": ", ".join(exception.subgroups)}
            )
        if exception.failed_interventions is not None:
            in_tier = exception.failed_interventions_in_tier
            count = failed.get(in_tier, 0) if in_tier is not None else sum(failed.values())
            applies &= count >= exception.failed_interventions
            reasons.append(
                _("%(n)s of %(need)s interventions ended without progress")
                % {"n": count, "need": exception.failed_interventions}
            )
        if exception.min_years_of_services is not None:
            enough = years is not None and years >= exception.min_years_of_services
            applies &= enough
            reasons.append(
                _("%(y)s years enrolled (needs %(need)s)")
                % {"y": f"{years:.1f}" if years is not None else "?", "need": f"{exception.min_years_of_services:g}"}
            )
        if exception.refer_from_tier is not None:
            ok = tier is not None and tier >= exception.refer_from_tier
            applies &= ok
            reasons.append(_("in Tier %(t)s") % {"t": tier} if tier else _("in no tier"))
        checks.append(
            ExceptionCheck(
                key=exception.key,
                description=exception.description,
                applies=applies,
                why="; ".join(str(r) for r in reasons),
                handled_by=exception.handled_by or "",
            )
        )
    return checks


def referral_evidence(*, district: District, student: Student, area: str = "", as_of: dt.date) -> Evidence:
    """The plan history, the session log and the progress data of the student (in `area`, when
    given), what is missing, and the policy's referral exceptions. A fixed number of queries."""
    version, policy = policy_document(district=district, as_of=as_of)
    plans_qs = Plan.objects.filter(district=district, student=student).select_related(
        "student", "placement", "intervention", "provider", "group"
    )
    if area:
        plans_qs = plans_qs.filter(area=area)
    plans = list(plans_qs.order_by("start_date", "id"))
    evidence = Evidence(student=student, area=area, as_of=as_of)
    if policy is not None:
        evidence.reviewer_role = policy.special_education_referral.reviewed_by_role
        evidence.policy_label = version.label
    # Ended plans are judged up to their expected end, so planned sessions stop counting there.
    results = {}
    by_day = defaultdict(list)
    for plan in plans:
        day = as_of if plan.status == Plan.Status.ACTIVE else min(as_of, plan.expected_end_date)
        by_day[day].append(plan)
    for day, group in by_day.items():
        results.update(evaluate_plans(district=district, plans=group, as_of=day))
    log = defaultdict(list)
    for row in (
        Attendance.objects.filter(district=district, plan__in=plans)
        .select_related("session")
        .order_by("session__date", "id")
    ):
        log[row.plan_id].append((row.session.date, row.session.minutes, row.get_status_display()))
    probes = defaultdict(list)
    for plan_id, day, score, baseline in (
        Probe.objects.filter(district=district, plan__in=plans, measure__isnull=True)
        .order_by("date", "id")
        .values_list("plan_id", "date", "score", "is_baseline")
    ):
        probes[plan_id].append((day, score, baseline))
    phases = defaultdict(list)
    for phase in PlanPhase.objects.filter(district=district, plan__in=plans).select_related("intervention"):
        phases[phase.plan_id].append(phase)
    for plan in plans:
        finding = results[plan.pk].finding("fidelity")
        values = finding.values if finding is not None else {}
        evidence.plans.append(
            PlanEvidence(
                plan=plan,
                phases=phases[plan.pk],
                sessions_planned=values.get("sessions_scheduled"),
                sessions_delivered=values.get("sessions_delivered", 0),
                minutes_planned=values.get("minutes_scheduled"),
                minutes_delivered=values.get("minutes_delivered", 0.0),
                fidelity_status=finding.status if finding is not None else "",
                fidelity_text=finding.explanation if finding is not None else "",
                log=log[plan.pk],
                probes=probes[plan.pk],
            )
        )
    placements = TierPlacement.objects.filter(district=district, student=student)
    if area:
        placements = placements.filter(area=area)
    evidence.placements = list(placements.order_by("area", "start_date"))
    # What is missing. The log is required by the policy (fidelity.log_required_for_referral,
    # special_education_referral.requires_fidelity_log); plans and progress data always
    # (IDEA 300.311(a)(7): "the instructional strategies used and the student-centered data collected").
    log_required = policy is None or (
        policy.special_education_referral.requires_fidelity_log or policy.fidelity.log_required_for_referral
    )
    if not plans:
        evidence.missing.append(_("No intervention plan: the referral needs the plan history."))
    if log_required and not any(p.log for p in evidence.plans):
        evidence.missing.append(
            _("No session log: no session is logged for any plan (district policy: “%(rule)s”).") % {"rule": LOG_RULE}
        )
    if plans and not any(p.progress_points for p in evidence.plans):
        evidence.missing.append(_("No progress data: no progress-monitoring score after the baseline."))
    if policy is not None:
        open_tiers = [p.tier for p in evidence.placements if p.end_date is None]
        active = [p.plan.tier for p in evidence.plans if p.plan.status == Plan.Status.ACTIVE]
        tier = max(open_tiers or active, default=None)
        failed: dict[int, int] = defaultdict(int)
        for p in plans:
            if p.status == Plan.Status.DISCONTINUED:
                failed[p.tier] += 1
        evidence.exceptions = _exception_checks(policy, student, tier=tier, failed=failed, as_of=as_of)
    return evidence
