"""Compliance reports: the reads behind the state and district logs.

* Holland Patent's AIS/RtI building log (001_..., reporting.required_reports):
  "year, building, grade, student name, initial date, ELA, math, social studies,
  science, dismiss date".
* Ohio EMIS: each K-3 student's reading diagnostic and on-track / not-on-track
  rating, with the interventions given (003_..., "EMIS at year end: the
  interventions given to each student not on track").
* Ohio RIMP status: the Reading Improvement and Monitoring Plan is due "within 60
  days of receiving the student's diagnostic result" (RULES.md 4.5); who is past it.
* Special-education referral readiness: minimum sessions reached (Loudon: 40 in
  Tier II, 45 in Tier III), fidelity met (the engine's fidelity rule, RULES.md 3.3),
  parents notified of the services (IDEA 34 CFR 300.311(a)(7), RULES.md 4.3).
* The year-end program evaluation per benchmark window (Loudon: "fall, winter,
  spring and year-end program evaluation").

Every report reads only students the user may see, with a fixed number of queries.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass, field

from django.db.models import Count, Q
from django.utils import timezone
from django.utils.translation import gettext as _

from interventions.batch_evaluation import evaluate, response_of
from interventions.models import Decision, Plan, ReadingDetermination, Rimp, TierPlacement
from interventions.rimp.rules import STATES, days_late, rimp_due, rimp_state
from mtss.models import District, Membership, SchoolYear
from mtss.selectors import policy_document
from notifications.models import Notice
from reports.selectors import Effect, current_students
from screening.models import Score, ScreeningWindow
from screening.risk import SUBGROUP_FIELDS
from students.access import visible_students
from students.models import SUBGROUPS

# Building-log columns -> the area keys a policy may use for them (Holland Patent: ela,
# math, social-studies, science; other districts: reading for ELA).
LOG_AREAS = {
    "ela": ("ela", "reading", "english-language-arts", "literacy"),
    "math": ("math", "mathematics"),
    "social_studies": ("social-studies", "social_studies", "socialstudies"),
    "science": ("science",),
}
READING_AREAS = ("reading", "ela", "literacy", "english-language-arts")
K3 = (0, 1, 2, 3)
NOTICE_SENT = ("sent", "acknowledged")
# Letters that tell parents about intervention services (notifications.models.LetterType).
SERVICE_LETTERS = ("placement_start", "tier_change", "referral_considered")


def _name(last: str, first: str, preferred: str = "") -> str:
    return f"{last}, {preferred or first}"


# --- Holland Patent: AIS/RtI building log ----------------------------------------------------------


@dataclass
class LogRow:
    student_id: int
    school: str
    grade: int
    student: str
    initial_date: dt.date
    tiers: dict[str, int] = field(default_factory=dict)  # log column -> highest tier in the year
    dismiss_date: dt.date | None = None
    open: bool = False


def building_log(
    *, district: District, membership: Membership, year: SchoolYear, school_id: int | None = None
) -> list[LogRow]:
    """One row per student who received AIS (Tier 2 or above) during the year; one query.

    Initial date: the start of the student's first AIS placement that reaches into
    the year. Subject columns: the highest tier served in that subject. Dismiss
    date: when the last AIS placement ended, blank while services continue.
    """
    students = visible_students(district=district, membership=membership)
    if school_id:
        students = students.filter(school_id=school_id)
    column_of = {area: column for column, areas in LOG_AREAS.items() for area in areas}
    rows: dict[int, LogRow] = {}
    for student_id, area, tier, start, end, school, grade, last, first, preferred in (
        TierPlacement.objects.filter(
            district=district, student__in=students.values("pk"), tier__gte=2, start_date__lte=year.end_date
        )
        .filter(Q(end_date__isnull=True) | Q(end_date__gte=year.start_date))
        .order_by(
            "student__school__name",
            "student__grade",
            "student__last_name",
            "student__first_name",
            "student_id",
            "start_date",
        )
        .values_list(
            "student_id",
            "area",
            "tier",
            "start_date",
            "end_date",
            "student__school__name",
            "student__grade",
            "student__last_name",
            "student__first_name",
            "student__preferred_name",
        )
    ):
        row = rows.get(student_id)
        if row is None:
            row = rows[student_id] = LogRow(
                student_id=student_id,
                school=school,
                grade=grade,
                student=_name(last, first, preferred),
                initial_date=start,
            )
        row.initial_date = min(row.initial_date, start)
        column = column_of.get(area)
        if column:
            row.tiers[column] = max(row.tiers.get(column, 0), tier)
        if end is None or end > year.end_date:
            row.open = True
        else:
            row.dismiss_date = max(row.dismiss_date or end, end)
    for row in rows.values():
        if row.open:
            row.dismiss_date = None
    return list(rows.values())


# --- Ohio: EMIS on track / not on track, and the RIMP ------------------------------------------------


@dataclass
class EmisRow:
    student_id: int
    state_id: str
    local_id: str
    student: str
    grade: int
    school: str
    school_code: str
    measure: str = ""
    test_date: dt.date | None = None
    score: float | None = None
    risk: str = ""
    status: str = "not_assessed"  # on_track, not_on_track, not_assessed
    interventions: list[str] = field(default_factory=list)
    plan_start: dt.date | None = None


STATUS_LABELS = {"on_track": "On track", "not_on_track": "Not on track", "not_assessed": "Not assessed"}


def emis_on_track(*, district: District, membership: Membership, year: SchoolYear) -> list[EmisRow]:
    """K-3 students with their reading diagnostic of the year and the reading interventions given.

    The rating comes from screening's risk result (screening.models.Score.tier): Tier 2
    or above is "not on track" (the state's definition lives in the district policy's
    risk rule, screening/risk.py). The diagnostic is the year's first reading score
    (Ohio: grades 1-3 by September 30, kindergarten by November 1, RULES.md 4.5).
    Three queries.
    """
    students = current_students(district=district, membership=membership).filter(grade__in=K3)
    rows: dict[int, EmisRow] = {}
    for student_id, state_id, local_id, last, first, preferred, grade, school, code in students.order_by(
        "school__name", "grade", "last_name", "first_name", "id"
    ).values_list(
        "id",
        "state_id",
        "local_id",
        "last_name",
        "first_name",
        "preferred_name",
        "grade",
        "school__name",
        "school__code",
    ):
        rows[student_id] = EmisRow(
            student_id=student_id,
            state_id=state_id,
            local_id=local_id,
            student=_name(last, first, preferred),
            grade=grade,
            school=school,
            school_code=code,
        )
    if not rows:
        return []
    for student_id, measure, test_date, score, tier, risk in (
        Score.objects.filter(
            district=district, student_id__in=list(rows), window__school_year=year, measure__subject="reading"
        )
        .order_by("student_id", "-test_date", "-id")
        .values_list("student_id", "measure__name", "test_date", "score", "tier", "risk_label")
    ):
        row = rows[student_id]
        if row.test_date is not None and row.test_date <= test_date:
            continue  # keep the earliest diagnostic of the year
        row.measure, row.test_date, row.score, row.risk = measure, test_date, score, risk
        row.status = "not_on_track" if (tier or 1) >= 2 else "on_track"
    plans = (
        Plan.objects.filter(
            district=district, student_id__in=list(rows), area__in=READING_AREAS, start_date__lte=year.end_date
        )
        .filter(Q(status=Plan.Status.ACTIVE) | Q(expected_end_date__gte=year.start_date))
        .exclude(status=Plan.Status.DRAFT)
        .order_by("student_id", "start_date")
        .values_list("student_id", "intervention__name", "start_date")
    )
    for student_id, name, start in plans:
        row = rows[student_id]
        if name not in row.interventions:
            row.interventions.append(name)
        row.plan_start = min(row.plan_start or start, start)
    return list(rows.values())


@dataclass
class RimpRow:
    emis: EmisRow
    due_date: dt.date | None
    state: str = "due"  # interventions.rimp.rules.STATES
    rimp_id: int | None = None
    rimp_status: str = ""
    determined: bool = False  # a ReadingDetermination is recorded (else rated from the score alone)
    approved_on: dt.date | None = None
    given_on: dt.date | None = None
    days_late: int | None = None  # > 0: past the deadline (approved late, or not approved yet)


def rimp_policy(*, district: District, today: dt.date):
    _, policy = policy_document(district=district, as_of=today)
    if policy is None:
        return None
    return next((p for p in policy.required_plans if p.trigger == "not_on_track"), None)


def rimp_status(*, district: District, membership: Membership, year: SchoolYear, today: dt.date) -> dict:
    """Every K-3 student not on track, with the RIMP's deadline and its state.

    Not on track: the recorded determination of the year (interventions.rimp), or, before it is
    recorded, the year's first reading diagnostic at Tier 2 or above (the same rule). Deadline:
    the diagnostic date plus the policy's `due_within_days` (Ohio: 60; RULES.md 4.5). State
    (interventions.rimp.rules.rimp_state): due, created (a draft), approved, sent (its letter
    reached the parents: a "rimp" notice sent or acknowledged), overdue (no approved RIMP after
    the deadline). A fixed number of queries.
    """
    required = rimp_policy(district=district, today=today)
    within = required.due_within_days if required is not None and required.due_within_days else 60
    emis = {r.student_id: r for r in emis_on_track(district=district, membership=membership, year=year)}
    determinations = {
        d.student_id: d
        for d in ReadingDetermination.objects.filter(
            district=district, school_year=year, student_id__in=list(emis)
        ).order_by()
    }
    not_on_track = [
        r
        for r in emis.values()
        if (
            determinations[r.student_id].status == "not_on_track"
            if r.student_id in determinations
            else r.status == "not_on_track"
        )
    ]
    ids = [r.student_id for r in not_on_track]
    rimps = {
        r.determination_id: r
        for r in Rimp.objects.filter(district=district, determination__school_year=year, student_id__in=ids).order_by()
    }
    notices: dict[int, dt.datetime] = {}
    for student_id, sent, acknowledged in (
        Notice.objects.filter(
            district=district,
            student_id__in=ids,
            letter_type="rimp",
            status__in=NOTICE_SENT,
            created_at__date__gte=year.start_date,
        )
        .order_by("student_id", "sent_at")
        .values_list("student_id", "sent_at", "acknowledged_at")
    ):
        given = sent or acknowledged
        if given is not None:
            notices.setdefault(student_id, given)
    rows = []
    for row in not_on_track:
        determination = determinations.get(row.student_id)
        if determination is not None:
            due = determination.rimp_due or rimp_due(determination.determined_on, within)
            rimp = rimps.get(determination.pk)
        else:
            due = rimp_due(row.test_date, within) if row.test_date else None
            rimp = None
        given = notices.get(row.student_id)
        # The school's own day (TIME_ZONE), not the UTC date: an evening send is that day's.
        given_day = timezone.localdate(given) if given else None
        approved_on = timezone.localdate(rimp.approved_at) if rimp is not None and rimp.approved_at else None
        rows.append(
            RimpRow(
                emis=row,
                due_date=due,
                state=rimp_state(
                    due=due, today=today, status=rimp.status if rimp else None, letter_sent=given_day is not None
                ),
                rimp_id=rimp.pk if rimp else None,
                rimp_status=rimp.status if rimp else "",
                determined=determination is not None,
                approved_on=approved_on,
                given_on=given_day,
                days_late=days_late(due=due, done_on=approved_on or given_day, today=today),
            )
        )
    order = {"overdue": 0, "due": 1, "created": 2, "approved": 3, "sent": 4}
    rows.sort(key=lambda r: (order[r.state], r.due_date or dt.date.max, r.emis.student))
    counts = {state: sum(1 for r in rows if r.state == state) for state in STATES}
    return {
        "rows": rows,
        "counts": counts,
        "undetermined": sum(1 for r in rows if not r.determined),
        "within_days": within,
        "title": required.title if required is not None else _("Reading Improvement and Monitoring Plan"),
    }


# --- special-education referral readiness ------------------------------------------------------------


@dataclass
class Condition:
    """One condition a referral needs, from the policy's special_education_referral."""

    key: str
    label: str
    met: bool
    detail: str = ""


@dataclass
class ReadinessRow:
    plan_id: int
    student_id: int
    student: str
    grade: int
    school: str
    tier: int
    area: str
    intervention: str
    sessions: int
    min_sessions: int | None
    fidelity_status: str
    sessions_pct: float | None
    notified_on: dt.date | None
    recommendation: str
    referred_on: dt.date | None
    conditions: list[Condition] = field(default_factory=list)
    # The policy's referral exceptions that apply to this student (their descriptions).
    exceptions: list[str] = field(default_factory=list)
    handled_by: str = ""  # an exception hands the decision to another team (IEP or Section 504)

    @property
    def sessions_met(self) -> bool:
        found = self.condition("minimum_sessions")
        return found.met if found is not None else (self.min_sessions is None or self.sessions >= self.min_sessions)

    @property
    def fidelity_met(self) -> bool:
        return self.fidelity_status == "adequate"

    @property
    def notified(self) -> bool:
        return self.notified_on is not None

    @property
    def ready(self) -> bool:
        if self.handled_by:
            return False
        if self.conditions:
            return all(c.met for c in self.conditions)
        return self.sessions_met and self.fidelity_met and self.notified

    @property
    def response(self) -> str | None:
        return response_of(self.recommendation)

    def condition(self, key: str) -> Condition | None:
        return next((c for c in self.conditions if c.key == key), None)

    @property
    def unmet(self) -> list[str]:
        return [c.label for c in self.conditions if not c.met]


def _special_education_tiers(policy) -> set[int]:
    if policy is None:
        return set()
    tiers = {t.number for t in policy.tiers if t.special_education}
    referral = policy.special_education_referral
    if referral.special_education_tier is not None:
        tiers.add(referral.special_education_tier)
    return tiers


def _exceptions_for(policy, *, subgroups: set[str], tier: int, failed: dict[int, int], years: float | None):
    """The policy's referral exceptions (special_education_referral.exceptions) that apply.

    Loudon County (seed 002): students "already receiving services in special education in
    areas other than direct reading instruction or ... a Section 504 plan" (an IEP or Section
    504 team decides: ``handled_by``); "ELL students who have lived in the USA for at least one
    year" may enter at Tier II and be considered from Tier II (``entry_tier``,
    ``refer_from_tier``, ``min_years_of_services``); "two interventions ... attempted in TIER II
    with regression or no improvement": special education after "four weeks in TIER III"
    instead of 45 sessions (``failed_interventions`` in ``failed_interventions_in_tier``,
    ``weeks_in_tier``).
    """
    applying = []
    for exception in policy.special_education_referral.exceptions:
        if exception.subgroups and not set(exception.subgroups) & subgroups:
            continue
        if exception.failed_interventions is not None:
            in_tier = exception.failed_interventions_in_tier
            count = failed.get(in_tier, 0) if in_tier is not None else sum(failed.values())
            if count < exception.failed_interventions:
                continue
        if exception.min_years_of_services is not None and (years is None or years < exception.min_years_of_services):
            continue
        if exception.refer_from_tier is not None and tier < exception.refer_from_tier:
            continue
        applying.append(exception)
    return applying


def _exception_text(exception) -> str:
    """An exception's description, with the tier it lets the student start in (``entry_tier``:
    Loudon's English learners "may enter the RTI program at Tier II")."""
    if exception.entry_tier is not None:
        return exception.description + " " + _("(May start in Tier %(t)s.)") % {"t": exception.entry_tier}
    return exception.description


def _readiness_rows(*, district: District, plans, today: dt.date, policy) -> list[ReadinessRow]:
    """Readiness rows for the plans given (already limited to what the reader may see)."""
    from_tier = policy.special_education_referral.from_tier if policy is not None else 3
    minimum = {t.number: t.min_sessions_before_decision for t in policy.tiers} if policy is not None else {}
    special = _special_education_tiers(policy)
    # A student already in special education is never referred for an evaluation (issue 12, item 5).
    plans = plans.exclude(tier__in=special) if special else plans
    exception_tiers = (
        [e.refer_from_tier for e in policy.special_education_referral.exceptions if e.refer_from_tier is not None]
        if policy is not None
        else []
    )
    lowest = min([from_tier, *exception_tiers])
    plans = plans.filter(tier__gte=lowest)
    subgroup_fields = [f"student__{key}" for key in SUBGROUPS]
    meta = list(
        plans.order_by("student__school__name", "student__last_name", "student__first_name", "id").values_list(
            "id",
            "student_id",
            "student__last_name",
            "student__first_name",
            "student__preferred_name",
            "student__grade",
            "student__school__name",
            "tier",
            "area",
            "intervention__name",
            "start_date",
            "placement__start_date",
            "student__entry_date",
            *subgroup_fields,
        )
    )
    if not meta:
        return []
    results = evaluate(district=district, plans=plans, as_of=today, sessions="totals")
    student_ids = list({m[1] for m in meta})
    notified: dict[int, dt.date] = {}
    for student_id, sent, acknowledged in (
        Notice.objects.filter(
            district=district, student_id__in=student_ids, letter_type__in=SERVICE_LETTERS, status__in=NOTICE_SENT
        )
        .order_by("student_id", "sent_at")
        .values_list("student_id", "sent_at", "acknowledged_at")
    ):
        when = sent or acknowledged
        if when is not None and student_id not in notified:
            notified[student_id] = timezone.localdate(when)
    referred: dict[int, dt.date] = {}
    reviewed: dict[tuple[int, str], dt.date] = {}
    for student_id, kind, area, decided in (
        Decision.objects.filter(district=district, student_id__in=student_ids)
        .order_by("student_id", "decided_at")
        .values_list("student_id", "kind", "item__area", "decided_at")
    ):
        if kind == Decision.Kind.REFER:
            referred.setdefault(student_id, timezone.localdate(decided))
        reviewed[(student_id, area)] = timezone.localdate(decided)
    # Interventions that did not work: plans ended as discontinued, per student, area and tier.
    failed: dict[tuple[int, str], dict[int, int]] = defaultdict(lambda: defaultdict(int))
    for student_id, area, tier in (
        Plan.objects.filter(district=district, student_id__in=student_ids, status=Plan.Status.DISCONTINUED)
        .order_by()
        .values_list("student_id", "area", "tier")
    ):
        failed[(student_id, area)][tier] += 1
    rows = []
    for (
        plan_id,
        student_id,
        last,
        first,
        preferred,
        grade,
        school,
        tier,
        area,
        intervention,
        start,
        tier_start,
        entry,
        *flags,
    ) in meta:
        flagged = {key for key, flag in zip(SUBGROUPS, flags, strict=False) if flag}
        # The policy names subgroups by its own keys ("students_with_disabilities" is the
        # student's "disability_iep" flag): compare in the policy's words.
        subgroups = flagged | {key for key, field_name in SUBGROUP_FIELDS.items() if field_name in flagged}
        years = (today - entry).days / 365.25 if entry else None
        applying = (
            _exceptions_for(policy, subgroups=subgroups, tier=tier, failed=failed[(student_id, area)], years=years)
            if policy is not None
            else []
        )
        if tier < from_tier and not applying:
            continue
        result = results.loc[plan_id]
        pct = result["sessions_pct"]
        row = ReadinessRow(
            plan_id=plan_id,
            student_id=student_id,
            student=_name(last, first, preferred),
            grade=grade,
            school=school,
            tier=tier,
            area=area,
            intervention=intervention,
            sessions=int(result["sessions_delivered"]),
            min_sessions=minimum.get(tier),
            fidelity_status=result["status_fidelity"],
            sessions_pct=None if pct != pct else float(pct),
            notified_on=notified.get(student_id),
            recommendation=result["recommendation"],
            referred_on=referred.get(student_id),
            exceptions=[_exception_text(e) for e in applying],
            handled_by=next((e.handled_by for e in applying if e.handled_by), ""),
        )
        if policy is not None:
            row.conditions = referral_conditions(
                policy,
                row=row,
                tier_start=tier_start or start,
                today=today,
                last_review=reviewed.get((student_id, area)),
                applying=applying,
            )
        rows.append(row)
    rows.sort(key=lambda r: (not r.ready, r.school, r.student))
    return rows


def referral_conditions(
    policy, *, row: ReadinessRow, tier_start: dt.date, today: dt.date, last_review: dt.date | None, applying=()
) -> list[Condition]:
    """The conditions the policy sets on a referral, each met or not, for one plan."""
    referral = policy.special_education_referral
    weeks = (today - tier_start).days / 7
    conditions = []
    waived = next((e for e in applying if e.weeks_in_tier is not None), None)
    if waived is not None:
        # Loudon: "If, after four weeks in TIER III, such students continue to show no improvement".
        conditions.append(
            Condition(
                "minimum_sessions",
                _("time in the tier (exception)"),
                weeks >= waived.weeks_in_tier,
                _("%(w)s of the %(n)s weeks the exception asks for, instead of the minimum sessions")
                % {"w": f"{weeks:.0f}", "n": f"{waived.weeks_in_tier:g}"},
            )
        )
    elif row.min_sessions is not None:
        conditions.append(
            Condition(
                "minimum_sessions",
                _("minimum sessions"),
                row.sessions >= row.min_sessions,
                _("%(s)s of %(n)s delivered") % {"s": row.sessions, "n": row.min_sessions},
            )
        )
    try:
        duration = policy.tier(row.tier).expected_duration_weeks
    except LookupError:
        duration = None
    if referral.when == "tier_review":
        conditions.append(
            Condition(
                "when",
                _("a team review in the tier"),
                last_review is not None and last_review >= tier_start,
                str(last_review) if last_review else _("no review yet"),
            )
        )
    elif duration is not None:
        # "tier_midpoint": halfway through the tier's expected time; "tier_end": at its end (the minimum).
        needed = duration.min / 2 if referral.when == "tier_midpoint" else duration.min
        label = _("halfway through the tier") if referral.when == "tier_midpoint" else _("the end of the tier")
        conditions.append(
            Condition(
                "when", label, weeks >= needed, _("%(w)s of %(n)s weeks") % {"w": f"{weeks:.0f}", "n": f"{needed:g}"}
            )
        )
    if referral.requires_not_responding:
        conditions.append(
            Condition(
                "not_responding",
                _("not responding by the decision rules"),
                row.response == "not_responding",
                row.recommendation or _("not judged yet"),
            )
        )
    if referral.requires_fidelity_log or policy.fidelity.log_required_for_referral:
        # Loudon (seed 002): "The log is a requirement for all RTI referrals to special education
        # and is reviewed by the school psychologist."
        conditions.append(
            Condition(
                "fidelity_log",
                _("session log kept"),
                row.sessions > 0,
                _("%(n)s sessions logged") % {"n": row.sessions},
            )
        )
    conditions.append(Condition("fidelity", _("fidelity met"), row.fidelity_met, row.fidelity_status))
    conditions.append(
        Condition("notified", _("parents notified"), row.notified, str(row.notified_on) if row.notified_on else _("no"))
    )
    return conditions


def services_during_evaluation(policy) -> str:
    """What continues while the evaluation runs (special_education_referral): Holland Patent keeps
    Tier 1 and Tier 3 services; Loudon: "Tier III interventions will continue"."""
    if policy is None:
        return ""
    referral = policy.special_education_referral
    if not referral.continue_services_during_evaluation:
        return _("Intervention services end when the referral is made.")
    tiers = referral.services_during_evaluation_tiers
    if not tiers:
        return _("Intervention services continue while the evaluation is completed.")
    return _("Services in Tier %(t)s continue while the evaluation is completed.") % {
        "t": ", ".join(str(t) for t in tiers)
    }


def referral_readiness(
    *, district: District, membership: Membership, today: dt.date, school_id: int | None = None
) -> dict:
    """Active plans in the policy's referral tier (or a lower one an exception allows), with
    the conditions the policy sets on a referral, met or not, and the exceptions that apply.

    Sessions are delivered ones (attendance present, as the engine's minimum-sessions
    rule counts them, honouring "minutes must match" when the policy says so), counted
    by the batch engine over the whole plan phase. A fixed number of queries.
    """
    _v, policy = policy_document(district=district, as_of=today)
    from_tier = policy.special_education_referral.from_tier if policy is not None else 3
    students = visible_students(district=district, membership=membership)
    if school_id:
        students = students.filter(school_id=school_id)
    plans = Plan.objects.filter(district=district, status=Plan.Status.ACTIVE, student__in=students.values("pk"))
    rows = _readiness_rows(district=district, plans=plans, today=today, policy=policy)
    return {"rows": rows, "from_tier": from_tier, "services_during_evaluation": services_during_evaluation(policy)}


def student_referral_readiness(*, district: District, student, today: dt.date) -> dict:
    """The referral conditions and exceptions for one student's active plans (the referral packet)."""
    _v, policy = policy_document(district=district, as_of=today)
    plans = Plan.objects.filter(district=district, status=Plan.Status.ACTIVE, student=student)
    return {
        "rows": _readiness_rows(district=district, plans=plans, today=today, policy=policy),
        "services_during_evaluation": services_during_evaluation(policy),
    }


# --- year-end program evaluation per benchmark window ---------------------------------------------------


@dataclass
class EvaluationPoint:
    label: str
    day: dt.date
    enrolled: int = 0
    screened: int = 0
    at_risk: int = 0
    tiers: dict[int, int] = field(default_factory=dict)
    effect: Effect | None = None
    exits: int = 0


def program_evaluation(*, district: District, membership: Membership, year: SchoolYear, today: dt.date) -> list:
    """Fall, winter, spring (each screening window's last day) and the year's end (or today).

    For each point: screening participation and risk of that window; students in
    each tier on that day; the plans running that day evaluated as of it (responding
    share and rates of improvement, with n); exits to Tier 1 since the previous point.
    A fixed number of queries per point (four points a year).
    """
    # Imported here, not at the top: the referral packet's page imports this module (issue 16, item 7).
    import pandas as pd

    windows = list(
        ScreeningWindow.objects.filter(district=district, school_year=year)
        .select_related("school_year")
        .order_by("start_date")
    )
    # The policy's program-evaluation points (reporting.program_evaluation_points; Loudon: "fall,
    # winter, spring and year-end program evaluation"); none listed: every window and the year's end.
    _v, policy = policy_document(district=district, as_of=min(year.end_date, today))
    wanted = set(policy.reporting.program_evaluation_points) if policy is not None else set()
    if wanted:
        windows = [w for w in windows if w.season in wanted]
    points = [EvaluationPoint(label=str(w), day=w.end_date) for w in windows]
    end = min(year.end_date, today)
    if (not wanted or "end_of_year" in wanted or not points) and (not points or points[-1].day < end):
        points.append(EvaluationPoint(label=_("End of year") if end == year.end_date else _("Year to date"), day=end))
    visible = visible_students(district=district, membership=membership)
    previous_day = year.start_date
    for point, window in zip(points, windows + [None] * (len(points) - len(windows)), strict=False):
        students = current_students(district=district, membership=membership, on=point.day)
        point.enrolled = students.count()
        if window is not None:
            scored = (
                Score.objects.filter(district=district, window=window, student__in=students.values("pk"))
                .order_by()
                .aggregate(
                    screened=Count("student", distinct=True),
                    at_risk=Count("student", distinct=True, filter=Q(tier__gte=2)),
                )
            )
            point.screened, point.at_risk = scored["screened"], scored["at_risk"]
        for tier, n in (
            TierPlacement.objects.filter(
                district=district, student__in=students.values("pk"), start_date__lte=point.day, tier__gte=2
            )
            .filter(Q(end_date__isnull=True) | Q(end_date__gte=point.day))
            .order_by()
            .values("tier")
            .annotate(n=Count("student", distinct=True))
            .values_list("tier", "n")
        ):
            point.tiers[min(tier, 3)] = point.tiers.get(min(tier, 3), 0) + n
        running = Plan.objects.filter(district=district, student__in=visible.values("pk"), start_date__lte=point.day)
        running = running.filter(Q(status=Plan.Status.ACTIVE) | Q(expected_end_date__gte=point.day)).exclude(
            status=Plan.Status.DRAFT
        )
        results = evaluate(district=district, plans=running, as_of=point.day, sessions="totals")
        frame = pd.DataFrame(
            {
                "response": [response_of(r) or "" for r in results["recommendation"]],
                "roi": pd.to_numeric(results["roi"]).astype(float).to_numpy(),
                "goal_roi": pd.to_numeric(results["goal_roi"]).astype(float).to_numpy(),
            }
        )
        effect = Effect.from_frame(point.label, frame)
        point.effect = effect
        # Exits: a Tier 2+ placement that ended in the period with nothing following within a week.
        ended = list(
            TierPlacement.objects.filter(
                district=district,
                student__in=visible.values("pk"),
                tier__gte=2,
                end_date__gte=previous_day,
                end_date__lte=point.day,
            )
            .order_by()
            .values_list("student_id", "area", "end_date")
        )
        following = set(
            TierPlacement.objects.filter(
                district=district,
                student_id__in=[s for s, _a, _e in ended],
                tier__gte=2,
                start_date__gte=previous_day,
                start_date__lte=point.day + dt.timedelta(days=7),
            )
            .order_by()
            .values_list("student_id", "area", "start_date")
        )
        followed = defaultdict(list)
        for student_id, area, start in following:
            followed[(student_id, area)].append(start)
        point.exits = sum(
            1
            for student_id, area, ended_on in ended
            if not any(0 < (s - ended_on).days <= 7 for s in followed[(student_id, area)])
        )
        previous_day = point.day + dt.timedelta(days=1)
    return points


def subgroup_label(key: str) -> str:
    return str(SUBGROUPS.get(key, key))
