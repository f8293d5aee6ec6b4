"""Reads for interventions, scoped by district and by who may see the students.

Evaluation builds the engine's input (mtss.rules.engine.Case) from a plan's
current phase; every query here runs a fixed number of times per page,
whatever the number of plans, probes or sessions.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass, field, replace

from django.core.paginator import Page, Paginator
from django.db.models import Exists, F, OuterRef, Q, QuerySet
from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext as _

from interventions.evaluation_inputs import (
    CalendarInput,
    MeasureRequest,
    NormsInput,
    calendars_for,
    norms_for,
    policy_measure,
    suggest_goal,
)
from interventions.models import (
    Attendance,
    Decision,
    Intervention,
    InterventionGroup,
    InterventionSession,
    Plan,
    PlanMeasure,
    PlanPhase,
    Probe,
    TierPlacement,
)
from mtss.calendars.selectors import cycle_days_on, non_instructional_by_school
from mtss.db.colocation import among
from mtss.models import District, Membership, User
from mtss.permissions import PROVIDER_ROLES, SCHOOL_WIDE, SEES_WHOLE_DISTRICT, SUPERVISORS, allowed
from mtss.policy.adapters import measures_combine, rule_config
from mtss.rules import engine
from mtss.rules.config import RuleConfig
from mtss.rules.plan import PlanEvaluation, combine_recommendations
from mtss.selectors import policy_document
from screening.models import Measure, ReviewItem, Score
from screening.scores import finite_score_q
from students.access import visible_students


def library(*, district: District, area: str | None = None, active_only: bool = True) -> QuerySet[Intervention]:
    rows = Intervention.objects.filter(district=district)
    if area:
        rows = rows.filter(area=area)
    if active_only:
        rows = rows.filter(is_active=True)
    return rows.order_by("area", "name")


def intervention_get(*, district: District, intervention_id: int) -> Intervention:
    try:
        return Intervention.objects.get(district=district, pk=intervention_id)
    except Intervention.DoesNotExist:
        raise Http404 from None


def visible_groups(*, district: District, membership: Membership) -> QuerySet[InterventionGroup]:
    groups = InterventionGroup.objects.filter(district=district)
    if membership.role in SEES_WHOLE_DISTRICT:
        return groups
    if membership.role in SCHOOL_WIDE or membership.role in SUPERVISORS:
        # The school's specialists see its groups: they may log for them (mtss.permissions.may_log_for_group).
        schools = membership.district_schools().values("id")
        return groups.filter(Q(school_id__in=schools) | Q(provider_id=membership.user_id))
    return groups.filter(provider_id=membership.user_id)


def cycle_meeting_days(sessions_per_cycle: int, cycle_days: int) -> frozenset[int]:
    """The cycle days a group with a dosage per day cycle meets on, spread evenly from day 1:
    3 sessions in a 6-day cycle meet on days 1, 3 and 5 (Holland Patent's 6-day cycle, seed 001)."""
    n = max(1, min(sessions_per_cycle, cycle_days))
    return frozenset(1 + i * cycle_days // n for i in range(n))


def group_meets_on(group: InterventionGroup, day: dt.date, *, cycle_day: int | None = None) -> bool:
    """Whether the group's schedule puts a session on `day`, a school day: its own meeting days;
    else, for a dosage per day cycle in a school that runs one, its cycle days; else the
    weekdays of its weekly dosage (InterventionGroup.meeting_weekdays)."""
    if day.weekday() >= 5:
        return False
    if not group.meeting_days and group.sessions_per_cycle and group.cycle_days and cycle_day is not None:
        return cycle_day in cycle_meeting_days(group.sessions_per_cycle, group.cycle_days)
    return day.weekday() in group.meeting_weekdays


@dataclass
class GroupDay:
    """One group on one day: whether it meets (a school day on its schedule) and its logged session."""

    group: InterventionGroup
    meets: bool
    school_closed: bool
    session_id: int | None

    @property
    def logged(self) -> bool:
        return self.session_id is not None


def groups_on(*, district: District, groups: list[InterventionGroup], day: dt.date) -> list[GroupDay]:
    """Each group on `day` (the school calendar, the group's meeting days or day cycle, the session
    already logged): at most six queries, whatever the number of groups or schools."""
    if not groups:
        return []
    school_ids = {g.school_id for g in groups}
    closed = non_instructional_by_school(district=district, school_ids=school_ids, start=day, end=day)
    needs_cycle = any(not g.meeting_days and g.sessions_per_cycle for g in groups)
    cycles = cycle_days_on(district=district, school_ids=school_ids, day=day) if needs_cycle else {}
    logged = dict(
        InterventionSession.objects.filter(district=district, group_id__in=[g.pk for g in groups], date=day)
        .order_by()
        .values_list("group_id", "id")
    )
    rows = []
    for group in groups:
        school_closed = day in closed[group.school_id]
        meets = not school_closed and group_meets_on(group, day, cycle_day=cycles.get(group.school_id))
        rows.append(GroupDay(group=group, meets=meets, school_closed=school_closed, session_id=logged.get(group.pk)))
    return rows


def my_groups(*, district: District, membership: Membership) -> QuerySet[InterventionGroup]:
    """The active groups the member provides."""
    return (
        visible_groups(district=district, membership=membership)
        .filter(is_active=True, provider_id=membership.user_id)
        .select_related("school", "intervention")
        .order_by("name")
    )


def group_get(*, district: District, membership: Membership, group_id: int) -> InterventionGroup:
    try:
        return (
            visible_groups(district=district, membership=membership)
            .select_related("school", "provider", "intervention")
            .get(pk=group_id)
        )
    except InterventionGroup.DoesNotExist:
        raise Http404 from None


def can_log_for_group(*, membership: Membership, group: InterventionGroup) -> bool:
    return allowed(membership, "may_log_for_group", group)


def visible_plans(*, district: District, membership: Membership) -> QuerySet[Plan]:
    plans = Plan.objects.filter(district=district)
    current = membership.is_active and membership.district_id == district.pk
    if current and membership.role in SEES_WHOLE_DISTRICT:
        # Every plan of the district: no filter, so a page sorted by name walks the name index
        # and stops at its 50th plan.
        return plans
    if current and membership.role in SCHOOL_WIDE:
        # The member's schools' plans, and the few they provide elsewhere by id: without an OR
        # the planner starts from the schools' students (an OR made it walk the whole district's
        # name index for a principal's first page: 0.9 s at 400,000 students).
        in_schools = Q(student__school_id__in=membership.district_schools().values("id"))
        elsewhere = list(
            plans.filter(provider_id=membership.user_id).exclude(in_schools).order_by().values_list("pk", flat=True)
        )
        return plans.filter(in_schools | Q(pk__in=elsewhere)) if elsewhere else plans.filter(in_schools)
    students = visible_students(district=district, membership=membership)
    return plans.filter(among(students, "student_id") | Q(provider_id=membership.user_id))


@dataclass(frozen=True)
class NeedsPlanRow:
    """A student in Tier 2 or above in an area with no active plan there (and the draft, if one was made)."""

    student: object
    area: str
    tier: int
    since: dt.date
    draft: Plan | None
    placement_id: int

    @property
    def student_id(self) -> int:
        return self.student.pk


def needing_plan(*, district: District, membership: Membership, limit: int | None = None) -> list[NeedsPlanRow]:
    """Students the member may see with an open placement in Tier 2 or above in an area where no plan
    is active: placed (by a team's "intensify", or by hand) but not yet served. A draft plan (the next
    tier's plan an "intensify" drafted) does not serve them yet, so they stay here with it until it
    starts (issue 13: "so nobody drops out of service"). Oldest placement first; the first `limit`
    only if given (needing_plan_count counts them all)."""
    placements = _needing_plan_placements(district=district, membership=membership)
    if limit is not None:
        placements = placements[:limit]
    placements = list(placements)
    drafts: dict[tuple[int, str], Plan] = {}
    # A subquery, not the placements' ids: the query runs whether or not anyone needs a plan,
    # so the pages that show this list keep one query count as data grows. The listed
    # placements' students are visible ones (_needing_plan_placements).
    wanted = _needing_plan_placements(district=district, membership=membership).values("student_id")
    if limit is not None:
        wanted = wanted[:limit]
    for plan in Plan.objects.filter(district=district, status=Plan.Status.DRAFT, student_id__in=wanted).order_by(
        "created_at", "id"
    ):
        drafts[(plan.student_id, plan.area)] = plan  # the latest draft per area
    return [
        NeedsPlanRow(
            student=p.student,
            area=p.area,
            tier=p.tier,
            since=p.start_date,
            draft=drafts.get((p.student_id, p.area)),
            placement_id=p.pk,
        )
        for p in placements
    ]


def needing_plan_count(*, district: District, membership: Membership) -> int:
    """How many rows needing_plan would give without a limit (one count query)."""
    return _needing_plan_placements(district=district, membership=membership).count()


def _needing_plan_placements(*, district: District, membership: Membership) -> QuerySet[TierPlacement]:
    students = visible_students(district=district, membership=membership).filter(exit_date__isnull=True)
    active = Plan.objects.filter(
        district=district, student_id=OuterRef("student_id"), area=OuterRef("area"), status=Plan.Status.ACTIVE
    )
    return (
        TierPlacement.objects.filter(
            district=district, end_date__isnull=True, tier__gte=2, student_id__in=students.values("pk")
        )
        .filter(~Exists(active))
        .select_related("student", "student__school")
        .order_by("start_date", "student__last_name", "student__first_name", "area", "id")
    )


def plan_get(*, district: District, membership: Membership, plan_id: int) -> Plan:
    try:
        return (
            visible_plans(district=district, membership=membership)
            .select_related("student", "student__school", "intervention", "provider", "group", "placement")
            .get(pk=plan_id)
        )
    except Plan.DoesNotExist:
        raise Http404 from None


def plan_measures(*, district: District, plan: Plan) -> list[PlanMeasure]:
    """The plan's further measures (the primary is the plan's own goal)."""
    return list(PlanMeasure.objects.filter(district=district, plan=plan).order_by("id"))


def session_get(*, district: District, membership: Membership, session_id: int) -> InterventionSession:
    session = (
        InterventionSession.objects.filter(district=district, pk=session_id)
        .select_related("group", "plan", "provider", "logged_by")
        .first()
    )
    if session is None:
        raise Http404
    if session.group_id:
        group_get(district=district, membership=membership, group_id=session.group_id)
    else:
        plan_get(district=district, membership=membership, plan_id=session.plan_id)
    return session


def probe_get(*, district: District, membership: Membership, probe_id: int) -> Probe:
    """A probe of a plan the member sees (else 404, like a missing one)."""
    probe = Probe.objects.filter(district=district, pk=probe_id).select_related("measure").first()
    if probe is None:
        raise Http404
    probe.plan = plan_get(district=district, membership=membership, plan_id=probe.plan_id)
    return probe


def plan_sessions(*, district: District, plan: Plan, limit: int = 20):
    """A one-to-one plan's recent sessions with their attendance and probe, in three queries."""
    sessions = list(
        InterventionSession.objects.filter(district=district, plan=plan)
        .select_related("logged_by")
        .order_by("-date")[:limit]
    )
    status = dict(
        Attendance.objects.filter(district=district, session__in=sessions).values_list("session_id", "status")
    )
    probes = dict(
        Probe.objects.filter(district=district, session__in=sessions, measure__isnull=True).values_list(
            "session_id", "score"
        )
    )
    labels = dict(Attendance.Status.choices)
    return [(s, labels.get(status.get(s.pk), ""), probes.get(s.pk)) for s in sessions]


def group_members(*, district: District, group: InterventionGroup) -> list[Plan]:
    return list(
        Plan.objects.filter(district=district, group=group, status=Plan.Status.ACTIVE)
        .select_related("student")
        .order_by("student__last_name", "student__first_name")
    )


def group_sessions(*, district: District, group: InterventionGroup, limit: int = 20):
    """Recent sessions with attendance, in three queries."""
    sessions = list(
        InterventionSession.objects.filter(district=district, group=group)
        .select_related("logged_by")
        .order_by("-date")[:limit]
    )
    by_session = defaultdict(list)
    for row in Attendance.objects.filter(district=district, session__in=sessions).select_related("plan__student"):
        by_session[row.session_id].append(row)
    probes = defaultdict(dict)
    for probe in Probe.objects.filter(district=district, session__in=sessions):
        probes[probe.session_id][probe.plan_id] = probe.score
    return [(s, sorted(by_session[s.pk], key=lambda a: a.plan.student.last_name), probes[s.pk]) for s in sessions]


# --- evaluation -----------------------------------------------------------------------------


@dataclass
class PlanData:
    plan: Plan
    phases: list[PlanPhase] = field(default_factory=list)
    probes: list[Probe] = field(default_factory=list)  # the primary measure's
    sessions: list[engine.Session] = field(default_factory=list)
    last_review: dt.date | None = None
    measures: list[PlanMeasure] = field(default_factory=list)  # further measures
    measure_probes: dict[int, list[Probe]] = field(default_factory=lambda: defaultdict(list))


@dataclass
class MeasureResult:
    """One measure of a plan: the primary (``measure`` None: the plan's own goal) or a further one."""

    name: str
    measure: PlanMeasure | None
    evaluation: engine.Evaluation
    case: engine.Case
    config: RuleConfig
    probes: list[Probe]
    norms: NormsInput

    @property
    def key(self) -> str:
        return "primary" if self.measure is None else f"m{self.measure.pk}"


@dataclass
class PlanResult:
    plan: Plan
    phase: PlanPhase | None
    # The primary measure's evaluation; with several measures its recommendation is the
    # combined one (``combined``), so every reader of ``evaluation.recommendation`` agrees.
    evaluation: engine.Evaluation
    case: engine.Case
    config: RuleConfig
    data: PlanData
    policy_label: str
    norms: NormsInput = field(default_factory=NormsInput)
    measures: list[MeasureResult] = field(default_factory=list)
    combined: PlanEvaluation | None = None

    def finding(self, rule: str):
        return next((f for f in self.evaluation.findings if f.rule == rule), None)


def _load(district: District, plans: list[Plan]) -> dict[int, PlanData]:
    """Phases, further measures, probes and attendance of many plans: four queries in all."""
    data = {p.pk: PlanData(plan=p) for p in plans}
    ids = list(data)
    for phase in PlanPhase.objects.filter(district=district, plan_id__in=ids).order_by("plan_id", "number"):
        data[phase.plan_id].phases.append(phase)
    for measure in PlanMeasure.objects.filter(district=district, plan_id__in=ids).order_by("plan_id", "id"):
        data[measure.plan_id].measures.append(measure)
    # A non-finite score cannot be written any more (the probe_score_finite constraint), but one
    # left from before must not take the plan page, caseload and packets down with it.
    for probe in Probe.objects.filter(finite_score_q(), district=district, plan_id__in=ids).order_by("date", "id"):
        if probe.measure_id is None:
            data[probe.plan_id].probes.append(probe)
        else:
            data[probe.plan_id].measure_probes[probe.measure_id].append(probe)
    rows = Attendance.objects.filter(district=district, plan_id__in=ids).values_list(
        "plan_id", "status", "session__date", "session__minutes"
    )
    for plan_id, status, date, minutes in rows:
        data[plan_id].sessions.append(
            engine.Session(date=date, minutes=minutes, status=Attendance.ENGINE_STATUS[status])
        )
    return data


def _config(version, policy, plan: Plan, area: str | None = None, measure: str | None = None) -> tuple[RuleConfig, str]:
    area = area or plan.area
    if policy is None:
        return RuleConfig(tier=plan.tier, area=area), "default"
    try:
        config = rule_config(
            policy, tier=plan.tier, area=area, grade=plan.student.grade, measure=measure, version=str(version.version)
        )
    except LookupError:
        try:
            config = rule_config(
                policy, tier=plan.tier, area=area, grade=plan.student.grade, version=str(version.version)
            )
        except LookupError:
            return RuleConfig(tier=plan.tier, area=area), version.label
    return config, version.label


def _case(
    data: PlanData,
    config: RuleConfig,
    as_of: dt.date,
    *,
    norms: NormsInput = NormsInput(),  # noqa: B008  (a frozen, empty value: safe to share)
    calendar: CalendarInput = CalendarInput(),  # noqa: B008  (likewise)
    measure: PlanMeasure | None = None,
) -> tuple[engine.Case, PlanPhase | None]:
    plan = data.plan
    phase = data.phases[-1] if data.phases else None
    common = dict(
        as_of=as_of,
        sessions=tuple(data.sessions),
        sessions_per_week=plan.sessions_per_week,
        sessions_per_cycle=plan.sessions_per_cycle,
        cycle_days=plan.cycle_days,
        minutes_per_session=plan.minutes_per_session,
        tier_start=plan.placement.start_date if plan.placement_id and plan.placement else plan.start_date,
        last_review=data.last_review,
        level_cut=norms.level_cut,
        roi_cut=norms.roi_cut,
        norms_source=norms.source,
        non_instructional=calendar.non_instructional,
        weekdays=calendar.weekdays,
    )
    if measure is not None:
        # A further measure has its own goal from the plan's start (phases change the primary goal).
        probes = data.measure_probes.get(measure.pk, [])
        goal = engine.Goal(
            target_date=measure.goal_target_date,
            target=measure.goal_target,
            roi=None if measure.goal_target is not None else measure.goal_roi,
            direction=measure.goal_direction,
            measure=measure.measure,
        )
        return engine.Case(
            start=plan.start_date,
            goal=goal,
            baseline_probes=tuple(engine.Probe(p.date, p.score) for p in probes if p.is_baseline),
            probes=tuple(engine.Probe(p.date, p.score) for p in probes if not p.is_baseline),
            **common,
        ), phase
    start = phase.start_date if phase else plan.start_date
    if phase is None or phase.number == 1:
        baseline = [engine.Probe(p.date, p.score) for p in data.probes if p.is_baseline]
    else:
        # A later phase starts from the median of the last points before it (RULES.md 1.0:
        # the ROI is recalculated per phase).
        before = [p for p in data.probes if not p.is_baseline and p.date < start]
        baseline = [engine.Probe(p.date, p.score) for p in before[-config.baseline_k :]]
    target = phase.goal_target if phase else plan.goal_target
    roi = phase.goal_roi if phase else plan.goal_roi
    goal = engine.Goal(
        target_date=phase.goal_target_date if phase else plan.goal_target_date,
        target=target,
        roi=None if target is not None else roi,
        direction=plan.goal_direction,
        measure=plan.goal_measure,
    )
    case = engine.Case(
        start=start,
        goal=goal,
        baseline_probes=tuple(baseline),
        probes=tuple(engine.Probe(p.date, p.score) for p in data.probes if not p.is_baseline),
        **common,
    )
    return case, phase


def _requests(plan: Plan, data: PlanData) -> list[tuple[PlanMeasure | None, MeasureRequest]]:
    grade = plan.student.grade
    override = dict(level_cut=plan.dd_level_cut, growth_cut=plan.dd_growth_cut, override_reason=plan.dd_override_reason)
    # The override is the plan's criteria for its primary measure only.
    pairs = [(None, MeasureRequest(plan.goal_measure, grade, **override))]
    pairs += [(m, MeasureRequest(m.measure, grade)) for m in data.measures]
    return pairs


def evaluation_inputs(
    *, district: District, plans: list[Plan], data: dict[int, PlanData], policy, as_of: dt.date
) -> tuple[dict[MeasureRequest, NormsInput], dict[int | None, CalendarInput]]:
    """Norms of every measure of the plans and the calendar of their schools: four queries."""
    requests = [request for plan in plans for _, request in _requests(plan, data[plan.pk])]
    norms = norms_for(district=district, policy=policy, requests=requests, on=as_of)
    first = min(
        [as_of]
        + [
            d
            for plan in plans
            for d in (
                plan.start_date,
                plan.placement.start_date if plan.placement_id and plan.placement else None,
                data[plan.pk].last_review,
            )
            if d is not None
        ]
    )
    calendars = (
        calendars_for(
            district=district, policy=policy, school_ids={p.student.school_id for p in plans}, start=first, end=as_of
        )
        if plans
        else {}
    )
    return norms, calendars


def evaluate_plans(*, district: District, plans: list[Plan], as_of: dt.date | None = None) -> dict[int, PlanResult]:
    """Every measure of every plan, with the district's norms and each school's calendar, in a
    fixed number of queries (interventions/evaluation_inputs.py says where each input comes from)."""
    as_of = as_of or timezone.localdate()
    data = _load(district, plans)
    results = {}
    # One policy look-up per page, however many tiers, areas and grades it shows.
    version, policy = policy_document(district=district, as_of=as_of)
    norms, calendars = evaluation_inputs(district=district, plans=plans, data=data, policy=policy, as_of=as_of)
    combine = measures_combine(policy) if policy is not None else "most_intensive"
    configs: dict[tuple, tuple[RuleConfig, str]] = {}
    for plan in plans:
        calendar = calendars.get(plan.student.school_id, CalendarInput())
        measures = []
        for measure, request in _requests(plan, data[plan.pk]):
            found = policy_measure(policy, request.measure)
            area = plan.area
            if measure is not None and found is not None and plan.area not in found.areas:
                area = found.areas[0]  # a behaviour rating on a reading plan is judged as behaviour
            key = (plan.tier, area, plan.student.grade, found.key if found is not None else None)
            if key not in configs:
                configs[key] = _config(version, policy, plan, area, key[3])
            config, label = configs[key]
            case, phase = _case(data[plan.pk], config, as_of, norms=norms[request], calendar=calendar, measure=measure)
            probes = data[plan.pk].probes if measure is None else data[plan.pk].measure_probes.get(measure.pk, [])
            measures.append(
                MeasureResult(
                    name=request.measure,
                    measure=measure,
                    evaluation=engine.evaluate(config, case),
                    case=case,
                    config=config,
                    probes=probes,
                    norms=norms[request],
                )
            )
        primary = measures[0]
        evaluation, combined = primary.evaluation, None
        if len(measures) > 1:
            combined = combine_evaluations(measures, combine=combine)
            evaluation = _with_recommendation(primary.evaluation, combined)
        primary_config = primary.config
        results[plan.pk] = PlanResult(
            plan=plan,
            phase=phase,
            evaluation=evaluation,
            case=primary.case,
            config=primary_config,
            data=data[plan.pk],
            policy_label=label,
            norms=primary.norms,
            measures=measures,
            combined=combined,
        )
    return results


def combine_evaluations(measures: list[MeasureResult], *, combine: str) -> PlanEvaluation:
    """The policy's rule over the measures' recommendations (mtss/rules/plan.py), named by measure."""
    labels: dict[str, MeasureResult] = {}
    for m in measures:
        label = m.name or m.key
        labels[label if label not in labels else f"{label} ({m.key})"] = m
    recommendation, drivers, explanation = combine_recommendations(
        {label: m.evaluation.recommendation for label, m in labels.items()}, combine=combine, primary=next(iter(labels))
    )
    return PlanEvaluation(
        recommendation,
        combine,
        next(iter(labels)),
        drivers,
        {label: m.evaluation for label, m in labels.items()},
        explanation,
    )


def _with_recommendation(evaluation: engine.Evaluation, combined: PlanEvaluation) -> engine.Evaluation:
    findings = tuple(
        replace(
            f,
            status=combined.recommendation,
            values={**f.values, "combined": combined.recommendation, "combine": combined.combine},
            explanation=f"{f.explanation} {combined.explanation}",
        )
        if f.rule == "recommendation"
        else f
        for f in evaluation.findings
    )
    return replace(evaluation, recommendation=combined.recommendation, findings=findings)


def plan_result(*, district: District, plan: Plan, as_of: dt.date | None = None) -> PlanResult:
    return evaluate_plans(district=district, plans=[plan], as_of=as_of)[plan.pk]


def next_probe_due(result: PlanResult) -> dt.date | None:
    every = result.config.pm_every_days
    if not every:
        return None
    progress = [p.date for p in result.data.probes if not p.is_baseline]
    last = max(progress) if progress else result.case.start
    return last + dt.timedelta(days=every)


@dataclass
class CaseloadRow:
    result: PlanResult
    next_probe: dt.date | None
    probe_overdue: bool
    review_due: bool
    fidelity_pct: float | None

    @property
    def plan(self) -> Plan:
        return self.result.plan


SORTS = {
    "student": lambda r: (r.plan.student.last_name, r.plan.student.first_name),
    "tier": lambda r: (-r.plan.tier, r.plan.student.last_name),
    "next_probe": lambda r: (r.next_probe or dt.date.max, r.plan.student.last_name),
    "fidelity": lambda r: (r.fidelity_pct if r.fidelity_pct is not None else 999, r.plan.student.last_name),
    "recommendation": lambda r: (r.result.evaluation.recommendation, r.plan.student.last_name),
}


def caseload_rows(
    *, district: District, membership: Membership, mine_only: bool, as_of: dt.date | None = None
) -> list[CaseloadRow]:
    """Every active plan of the caseload, each evaluated live (the home page's reminders count them all)."""
    as_of = as_of or timezone.localdate()
    plans = _caseload_plans(district=district, membership=membership, mine_only=mine_only)
    plans = list(plans.select_related(*RELATED))
    results = evaluate_plans(district=district, plans=plans, as_of=as_of)
    return sorted((_caseload_row(r, as_of) for r in results.values()), key=SORTS["student"])


#: What a caseload row shows of its plan (one query with the plans).
RELATED = ("student", "student__school", "intervention", "group", "placement")


def _caseload_plans(*, district: District, membership: Membership, mine_only: bool) -> QuerySet[Plan]:
    """The active plans a caseload lists: the member's own (mine_only) or every visible one."""
    plans = visible_plans(district=district, membership=membership).filter(status=Plan.Status.ACTIVE)
    return plans.filter(provider_id=membership.user_id) if mine_only else plans


#: Plans per caseload page: a page evaluates its plans live, so it stays fast however big the list.
CASELOAD_PAGE_SIZE = 50
#: Rows of "needs a plan" the caseload shows (oldest placements first); the page says how many in all.
NEEDS_PLAN_LIMIT = 50
#: Sorts the database orders by itself (a student's name, the tier); the others need each plan's verdict.
SQL_SORTS = {
    "student": ("student__last_name", "student__first_name", "area", "id"),
    "tier": ("-tier", "student__last_name", "student__first_name", "id"),
}
#: Sorts and filters that need every matching plan's verdict, not only the page's.
VERDICT_SORTS = frozenset({"next_probe", "fidelity", "recommendation"})
VERDICT_FLAGS = frozenset({"overdue", "review", "low_fidelity"})


@dataclass
class CaseloadPage:
    """One page of a caseload: its rows (evaluated live) and the paginator's page."""

    rows: list[CaseloadRow]
    page: Page
    sort: str


def caseload(
    *,
    district: District,
    membership: Membership,
    mine_only: bool,
    as_of: dt.date | None = None,
    sort: str = "student",
    flag: str | None = None,
    tier: int | None = None,
    page: int | str = 1,
    per_page: int | None = None,
) -> CaseloadPage:
    """Active plans the user provides (specialist) or whose students the user teaches, a page at a time.

    Only the page's plans go through the engine (evaluate_plans), so what a row shows is live and
    exact. Sorting by name or tier is the database's; a sort or filter on a verdict (next probe,
    fidelity, recommendation, overdue, review due) orders the plans by the batch engine's verdicts
    (interventions.batch_evaluation, set-based: a school's 160 plans in a few queries), which agree
    with the engine's for the primary measure (tests/rules/test_batch_agreement.py). A page out of
    range is a 404 (EmptyPage / PageNotAnInteger), never a silent other page.
    """
    as_of = as_of or timezone.localdate()
    if sort not in SORTS:
        sort = "student"
    plans = _caseload_plans(district=district, membership=membership, mine_only=mine_only)
    if tier:
        plans = plans.filter(tier=tier)
    if sort in VERDICT_SORTS or flag in VERDICT_FLAGS:
        ids = _verdict_order(district=district, plans=plans, as_of=as_of, sort=sort, flag=flag)
        current = Paginator(ids, per_page or CASELOAD_PAGE_SIZE).page(page)
        by_id = Plan.objects.filter(district=district, pk__in=list(current.object_list)).select_related(*RELATED)
        found = {plan.pk: plan for plan in by_id}
        page_plans = [found[pk] for pk in current.object_list]
    else:
        ordered = plans.select_related(*RELATED).order_by(*SQL_SORTS[sort])
        current = Paginator(ordered, per_page or CASELOAD_PAGE_SIZE).page(page)
        page_plans = list(current.object_list)
    results = evaluate_plans(district=district, plans=page_plans, as_of=as_of)
    return CaseloadPage(rows=[_caseload_row(results[plan.pk], as_of) for plan in page_plans], page=current, sort=sort)


def _caseload_row(result: PlanResult, as_of: dt.date) -> CaseloadRow:
    due = next_probe_due(result)
    fidelity = result.finding("fidelity")
    review = result.finding("review_due")
    return CaseloadRow(
        result=result,
        next_probe=due,
        probe_overdue=bool(due and due < as_of),
        review_due=bool(review and review.status == "due"),
        fidelity_pct=fidelity.values.get("sessions_pct") if fidelity else None,
    )


def _verdict_order(
    *, district: District, plans: QuerySet[Plan], as_of: dt.date, sort: str, flag: str | None
) -> list[int]:
    """The ids of the plans a verdict filter keeps, in a verdict sort's order (name, then id, breaks ties).

    The batch engine with session totals: a fixed number of queries however many plans match."""
    # Imported here: the batch engine needs pandas, and commands that import the selectors
    # (seed_demo, the jobs) must start without it (issue 16, item 7; tests/test_startup_imports.py).
    from interventions.batch_evaluation import evaluate as evaluate_batch

    frame = evaluate_batch(district=district, plans=plans, as_of=as_of, sessions="totals")
    names = {
        pk: (last, first)
        for pk, last, first in plans.order_by().values_list("pk", "student__last_name", "student__first_name")
    }
    keyed = []
    for plan_id, row in zip(frame.index, frame.itertuples(index=False), strict=False):
        if plan_id not in names:
            continue
        every = row.pm_every_days
        start = row.last_probe if isinstance(row.last_probe, dt.date) else row.start.date()
        due = start + dt.timedelta(days=int(every)) if every else None
        pct = None if row.sessions_pct != row.sessions_pct else float(row.sessions_pct)  # NaN: not judged
        if flag == "overdue" and not (due and due < as_of):
            continue
        if flag == "review" and row.status_review_due != "due":
            continue
        if flag == "low_fidelity" and row.recommendation != "low_fidelity":
            continue
        key = {
            "next_probe": (due or dt.date.max,),
            "fidelity": (pct if pct is not None else 999,),
            "recommendation": (row.recommendation,),
            "tier": (-int(row.tier),),
            "student": (),
        }[sort]
        keyed.append((*key, *names[plan_id], int(plan_id)))
    keyed.sort()
    return [k[-1] for k in keyed]


def student_timeline(*, district: District, student) -> dict:
    """Placements, plans (with session and probe summaries) across school years."""
    plans = list(
        Plan.objects.filter(district=district, student=student)
        .select_related("intervention", "provider", "student", "placement")  # the record evaluates them
        .order_by("-start_date")
    )
    ids = [p.pk for p in plans]
    delivered = defaultdict(lambda: {"sessions": 0, "minutes": 0, "absent": 0})
    for plan_id, status, minutes in Attendance.objects.filter(district=district, plan_id__in=ids).values_list(
        "plan_id", "status", "session__minutes"
    ):
        if status == Attendance.Status.PRESENT:
            delivered[plan_id]["sessions"] += 1
            delivered[plan_id]["minutes"] += minutes
        elif status == Attendance.Status.STUDENT_ABSENT:
            delivered[plan_id]["absent"] += 1
    probe_counts = defaultdict(int)
    for plan_id in Probe.objects.filter(district=district, plan_id__in=ids, is_baseline=False).values_list(
        "plan_id", flat=True
    ):
        probe_counts[plan_id] += 1
    decisions = list(
        Decision.objects.filter(district=district, student=student)
        .select_related("meeting", "decided_by")
        .order_by("-meeting__starts_at")
    )
    return {"plans": [(p, delivered[p.pk], probe_counts[p.pk]) for p in plans], "decisions": decisions}


# --- the plan form: choices and defaults (issue 14, item 4) ---------------------------------------

#: A screening score this recent still starts a plan's baseline ("a student with a recent at-risk score").
RECENT_SCORE_DAYS = 120
#: The goal date when the policy gives the tier no expected duration and no minimum of sessions.
DEFAULT_GOAL_WEEKS = 12


def plan_providers(*, district: District, school) -> QuerySet:
    """Who may be named the plan's provider at the student's school, each with the role of their
    membership (``provider_role``), by name: the plan form shows "Name (Role)", never a username."""
    return (
        User.objects.filter(
            Q(memberships__role__in=list(PROVIDER_ROLES), memberships__schools=school)
            | Q(memberships__role__in=list(SEES_WHOLE_DISTRICT)),
            memberships__district=district,
            memberships__is_active=True,
            is_active=True,
        )
        .annotate(provider_role=F("memberships__role"))
        .distinct()
        .order_by("last_name", "first_name", "username")
    )


def area_choices(policy) -> list[tuple[str, str]]:
    """The policy's areas (key, name); without a policy the areas every district has."""
    if policy is None:
        return [("reading", "Reading"), ("math", "Math")]
    return [(area.key, area.name) for area in policy.areas]


def tier_choices(policy) -> list[tuple[int, str]]:
    """The policy's tiers above the core (Tier 1 is core instruction, not a plan)."""
    if policy is None:
        return [(2, "Tier 2"), (3, "Tier 3")]
    tiers = [tier for tier in policy.tiers if tier.number > 1] or list(policy.tiers)
    return [(tier.number, tier.name) for tier in tiers]


def _measure_value(name: str, key: str) -> str:
    # Plan.goal_measure holds 80 characters; the evaluation finds a policy measure by its key too.
    return name if len(name) <= 80 else key


def measure_choices(*, district: District, policy, grade: int | None = None, keep: str = "") -> list:
    """The progress measures a plan may monitor, grouped by area: the policy's progress-monitoring
    measures (for the grade), then the district's catalog measures of the area's subject that the
    policy does not list. ``keep``: a plan's current measure, kept as a choice even if no longer listed."""
    catalog = list(Measure.objects.filter(district=district).order_by("name"))
    groups: list = []
    seen: set[str] = set()
    for key, name in area_choices(policy):
        options = []
        policy_keys = set()
        for measure in policy.progress_monitoring.measures if policy is not None else []:
            if key not in measure.areas or (grade is not None and measure.grades and grade not in measure.grades):
                continue
            policy_keys.add(measure.key)
            value = _measure_value(measure.name, measure.key)
            if value not in seen:
                options.append((value, measure.name))
                seen.add(value)
        subject = "reading" if key in ("reading", "ela", "literacy") else key
        for measure in catalog:
            if measure.subject != subject or measure.key in policy_keys or set(measure.policy_keys) & policy_keys:
                continue
            if grade is not None and measure.grades and grade not in measure.grades:
                continue
            value = _measure_value(measure.name, measure.key)
            if value not in seen:
                options.append((value, measure.name))
                seen.add(value)
        if options:
            groups.append((name, options))
    if keep and keep not in seen:
        groups.append((_("Current measure"), [(keep, keep)]))
    return groups


@dataclass
class PlanDefaults:
    """What the plan form starts with, and where each value came from (shown on the form)."""

    initial: dict
    score: object | None = None  # the flagged screening Score
    measure_note: str = ""
    goal_note: str = ""
    dosage_note: str = ""
    norms_missing: str = ""


def flagged_score(*, district: District, student, today: dt.date, review_item_id: int | None = None):
    """The screening score a plan starts from: the review item's (review queue "Start a plan"),
    else the student's most recent at-risk score (Tier 2 or more) of the last RECENT_SCORE_DAYS days."""
    if review_item_id:
        item = (
            ReviewItem.objects.filter(district=district, pk=review_item_id, student=student)
            .select_related("score__measure")
            .first()
        )
        if item is not None:
            return item.score
    return (
        Score.objects.filter(
            district=district,
            student=student,
            tier__gte=2,
            test_date__gte=today - dt.timedelta(days=RECENT_SCORE_DAYS),
        )
        .select_related("measure")
        .order_by("-test_date", "-id")
        .first()
    )


def _policy_pm_measure(policy, catalog_measure):
    """The policy's progress-monitoring measure for a catalog measure: same key, one of its policy
    keys, or found by its name."""
    if policy is None:
        return None
    for measure in policy.progress_monitoring.measures:
        if measure.key == catalog_measure.key or measure.key in (catalog_measure.policy_keys or []):
            return measure
    return policy_measure(policy, catalog_measure.name)


def _tidy(number: float) -> float | int:
    """4, not 4.0, in a form's number box."""
    return int(number) if float(number).is_integer() else number


def tier_dosage(policy, tier: int) -> dict:
    """The tier's dosage from the policy as plan fields (empty when the policy sets none)."""
    if policy is None:
        return {}
    try:
        dosage = policy.tier(tier).dosage
    except LookupError:
        return {}
    if dosage is None:
        return {}
    fields = {"minutes_per_session": dosage.minutes_per_session}
    if dosage.sessions_per_week:
        # 4, not 4.0, in the form's box.
        fields["sessions_per_week"] = _tidy(dosage.sessions_per_week)
    elif dosage.sessions_per_cycle and dosage.cycle_days:
        fields.update(sessions_per_cycle=dosage.sessions_per_cycle, cycle_days=dosage.cycle_days)
    return fields


def goal_weeks(policy, tier: int) -> float:
    """Weeks to the goal: the tier's shortest expected duration, else its minimum sessions at the
    policy's weekly dosage, else DEFAULT_GOAL_WEEKS."""
    if policy is None:
        return DEFAULT_GOAL_WEEKS
    try:
        policy_tier = policy.tier(tier)
    except LookupError:
        return DEFAULT_GOAL_WEEKS
    if policy_tier.expected_duration_weeks is not None:
        return policy_tier.expected_duration_weeks.min
    dosage = tier_dosage(policy, tier)
    weekly = dosage.get("sessions_per_week") or (
        dosage["sessions_per_cycle"] * 5 / dosage["cycle_days"] if dosage.get("cycle_days") else None
    )
    if policy_tier.min_sessions_before_decision and weekly:
        return policy_tier.min_sessions_before_decision / weekly
    return DEFAULT_GOAL_WEEKS


def plan_form_defaults(
    *, district: District, student, user, today: dt.date | None = None, review_item_id: int | None = None
) -> PlanDefaults:
    """The new plan form's initial values: the area, tier, measure and baseline of the flagged
    screening score, the tier's dosage from the policy, and a goal from the norms (with the rule)."""
    today = today or timezone.localdate()
    version, policy = policy_document(district=district, as_of=today)
    areas = [key for key, _name in area_choices(policy)]
    tiers = [number for number, _name in tier_choices(policy)]
    initial = {"provider": user.pk, "start_date": today, "goal_direction": Plan.Direction.UP}
    initial["area"] = "reading" if "reading" in areas else (areas[0] if areas else "")
    initial["tier"] = tiers[0] if tiers else 2
    defaults = PlanDefaults(initial=initial)
    score = flagged_score(district=district, student=student, today=today, review_item_id=review_item_id)
    if score is not None:
        defaults.score = score
        if score.area in areas:
            initial["area"] = score.area
        if score.tier in tiers:
            initial["tier"] = score.tier
    tier = initial["tier"]
    dosage = tier_dosage(policy, tier)
    initial.update(dosage)
    if dosage and policy is not None:
        defaults.dosage_note = _("Dosage from the policy (%(p)s) for %(tier)s.") % {
            "p": version.label,
            "tier": policy.tier(tier).name,
        }
    weeks = goal_weeks(policy, tier)
    goal_date = today + dt.timedelta(days=round(weeks * 7))
    initial["goal_target_date"] = goal_date
    initial["expected_end_date"] = goal_date
    if score is None:
        return defaults
    measure = score.measure
    pm = _policy_pm_measure(policy, measure)
    initial["goal_measure"] = (
        _measure_value(pm.name, pm.key) if pm is not None else _measure_value(measure.name, measure.key)
    )
    defaults.measure_note = _("From the flagged screening score: %(m)s on %(d)s (%(label)s).") % {
        "m": measure.name,
        "d": score.test_date.isoformat(),
        "label": score.risk_label or _("Tier %(t)s") % {"t": score.tier},
    }
    if score.score is None:
        defaults.goal_note = _("The screening score has a percentile but no raw score: enter baseline probes.")
        return defaults
    initial["baseline"] = f"{score.test_date.isoformat()}, {score.score:g}"
    goal = suggest_goal(
        district=district,
        policy=policy,
        measure_key=measure.key,
        grade=score.grade,
        baseline=float(score.score),
        start=today,
        goal_date=goal_date,
    )
    if goal is None:
        grade = _("kindergarten") if score.grade == 0 else _("grade %(g)s") % {"g": score.grade}
        defaults.norms_missing = _(
            "No percentile norms for %(m)s, %(grade)s: no goal is suggested; set the goal yourself."
        ) % {"m": measure.name, "grade": grade}
        return defaults
    initial["goal_target"] = _tidy(round(goal.target, 1))
    defaults.goal_note = goal.source
    return defaults
