"""Reads for the principal's fidelity dashboard and the district dashboard.

Every function takes the district first and the user's membership, and reads only
students the user may see (students.access.visible_students). Each runs a fixed
number of set-based queries, whatever the number of students, plans, sessions or
probes (the benchmark prints the count at two sizes); the per-plan arithmetic is
done on the few hundred rows a school has, or by the database's GROUP BY.

Fidelity follows RULES.md 3.2:

* planned sessions = the plan's sessions per week x the weeks of the range it was
  running (a cycle schedule counts sessions_per_cycle x 5 / cycle_days per week,
  interventions.models.Schedule.weekly_sessions); planned minutes = planned
  sessions x minutes per session;
* ``sessions_delivered_pct`` = sessions the student attended / planned (as the
  engine's fidelity rule counts them: attendance "present");
* ``dosage_minutes_pct`` = minutes of the sessions held for the plan (the student
  present or absent: the interventionist delivered) / planned minutes (dose delivered);
* ``student_exposure_pct`` = minutes the student attended / planned minutes (dose received).

A plan meets the policy's fidelity threshold (policy.fidelity.threshold_percent,
80 % by default, RULES.md 3.3) on the policy's basis: sessions, minutes (dose
received, as the engine's rule) or both.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from django.db.models import Case, Count, Exists, IntegerField, OuterRef, Q, QuerySet, Value, When
from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext as _

from interventions.batch_evaluation import EPOCH, attendance_rows, evaluate
from interventions.models import Attendance, Intervention, Plan, TierPlacement
from mtss.models import District, Membership, School, SchoolYear, User
from mtss.permissions import SCHOOL_WIDE, SEES_WHOLE_DISTRICT
from mtss.selectors import policy_document
from reports.models import DashboardCount, DashboardSnapshot, EffectSummary, PlanEvaluation
from screening.models import Score, ScreeningWindow
from screening.selectors import CHART_SCHOOLS
from students.access import visible_students
from students.models import SUBGROUPS, Student

if TYPE_CHECKING:
    import pandas as pd

HELD = (Attendance.Status.PRESENT, Attendance.Status.STUDENT_ABSENT)
DEFAULT_IDLE_DAYS = 14
# The 80/15/5 guideline (MTSS-RI, RULES.md 3.3: "at least 80% of students are meeting
# with success with Tier 1 supports alone"; about 15 % in Tier 2 and 5 % in Tier 3).
TIER_GUIDELINE = {1: 80.0, 2: 15.0, 3: 5.0}


# --- access ----------------------------------------------------------------------------------


def report_schools(*, district: District, membership: Membership) -> QuerySet[School]:
    """Schools the user may report on: every school for a district administrator, else the membership's."""
    schools = School.objects.filter(district=district).order_by("name")
    if membership.role in SEES_WHOLE_DISTRICT:
        return schools
    return schools.filter(id__in=membership.district_schools().values("id"))


def report_school_get(*, district: District, membership: Membership, school_id: int) -> School:
    """One school the user may report on, else 404 (another district's school looks missing)."""
    try:
        return report_schools(district=district, membership=membership).get(pk=school_id)
    except School.DoesNotExist:
        raise Http404 from None


def epoch_day(day: dt.date) -> int:
    return (day - EPOCH).days


def day_of(number: int) -> dt.date:
    return EPOCH + dt.timedelta(days=int(number))


def current_school_year(*, district: District, today: dt.date) -> SchoolYear | None:
    years = SchoolYear.objects.filter(district=district)
    return (
        years.filter(start_date__lte=today, end_date__gte=today).order_by("-start_date").first()
        or years.filter(start_date__lte=today).order_by("-start_date").first()
        or years.order_by("start_date").first()
    )


def default_range(*, district: District, today: dt.date) -> tuple[dt.date, dt.date]:
    """The school year to date, or the last eight weeks when the district has no school year."""
    year = current_school_year(district=district, today=today)
    if year is not None and year.start_date <= today:
        return year.start_date, min(today, year.end_date)
    return today - dt.timedelta(weeks=8), today


def fidelity_policy(*, district: District, as_of: dt.date) -> dict:
    version, policy = policy_document(district=district, as_of=as_of)
    if policy is None:
        return {
            "threshold": 80.0,
            "basis": "both",
            "must_match": False,
            "label": _("no policy: defaults (RULES.md 3.3)"),
        }
    return {
        "threshold": float(policy.fidelity.threshold_percent),
        "basis": policy.fidelity.basis,
        "must_match": policy.fidelity.session_minutes_must_match_dosage,
        "label": version.label,
    }


# --- the fidelity dashboard ------------------------------------------------------------------


@dataclass
class PlanFidelity:
    plan_id: int
    student_id: int
    student_name: str
    local_id: str
    grade: int
    subgroups: tuple[str, ...]
    tier: int
    area: str
    intervention_id: int
    intervention: str
    provider_id: int
    provider: str
    status: str
    start_date: dt.date
    weeks: float
    planned_sessions: float
    planned_minutes: float
    attended_sessions: int = 0
    short_sessions: int = 0  # attended but shorter than planned: not counted when the policy says so
    attended_minutes: int = 0
    held_sessions: int = 0
    held_minutes: int = 0
    last_session: dt.date | None = None
    meets_threshold: bool | None = None
    pm_status: str = "not_applicable"
    review_due: bool = False
    next_probe: dt.date | None = None
    probe_overdue: bool = False
    idle: bool = False
    recommendation: str = ""

    @property
    def sessions_pct(self) -> float | None:
        return self.attended_sessions / self.planned_sessions * 100 if self.planned_sessions else None

    @property
    def dosage_pct(self) -> float | None:
        return self.held_minutes / self.planned_minutes * 100 if self.planned_minutes else None

    @property
    def exposure_pct(self) -> float | None:
        return self.attended_minutes / self.planned_minutes * 100 if self.planned_minutes else None

    @property
    def active(self) -> bool:
        return self.status == Plan.Status.ACTIVE


def _weekly(per_week, per_cycle, cycle_days) -> float:
    # interventions.models.Schedule.weekly_sessions, on plain values.
    if per_week:
        return float(per_week)
    if per_cycle and cycle_days:
        return per_cycle * 5 / cycle_days
    return 0.0


def _meets(row: PlanFidelity, threshold: float, basis: str) -> bool | None:
    if not row.planned_sessions:
        return None
    checks = []
    if basis in ("sessions", "both"):
        checks.append(row.sessions_pct >= threshold - 1e-9)
    if basis in ("minutes", "both"):
        checks.append(row.exposure_pct >= threshold - 1e-9)
    return all(checks)


def fidelity_plans(
    *,
    district: District,
    membership: Membership,
    school: School,
    start: dt.date,
    end: dt.date,
    idle_days: int = DEFAULT_IDLE_DAYS,
    today: dt.date | None = None,
) -> list[PlanFidelity]:
    """Every plan of the school's visible students that ran during [start, end], with its numbers.

    Five queries: the plans, their attendance totals, the policy, and the engine's
    inputs (probes, attendance rows) for the active ones.
    """
    today = today or timezone.localdate()
    end = min(end, today)
    as_of = end
    students = visible_students(district=district, membership=membership).filter(school=school)
    rows = list(
        Plan.objects.filter(district=district, student__in=students.values("pk"), start_date__lte=end)
        .filter(Q(status=Plan.Status.ACTIVE) | Q(expected_end_date__gte=start))
        .exclude(status=Plan.Status.DRAFT)  # a draft delivers nothing yet: no fidelity to measure
        .order_by("student__last_name", "student__first_name", "id")
        .values_list(
            "id",
            "student_id",
            "student__last_name",
            "student__first_name",
            "student__preferred_name",
            "student__local_id",
            "student__grade",
            *[f"student__{k}" for k in SUBGROUPS],
            "tier",
            "area",
            "intervention_id",
            "intervention__name",
            "provider_id",
            "provider__first_name",
            "provider__last_name",
            "provider__username",
            "status",
            "start_date",
            "expected_end_date",
            "placement__end_date",
            "sessions_per_week",
            "sessions_per_cycle",
            "cycle_days",
            "minutes_per_session",
        )
    )
    n_sub = len(SUBGROUPS)
    plans: dict[int, PlanFidelity] = {}
    minutes_by_plan = []
    for row in rows:
        (plan_id, student_id, last, first, preferred, local_id, grade), flags = row[:7], row[7 : 7 + n_sub]
        (
            tier,
            area,
            intervention_id,
            intervention,
            provider_id,
            p_first,
            p_last,
            p_user,
            status,
            plan_start,
            expected_end,
            placement_end,
            per_week,
            per_cycle,
            cycle_days,
            minutes,
        ) = row[7 + n_sub :]
        # When a plan stopped running: still running if active; else the placement's end, else its expected end.
        stop = end if status == Plan.Status.ACTIVE else min(end, placement_end or expected_end)
        first_day = max(start, plan_start)
        days = (stop - first_day).days + 1
        if days <= 0:
            continue
        weeks = days / 7
        planned = _weekly(per_week, per_cycle, cycle_days) * weeks
        minutes_by_plan.append((plan_id, minutes))
        plans[plan_id] = PlanFidelity(
            plan_id=plan_id,
            student_id=student_id,
            student_name=f"{last}, {preferred or first}",
            local_id=local_id,
            grade=grade,
            subgroups=tuple(k for k, flag in zip(SUBGROUPS, flags, strict=False) if flag),
            tier=tier,
            area=area,
            intervention_id=intervention_id,
            intervention=intervention,
            provider_id=provider_id,
            provider=f"{p_first} {p_last}".strip() or p_user,
            status=status,
            start_date=plan_start,
            weeks=weeks,
            planned_sessions=planned,
            planned_minutes=planned * minutes,
        )
    if not plans:
        return []

    policy = fidelity_policy(district=district, as_of=as_of)
    # One read of the attendance rows: the range's totals come from them, and so do the
    # engine's session inputs (progress-monitoring frequency counts sessions).
    attendance = attendance_rows(district=district, plans=list(plans), until=end)
    minutes_of = dict(minutes_by_plan)
    first, last_day = epoch_day(start), epoch_day(end)
    for plan_id, day, minutes, status in attendance:
        row = plans[plan_id]
        if status in HELD:
            row.last_session = max(row.last_session or day, day)
            if first <= day <= last_day:
                row.held_sessions += 1
                row.held_minutes += minutes
                if status == Attendance.Status.PRESENT:
                    row.attended_minutes += minutes
                    # Loudon: "date and minutes per session must match the tier's recommended time"
                    # (policy.fidelity.session_minutes_must_match_dosage), as the engine's rule counts.
                    if minutes < minutes_of[plan_id]:
                        row.short_sessions += 1
                        if policy["must_match"]:
                            continue
                    row.attended_sessions += 1
    for row in plans.values():
        if row.last_session is not None:
            row.last_session = day_of(row.last_session)

    active_ids = [pid for pid, row in plans.items() if row.active]
    active = set(active_ids)
    results = (
        evaluate(
            district=district,
            plans=Plan.objects.filter(district=district, pk__in=active_ids),
            as_of=as_of,
            sessions=[r for r in attendance if r[0] in active],
        )
        if active_ids
        else None
    )
    idle_since = as_of - dt.timedelta(days=idle_days)
    for row in plans.values():
        row.meets_threshold = _meets(row, policy["threshold"], policy["basis"])
        if not row.active:
            continue
        row.idle = row.start_date <= idle_since and (row.last_session is None or row.last_session < idle_since)
        if results is not None and row.plan_id in results.index:
            result = results.loc[row.plan_id]
            row.pm_status = result["status_pm_frequency"]
            row.review_due = result["status_review_due"] == "due"
            row.recommendation = result["recommendation"]
            every = result["pm_every_days"]
            if every and every == every:  # not None, not NaN
                last = result["last_probe"]
                anchor = last if isinstance(last, dt.date) else result["start"].date()
                row.next_probe = anchor + dt.timedelta(days=int(every))
                row.probe_overdue = row.next_probe < as_of
    return list(plans.values())


@dataclass
class FidelityGroup:
    key: str
    label: str
    plans: list[PlanFidelity] = field(default_factory=list)

    def total(self, attribute: str) -> float:
        return sum(getattr(p, attribute) for p in self.plans)

    @property
    def n(self) -> int:
        return len(self.plans)

    @property
    def applicable(self) -> int:
        return sum(1 for p in self.plans if p.meets_threshold is not None)

    @property
    def meeting(self) -> int:
        return sum(1 for p in self.plans if p.meets_threshold)


def group_plans(rows: list[PlanFidelity], by: str) -> list[FidelityGroup]:
    """The plans grouped by one dimension, in a stable, readable order."""
    groups: dict[str, FidelityGroup] = {}

    def add(key, label, plan):
        groups.setdefault(str(key), FidelityGroup(key=str(key), label=label)).plans.append(plan)

    for plan in rows:
        if by == "provider":
            add(plan.provider_id, plan.provider, plan)
        elif by == "intervention":
            add(plan.intervention_id, plan.intervention, plan)
        elif by == "tier":
            add(plan.tier, _("Tier %(n)s") % {"n": plan.tier}, plan)
        elif by == "grade":
            add(plan.grade, grade_label(plan.grade), plan)
        elif by == "subgroup":
            for key in plan.subgroups:
                add(key, str(SUBGROUPS[key]), plan)
            if not plan.subgroups:
                add("none", _("No subgroup flag"), plan)
        else:
            raise ValueError(f"unknown dimension {by!r}")
    order = list(SUBGROUPS) + ["none"]
    if by == "subgroup":
        return sorted(groups.values(), key=lambda g: order.index(g.key))
    if by in ("tier", "grade"):
        return sorted(groups.values(), key=lambda g: int(g.key))
    return sorted(groups.values(), key=lambda g: g.label.lower())


def grade_label(grade: int) -> str:
    return dict(School.GRADE_CHOICES).get(grade, str(grade))


METRICS = {
    "all": lambda p: True,
    "meets": lambda p: p.meets_threshold is True,
    "below": lambda p: p.meets_threshold is False,
    "pm_compliant": lambda p: p.pm_status == "compliant",
    "pm_not_compliant": lambda p: p.pm_status == "not_compliant",
    "review_due": lambda p: p.review_due,
    "probe_overdue": lambda p: p.probe_overdue,
    "idle": lambda p: p.idle,
}


def filter_plans(rows: list[PlanFidelity], *, by: str | None, key: str | None, metric: str) -> list[PlanFidelity]:
    """The plans behind one number of the dashboard (a headline or a breakdown cell)."""
    if metric not in METRICS:
        raise ValueError(metric)
    if by:
        groups = {g.key: g for g in group_plans(rows, by)}
        rows = groups[key].plans if key in groups else []
    return [p for p in rows if METRICS[metric](p)]


def fidelity_headline(rows: list[PlanFidelity]) -> dict:
    everything = FidelityGroup(key="all", label=_("All plans"), plans=rows)
    active = [p for p in rows if p.active]
    pm_judged = [p for p in active if p.pm_status in ("compliant", "not_compliant")]
    return {
        "plans": len(rows),
        "active": len(active),
        "planned_sessions": everything.total("planned_sessions"),
        "attended_sessions": everything.total("attended_sessions"),
        "planned_minutes": everything.total("planned_minutes"),
        "held_minutes": everything.total("held_minutes"),
        "attended_minutes": everything.total("attended_minutes"),
        "applicable": everything.applicable,
        "meeting": everything.meeting,
        "pm_judged": len(pm_judged),
        "pm_compliant": sum(1 for p in pm_judged if p.pm_status == "compliant"),
        "review_due": sum(1 for p in active if p.review_due),
        "probe_overdue": sum(1 for p in active if p.probe_overdue),
        "idle": sum(1 for p in active if p.idle),
    }


def fidelity_sessions(*, district: District, plans: list[PlanFidelity], start: dt.date, end: dt.date) -> list[tuple]:
    """The attendance rows behind a drill-down: one per plan and session in the range (one query)."""
    names = {p.plan_id: p for p in plans}
    rows = (
        Attendance.objects.filter(
            district=district, plan_id__in=list(names), session__date__gte=start, session__date__lte=end
        )
        .order_by("session__date", "plan__student__last_name", "id")
        .values_list("plan_id", "session_id", "session__date", "session__minutes", "status", "session__group__name")
    )
    return [
        (names[plan_id], session_id, day, minutes, status, group or "")
        for plan_id, session_id, day, minutes, status, group in rows
    ]


# --- the district dashboard --------------------------------------------------------------------


def current_students(*, district: District, membership: Membership, on: dt.date | None = None) -> QuerySet[Student]:
    students = visible_students(district=district, membership=membership)
    if on is None:
        return students.filter(exit_date__isnull=True)
    return students.filter(entry_date__lte=on).filter(Q(exit_date__isnull=True) | Q(exit_date__gte=on))


def subgroup_mask(prefix: str = "") -> Case | Value:
    """One integer per row with a bit per subgroup flag (bit i = the i-th key of SUBGROUPS).

    Fetching one small integer instead of eight booleans keeps row-level reads light.
    """
    expression = None
    for bit, key in enumerate(SUBGROUPS):
        term = Case(
            When(**{f"{prefix}{key}": True}, then=Value(1 << bit)), default=Value(0), output_field=IntegerField()
        )
        expression = term if expression is None else expression + term
    return expression


def flags_of(mask: int) -> list[str]:
    return [key for bit, key in enumerate(SUBGROUPS) if mask & (1 << bit)]


def tier_distribution(*, district: District, membership: Membership, area: str | None) -> dict:
    """Students by school and tier (Tier 1 = no open placement above it), and by subgroup.

    Three GROUP BY queries over the current students: all of them, those with an open
    Tier 3+ placement, those with an open Tier 2 placement and none higher (in the
    area, or across areas). Each counts per school and per subgroup; the placement
    test is an EXISTS in the WHERE clause, which the database runs as a semi-join.
    """
    students = current_students(district=district, membership=membership)
    placements = TierPlacement.objects.filter(district=district, student_id=OuterRef("pk"), end_date__isnull=True)
    if area:
        placements = placements.filter(area=area)
    counts = {"n": Count("id"), **{f"n_{key}": Count("id", filter=Q(**{key: True})) for key in SUBGROUPS}}
    slices = {
        1: students,
        3: students.filter(Exists(placements.filter(tier__gte=3))),
        2: students.filter(Exists(placements.filter(tier=2))).exclude(Exists(placements.filter(tier__gte=3))),
    }
    by_school: dict[int, dict[int, int]] = defaultdict(lambda: {1: 0, 2: 0, 3: 0})
    by_subgroup: dict[str, dict[int, int]] = {key: {1: 0, 2: 0, 3: 0} for key in ["all", *SUBGROUPS]}
    for tier, rows in slices.items():
        for row in rows.order_by().values("school_id").annotate(**counts):
            by_school[row["school_id"]][tier] += row["n"]
            by_subgroup["all"][tier] += row["n"]
            for key in SUBGROUPS:
                by_subgroup[key][tier] += row[f"n_{key}"]
    # The first slice counted everyone as Tier 1: take the served students out.
    for table in (*by_school.values(), *by_subgroup.values()):
        table[1] -= table[2] + table[3]
    schools = {s.pk: s for s in School.objects.filter(district=district, pk__in=list(by_school)).order_by("name")}
    return {"schools": [(schools[pk], by_school[pk]) for pk in schools], "subgroups": by_subgroup}


@dataclass
class Movement:
    entries: int = 0
    exits: int = 0
    up: int = 0
    down: int = 0

    def add(self, kind: str) -> None:
        setattr(self, kind, getattr(self, kind) + 1)


CONTIGUOUS_DAYS = 7  # a new placement within a week of the last one ending is a move, not an exit and entry


def tier_movement(*, district: District, membership: Membership, year: SchoolYear, area: str | None) -> dict:
    """Entries into Tier 2+, exits back to Tier 1, moves up and down, during the school year.

    One query: the placements of visible students that touch the year, in order per
    student and area. A placement that starts within a week of the previous one
    ending continues it (a move up or down, or the same tier renewed); one that ends
    with nothing following returns the student to Tier 1 (an exit).
    """
    students = visible_students(district=district, membership=membership)
    placements = (
        TierPlacement.objects.filter(district=district, student__in=students.values("pk"))
        .filter(Q(end_date__isnull=True) | Q(end_date__gte=year.start_date - dt.timedelta(days=366)))
        .filter(start_date__lte=year.end_date)
    )
    if area:
        placements = placements.filter(area=area)
    rows = list(
        placements.order_by("student_id", "area", "start_date", "id")
        .values_list("student_id", "area", "tier", "start_date", "end_date", "student__school_id")
        .annotate(mask=subgroup_mask("student__"))
    )
    totals = Movement()
    by_school: dict[int, Movement] = defaultdict(Movement)
    by_subgroup: dict[str, Movement] = defaultdict(Movement)

    def count(kind, row):
        totals.add(kind)
        by_school[row[5]].add(kind)
        for key in flags_of(row[6]):
            by_subgroup[key].add(kind)

    def in_year(day):
        return day is not None and year.start_date <= day <= year.end_date

    for index, row in enumerate(rows):
        student_id, area_key, tier, begun, ended = row[:5]
        previous = rows[index - 1] if index and rows[index - 1][:2] == (student_id, area_key) else None
        following = rows[index + 1] if index + 1 < len(rows) and rows[index + 1][:2] == (student_id, area_key) else None
        if in_year(begun):
            joined = (
                previous is not None
                and previous[4] is not None
                and (begun - previous[4]).days <= CONTIGUOUS_DAYS
                and previous[2] >= 2
            )
            if joined:
                if tier > previous[2]:
                    count("up", row)
                elif tier < previous[2]:
                    count("down" if tier >= 2 else "exits", row)
            elif tier >= 2:
                count("entries", row)
        if tier >= 2 and in_year(ended):
            continued = following is not None and (following[3] - ended).days <= CONTIGUOUS_DAYS
            if not continued:
                count("exits", row)
    schools = {s.pk: s for s in School.objects.filter(district=district, pk__in=list(by_school)).order_by("name")}
    return {
        "total": totals,
        "schools": [(schools[pk], by_school[pk]) for pk in schools],
        "subgroups": dict(by_subgroup),
    }


def schools_to_chart(schools: list[tuple[School, dict[int, int]]], *, min_n: int) -> list[tuple[School, dict]]:
    """The schools the district's tier chart draws: all of them up to CHART_SCHOOLS (past it a chart is
    not read; the screening breakdown's limit too, and the table keeps every school), else the
    CHART_SCHOOLS with the smallest Tier 1 share among those with at least `min_n` students
    (where to look first, in a district of 1,000 schools), in that order."""
    if len(schools) <= CHART_SCHOOLS:
        return schools
    judged = [(school, counts) for school, counts in schools if sum(counts.values()) >= min_n]
    judged.sort(key=lambda sc: (sc[1].get(1, 0) / sum(sc[1].values()), sc[0].name))
    return judged[:CHART_SCHOOLS]


@dataclass
class Effect:
    """Responding share and rates of improvement for one group of evaluated plans.

    "Growth as % of goal" is the observed rate of improvement over the aim line's
    (roi / goal_roi): scale-free across measures, and the same for goals that fall
    (both slopes negative). Medians, not means: a few extreme slopes early in a
    plan do not move them.
    """

    label: str
    key: str = ""
    plans: int = 0
    responding: int = 0
    not_responding: int = 0
    growth_n: int = 0
    median_ratio: float | None = None
    median_roi: float | None = None
    median_goal_roi: float | None = None

    @property
    def judged(self) -> int:
        return self.responding + self.not_responding

    @classmethod
    def from_frame(cls, label: str, frame: pd.DataFrame, key: str = "") -> Effect:
        """From rows with columns response, roi and goal_roi."""
        effect = cls(label=label, key=key, plans=len(frame))
        if not len(frame):
            return effect
        effect.responding = int((frame["response"] == "responding").sum())
        effect.not_responding = int((frame["response"] == "not_responding").sum())
        growth = frame[frame["roi"].notna() & frame["goal_roi"].notna() & (frame["goal_roi"] != 0)]
        effect.growth_n = len(growth)
        if len(growth):
            effect.median_ratio = float((growth["roi"] / growth["goal_roi"]).median()) * 100
            effect.median_roi = float(growth["roi"].median())
            effect.median_goal_roi = float(growth["goal_roi"].median())
        return effect


EFFECT_COLUMNS = ["response", "roi", "goal_roi"]


def effectiveness(*, district: District, membership: Membership, area: str | None = None) -> dict:
    """Per intervention and per subgroup, from the latest evaluation snapshot (reports.models.PlanEvaluation).

    A user who sees the whole district reads the groups stored with the snapshot
    (EffectSummary); anyone else's students are grouped live: one query, the snapshot rows
    of visible students with the subgroup flags, grouped by pandas.
    """
    if _snapshot_schools(district=district, membership=membership) is None:
        stored = _stored_effectiveness(district=district, area=area)
        if stored is not None:
            return stored
    students = visible_students(district=district, membership=membership)
    rows = PlanEvaluation.objects.filter(district=district, student__in=students.values("pk"))
    if area:
        rows = rows.filter(area=area)
    frame = _effect_frame(rows)
    stamp = rows.order_by("-computed_at").values_list("as_of", "computed_at").first() or (None, None)
    return {**_effects(frame, intervention_names(district=district)), "as_of": stamp[0], "computed_at": stamp[1]}


def _effect_frame(rows: QuerySet[PlanEvaluation]) -> pd.DataFrame:
    """Snapshot rows as a frame: intervention_id, area, response, roi, goal_roi and the subgroup mask."""
    # Imported here, not at the top: every report page imports this module (issue 16, item 7).
    import pandas as pd

    columns = ["intervention_id", "area", *EFFECT_COLUMNS]
    frame = pd.DataFrame(
        list(rows.order_by().values_list(*columns).annotate(mask=subgroup_mask("student__"))),
        columns=[*columns, "mask"],
    )
    for column in ("roi", "goal_roi"):
        frame[column] = pd.to_numeric(frame[column]).astype(float)
    return frame


def _most_plans_first(effects: list[Effect]) -> list[Effect]:
    return sorted(effects, key=lambda e: (-e.plans, e.label.lower()))


def _effects(frame: pd.DataFrame, names: dict[int, str]) -> dict:
    """The effectiveness table's groups of one frame: per intervention, per subgroup, and all plans."""
    import numpy as np

    interventions = [
        Effect.from_frame(names.get(pk, str(pk)), group, key=str(pk))
        for pk, group in frame.groupby("intervention_id", sort=False)
    ]
    mask = frame["mask"].to_numpy(dtype="int64") if len(frame) else np.zeros(0, dtype="int64")
    return {
        "interventions": _most_plans_first(interventions),
        "subgroups": {
            key: Effect.from_frame(str(SUBGROUPS[key]), frame[(mask & (1 << bit)) != 0], key=key)
            for bit, key in enumerate(SUBGROUPS)
        },
        "all": Effect.from_frame(_("All plans"), frame, key="all"),
    }


EFFECT_SUMMARY_FIELDS = [
    "plans",
    "responding",
    "not_responding",
    "growth_n",
    "median_ratio",
    "median_roi",
    "median_goal_roi",
]


def effect_summaries(*, district: District, as_of: dt.date, computed_at: dt.datetime) -> list[EffectSummary]:
    """The whole district's effectiveness groups, per area and across areas, for EffectSummary.

    Read from the snapshot rows as they stand (reports.services.evaluations_refresh calls this
    in the transaction that wrote them), so the stored groups are those of the same snapshot.
    """
    frame = _effect_frame(PlanEvaluation.objects.filter(district=district))
    areas = {"", *frame["area"].unique(), *(key for key, _name in district_areas(district=district, today=as_of))}
    rows = []
    for area in sorted(areas):
        effects = _effects(frame[frame["area"] == area] if area else frame, names={})
        groups = [("intervention", e) for e in effects["interventions"]]
        groups += [("subgroup", e) for e in effects["subgroups"].values()] + [("all", effects["all"])]
        rows += [
            EffectSummary(
                district=district,
                area=area,
                group=group,
                key=e.key,
                as_of=as_of,
                computed_at=computed_at,
                **{name: getattr(e, name) for name in EFFECT_SUMMARY_FIELDS},
            )
            for group, e in groups
        ]
    return rows


def _stored_effectiveness(*, district: District, area: str | None) -> dict | None:
    """effectiveness() from EffectSummary; None when the snapshot has not stored this area's groups."""
    stored = list(EffectSummary.objects.filter(district=district, area=area or ""))
    everything = next((row for row in stored if row.group == "all"), None)
    if everything is None:
        return None
    names = intervention_names(district=district)

    def effect(row: EffectSummary, label: str) -> Effect:
        return Effect(label=label, key=row.key, **{name: getattr(row, name) for name in EFFECT_SUMMARY_FIELDS})

    interventions = [effect(row, names.get(int(row.key), row.key)) for row in stored if row.group == "intervention"]
    subgroups = {row.key: row for row in stored if row.group == "subgroup"}
    return {
        "interventions": _most_plans_first(interventions),
        "subgroups": {
            key: effect(subgroups[key], str(SUBGROUPS[key]))
            if key in subgroups
            else Effect(label=str(SUBGROUPS[key]), key=key)
            for key in SUBGROUPS
        },
        "all": effect(everything, _("All plans")),
        "as_of": everything.as_of,
        "computed_at": everything.computed_at,
    }


def screening_participation(*, district: District, membership: Membership, year: SchoolYear) -> dict:
    """Per screening window of the year: students enrolled during it, and how many have a score in it.

    Overall, by school and by subgroup; two queries per window at most (windows are
    three a year). Students count when enrolled on the window's last day.
    """
    windows = list(
        ScreeningWindow.objects.filter(district=district, school_year=year)
        .select_related("school_year")
        .order_by("start_date")
    )
    result = []
    for window in windows:
        screened = Q(Exists(Score.objects.filter(district=district, window=window, student_id=OuterRef("pk"))))
        students = current_students(district=district, membership=membership, on=window.end_date)
        # Annotation names must not be field names (n_english_learner, not english_learner).
        aggregates = {"n_all": Count("id"), "s_all": Count("id", filter=screened)}
        for key in SUBGROUPS:
            aggregates[f"n_{key}"] = Count("id", filter=Q(**{key: True}))
            aggregates[f"s_{key}"] = Count("id", filter=Q(**{key: True}) & screened)
        by_school = {}
        overall = defaultdict(int)
        for row in students.order_by().values("school_id").annotate(**aggregates):
            by_school[row["school_id"]] = (row["n_all"], row["s_all"])
            for name in aggregates:
                overall[name] += row[name]
        schools = {s.pk: s for s in School.objects.filter(district=district, pk__in=list(by_school))}
        result.append(
            {
                "window": window,
                "enrolled": overall["n_all"],
                "screened": overall["s_all"],
                "schools": sorted(((schools[pk], n, s) for pk, (n, s) in by_school.items()), key=lambda x: x[0].name),
                "subgroups": {key: (overall[f"n_{key}"], overall[f"s_{key}"]) for key in SUBGROUPS},
            }
        )
    return {"windows": result, "missing": False}


def district_areas(*, district: District, today: dt.date) -> list[tuple[str, str]]:
    _, policy = policy_document(district=district, as_of=today)
    if policy is None:
        return [
            (a, a) for a in sorted(set(TierPlacement.objects.filter(district=district).values_list("area", flat=True)))
        ]
    return [(area.key, area.name) for area in policy.areas]


def intervention_names(*, district: District) -> dict[int, str]:
    return dict(Intervention.objects.filter(district=district).values_list("pk", "name"))


def user_label(user: User) -> str:
    return user.get_full_name() or user.username


# --- the district dashboard, from its snapshot (reports.models.DashboardCount) -------------------

SNAPSHOT_COLUMNS = ["n", *(f"n_{key}" for key in SUBGROUPS)]


def _snapshot_schools(*, district: District, membership: Membership) -> QuerySet[School] | None:
    """The schools whose counts the user may see: None for all of them (a district administrator),
    the membership's for a school-wide role (who sees every student of them, students.access),
    none for the others (who see only some students of a school: no per-school count is theirs)."""
    if membership.role in SEES_WHOLE_DISTRICT:
        return None
    if membership.role in SCHOOL_WIDE:
        return membership.schools.filter(district=district)
    return School.objects.none()


def _snapshot_rows(rows: QuerySet, *fields: str) -> list[tuple]:
    return list(rows.order_by().values_list(*fields, *SNAPSHOT_COLUMNS))


def _split(counts) -> dict[str, int]:
    """{"all": n, <subgroup>: n_<subgroup>...} of a row's count columns."""
    return dict(zip(["all", *SUBGROUPS], counts, strict=True))


def dashboard_counts(*, district: District, membership: Membership, year: SchoolYear, area: str | None) -> dict:
    """The district dashboard's tiers, movement and participation, read from the snapshot.

    The same shapes as tier_distribution, tier_movement and screening_participation (which
    count live, and which the snapshot's test compares with), in six queries whatever the
    district's size: the stamp, three sections' per-school rows, the year's windows and the
    schools' names. ``computed_at`` is None when the district has no snapshot yet.
    """
    stamp = DashboardSnapshot.objects.filter(district=district).values_list("computed_at", flat=True).first()
    counts = DashboardCount.objects.filter(district=district)
    schools_seen = _snapshot_schools(district=district, membership=membership)
    if schools_seen is not None:
        counts = counts.filter(school_id__in=schools_seen.values("id"))
    sections = DashboardCount.Section
    tier_rows = _snapshot_rows(counts.filter(section=sections.TIER, area=area or ""), "school_id", "measure")
    movement_rows = counts.filter(section=sections.MOVEMENT, school_year=year)
    if area:
        movement_rows = movement_rows.filter(area=area)
    movement_rows = _snapshot_rows(movement_rows, "school_id", "measure")
    windows = list(ScreeningWindow.objects.filter(district=district, school_year=year).order_by("start_date"))
    participation_rows = _snapshot_rows(
        counts.filter(section=sections.PARTICIPATION, window__in=[w.pk for w in windows]),
        "window_id",
        "school_id",
        "measure",
    )
    school_ids = (
        {row[0] for row in tier_rows} | {row[0] for row in movement_rows} | {row[1] for row in participation_rows}
    )
    schools = {s.pk: s for s in School.objects.filter(district=district, pk__in=school_ids).order_by("name")}

    # Tiers: per school, and per subgroup summed over the schools.
    by_school: dict[int, dict[int, int]] = defaultdict(lambda: {1: 0, 2: 0, 3: 0})
    by_subgroup: dict[str, dict[int, int]] = {key: {1: 0, 2: 0, 3: 0} for key in ["all", *SUBGROUPS]}
    for school_id, measure, *numbers in tier_rows:
        tier = int(measure)
        by_school[school_id][tier] += numbers[0]
        for key, n in _split(numbers).items():
            by_subgroup[key][tier] += n
    tiers = {
        "schools": [(school, by_school[pk]) for pk, school in schools.items() if pk in by_school],
        "subgroups": by_subgroup,
    }

    # Movement: across areas is the sum of the areas' rows.
    total = Movement()
    moved_school: dict[int, Movement] = defaultdict(Movement)
    moved_subgroup: dict[str, Movement] = defaultdict(Movement)
    for school_id, kind, *numbers in movement_rows:
        setattr(total, kind, getattr(total, kind) + numbers[0])
        school_movement = moved_school[school_id]
        setattr(school_movement, kind, getattr(school_movement, kind) + numbers[0])
        for key, n in list(_split(numbers).items())[1:]:
            if n:
                setattr(moved_subgroup[key], kind, getattr(moved_subgroup[key], kind) + n)
    movement = {
        "total": total,
        "schools": [(school, moved_school[pk]) for pk, school in schools.items() if pk in moved_school],
        "subgroups": dict(moved_subgroup),
    }

    # Participation: per window, enrolled and screened, per school and per subgroup.
    per_window: dict[int, dict[tuple[int, str], list[int]]] = defaultdict(dict)
    for window_id, school_id, measure, *numbers in participation_rows:
        per_window[window_id][(school_id, measure)] = numbers
    result = []
    zero = [0] * len(SNAPSHOT_COLUMNS)
    for window in windows:
        cells = per_window.get(window.pk, {})
        enrolled = [sum(col) for col in zip(zero, *(v for (_s, m), v in cells.items() if m == "enrolled"), strict=True)]
        screened = [sum(col) for col in zip(zero, *(v for (_s, m), v in cells.items() if m == "screened"), strict=True)]
        result.append(
            {
                "window": window,
                "enrolled": enrolled[0],
                "screened": screened[0],
                "schools": [
                    (school, cells[(pk, "enrolled")][0], cells.get((pk, "screened"), zero)[0])
                    for pk, school in schools.items()
                    if (pk, "enrolled") in cells
                ],
                "subgroups": {key: (n, s) for key, n, s in zip(SUBGROUPS, enrolled[1:], screened[1:], strict=True)},
            }
        )
    return {
        "tiers": tiers,
        "movement": movement,
        "participation": {"windows": result, "missing": False},
        "computed_at": stamp,
    }
