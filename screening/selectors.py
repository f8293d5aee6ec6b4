"""Reads of screening, scoped by district and by what the user may see.

Aggregates (the school x grade x measure breakdown, the subgroup split) are
restricted to the membership's schools (mtss.selectors.school_list). Lists that
name students (the review queue, mid-year entrants, API scores) go through
students.access.visible_students, so a student the user may not see is never
listed and answers 404 like a missing one.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field
from itertools import groupby

from django.db.models import Count, Exists, OuterRef, Prefetch, Q, QuerySet
from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext as _

from mtss.models import District, Membership, School
from mtss.selectors import policy_document, school_list
from screening import risk
from screening.models import (
    Assessment,
    ColumnMapping,
    ImportRowError,
    Measure,
    NormPoint,
    NormTable,
    ReviewItem,
    Score,
    ScreeningWindow,
)
from students.access import visible_students
from students.models import SUBGROUPS, ImportRun, Student

IMPORT_KINDS = (ImportRun.Kind.ROSTER, ImportRun.Kind.SCORES, "norms")
# More schools than this in a selection chart per grade, not per school (see `breakdown`).
CHART_SCHOOLS = 30
# Schools per page of the breakdown table.
BREAKDOWN_SCHOOLS_PAGE = 25
# The subgroup split shows these first: closing the gaps of English learners and students
# with disabilities is what LAUSD's plan is about (DOMAIN.md); then the other subgroups.
SUBGROUP_ORDER = [
    "english_learner",
    "disability_iep",
    "standard_english_learner",
    "socioeconomically_disadvantaged",
    "foster",
    "homeless",
    "section_504",
    "gifted",
    "expelled",
]


# --- catalog and windows ------------------------------------------------------------------------


def catalog(*, district: District) -> list[Assessment]:
    measures = Measure.objects.filter(district=district).order_by("name")
    return list(
        Assessment.objects.filter(district=district)
        .order_by("name")
        .prefetch_related(Prefetch("measures", queryset=measures))
    )


def catalog_measure_names(*, district: District) -> list[tuple[str, str, list]]:
    """(key, name, import names) of every catalog measure: one query."""
    return list(Measure.objects.filter(district=district).values_list("key", "name", "import_names"))


def measure_score_range(*, district: District, key: str | None):
    """The score range of the catalog measure `key` (screening.scores.ScoreRange), or None."""
    from screening.scores import ScoreRange

    if not key:
        return None
    measure = Measure.objects.filter(district=district, key=key).only("name", "min_score", "max_score").first()
    return ScoreRange.of(measure) if measure is not None else None


def percentile_norm_rows(*, district: District, measure_keys) -> list[tuple]:
    """Every percentile norm point of the measures, one query: (measure key, norm group, table
    name, illustrative, grade, season, percentile, score)."""
    return list(
        NormPoint.objects.filter(
            district=district,
            table__kind=NormTable.Kind.PERCENTILE,
            table__measure__key__in=list(measure_keys),
            percentile__isnull=False,
        ).values_list(
            "table__measure__key",
            "table__norm",
            "table__name",
            "table__illustrative",
            "grade",
            "season",
            "percentile",
            "score",
        )
    )


def norm_tables(*, district: District) -> list[NormTable]:
    return list(
        NormTable.objects.filter(district=district)
        .select_related("measure")
        .annotate(points_count=Count("points"))
        .order_by("measure__name", "kind", "norm")
    )


def measures(*, district: District) -> QuerySet[Measure]:
    return Measure.objects.filter(district=district).select_related("assessment").order_by("name")


def measure_get(*, district: District, measure_id: int) -> Measure:
    try:
        return Measure.objects.select_related("assessment").get(district=district, pk=measure_id)
    except Measure.DoesNotExist:
        raise Http404 from None


def measure_policy_links(*, district: District, as_of: dt.date | None = None) -> dict[int, str]:
    """{measure id: "policy measure name (key)"} under the policy in effect: which rule bands each measure."""
    version, policy = policy_document(district=district, as_of=as_of)
    if policy is None:
        return {}
    links = {}
    for measure in Measure.objects.filter(district=district):
        found = risk.find_policy_measure(policy, measure.policy_keys or [measure.key], policy_label=version.label)
        if found is not None:
            links[measure.pk] = f"{found.measure.name} ({found.path}, {version.label})"
    return links


def windows(*, district: District) -> QuerySet[ScreeningWindow]:
    return ScreeningWindow.objects.filter(district=district).select_related("school_year").order_by("-start_date")


def window_get(*, district: District, window_id: int) -> ScreeningWindow:
    try:
        return ScreeningWindow.objects.select_related("school_year").get(district=district, pk=window_id)
    except ScreeningWindow.DoesNotExist:
        raise Http404 from None


def default_window(*, district: District, today: dt.date | None = None) -> ScreeningWindow | None:
    """The window under way, else the last one begun, else the first to come."""
    today = today or timezone.localdate()
    qs = windows(district=district)
    return (
        qs.filter(start_date__lte=today, end_date__gte=today).first()
        or qs.filter(start_date__lte=today).first()
        or qs.order_by("start_date").first()
    )


def mappings(*, district: District) -> QuerySet[ColumnMapping]:
    return ColumnMapping.objects.filter(district=district).select_related("measure").order_by("name")


def mapping_get(*, district: District, mapping_id: int) -> ColumnMapping:
    try:
        return ColumnMapping.objects.select_related("measure").get(district=district, pk=mapping_id)
    except ColumnMapping.DoesNotExist:
        raise Http404 from None


# --- the breakdown -------------------------------------------------------------------------------


@dataclass
class TierCounts:
    tier1: int = 0
    tier2: int = 0
    tier3: int = 0
    not_computed: int = 0

    @property
    def banded(self) -> int:
        return self.tier1 + self.tier2 + self.tier3

    @property
    def total(self) -> int:
        return self.banded + self.not_computed

    def share(self, tier: int) -> float | None:
        if not self.banded:
            return None
        return 100.0 * (self.tier1, self.tier2, self.tier3)[tier - 1] / self.banded

    @property
    def shares(self) -> list[float | None]:
        return [self.share(1), self.share(2), self.share(3)]

    @property
    def at_risk_share(self) -> float | None:
        return None if not self.banded else 100.0 * (self.tier2 + self.tier3) / self.banded

    def add(self, other: TierCounts) -> None:
        self.tier1 += other.tier1
        self.tier2 += other.tier2
        self.tier3 += other.tier3
        self.not_computed += other.not_computed

    @property
    def guideline(self) -> dict:
        return risk.tier_shares({1: self.tier1, 2: self.tier2, 3: self.tier3})


@dataclass
class BreakdownRow:
    school: School
    grade: int
    measure: Measure
    counts: TierCounts

    @property
    def grade_label(self) -> str:
        return dict(School.GRADE_CHOICES).get(self.grade, str(self.grade))


@dataclass
class Breakdown:
    rows: list[BreakdownRow] = field(default_factory=list)
    total: TierCounts = field(default_factory=TierCounts)
    chart: list[tuple[str, TierCounts]] = field(default_factory=list)  # (label, counts) per bar
    chart_by: str = ""

    def school_groups(self) -> list[list[BreakdownRow]]:
        """The rows, one list per school (rows are sorted school first), for paging the table by school."""
        return [list(rows) for _, rows in groupby(self.rows, key=lambda r: r.school.pk)]


def _tier_aggregates(prefix: str = "") -> dict:
    return {
        "tier1": Count("id", filter=Q(tier=1)),
        "tier2": Count("id", filter=Q(tier=2)),
        "tier3": Count("id", filter=Q(tier=3)),
        "not_computed": Count("id", filter=Q(tier__isnull=True)),
    }


def _scores(
    *,
    district: District,
    membership: Membership,
    window: ScreeningWindow,
    school_id: int | None,
    grade: int | None,
    measure_id: int | None,
) -> QuerySet[Score]:
    schools = school_list(district=district, membership=membership).values("id")
    scores = Score.objects.filter(district=district, window=window, school_id__in=schools)
    if school_id:
        scores = scores.filter(school_id=school_id)
    if grade is not None:
        scores = scores.filter(grade=grade)
    if measure_id:
        scores = scores.filter(measure_id=measure_id)
    return scores


def breakdown(
    *,
    district: District,
    membership: Membership,
    window: ScreeningWindow,
    school_id: int | None = None,
    grade: int | None = None,
    measure_id: int | None = None,
) -> Breakdown:
    """Risk levels of one window by school, grade and measure: one aggregate query, whatever the size."""
    scores = _scores(
        district=district, membership=membership, window=window, school_id=school_id, grade=grade, measure_id=measure_id
    )
    grouped = list(scores.values("school_id", "grade", "measure_id").annotate(**_tier_aggregates()))
    schools = {s.pk: s for s in School.objects.filter(district=district, pk__in={g["school_id"] for g in grouped})}
    measure_rows = {
        m.pk: m for m in Measure.objects.filter(district=district, pk__in={g["measure_id"] for g in grouped})
    }
    result = Breakdown()
    for g in grouped:
        counts = TierCounts(g["tier1"], g["tier2"], g["tier3"], g["not_computed"])
        result.rows.append(BreakdownRow(schools[g["school_id"]], g["grade"], measure_rows[g["measure_id"]], counts))
        result.total.add(counts)
    result.rows.sort(key=lambda r: (r.school.name, r.school.pk, r.grade, r.measure.name))
    # The chart: one bar per school and measure while the schools fit on a readable chart; per grade
    # and measure within one school, or across the selection when it spans more schools than that (a
    # district of 1,000 schools would otherwise draw 2,000 bars no one can read; the table has them).
    bars: dict[tuple, TierCounts] = {}
    result.chart_by = "grade" if school_id or len(schools) > CHART_SCHOOLS else "school"
    by_grade = result.chart_by == "grade"
    for row in result.rows:
        label = (_("Grade %(grade)s") % {"grade": row.grade_label} if by_grade else row.school.name) + (
            f" · {row.measure.name}"
        )
        order = (row.grade if by_grade else row.school.name, row.measure.name)
        bars.setdefault((order, label), TierCounts()).add(row.counts)
    result.chart = [(label, counts) for (_, label), counts in sorted(bars.items())]
    return result


@dataclass
class SubgroupRow:
    key: str
    label: str
    members: TierCounts
    others: TierCounts

    @property
    def gap(self) -> float | None:
        """At-risk share of the subgroup minus that of the other students (percentage points)."""
        if self.members.at_risk_share is None or self.others.at_risk_share is None:
            return None
        return self.members.at_risk_share - self.others.at_risk_share


def subgroup_breakdown(
    *,
    district: District,
    membership: Membership,
    window: ScreeningWindow,
    school_id: int | None = None,
    grade: int | None = None,
    measure_id: int | None = None,
) -> tuple[TierCounts, list[SubgroupRow]]:
    """Tier shares of each subgroup against the other students, in one aggregate query."""
    scores = _scores(
        district=district, membership=membership, window=window, school_id=school_id, grade=grade, measure_id=measure_id
    )
    aggregates = {}
    for key in SUBGROUP_ORDER:
        member = Q(**{f"student__{key}": True})
        for name, condition in (("1", Q(tier=1)), ("2", Q(tier=2)), ("3", Q(tier=3)), ("n", Q(tier__isnull=True))):
            aggregates[f"{key}__in__{name}"] = Count("id", filter=member & condition)
    aggregates.update(_tier_aggregates())
    values = scores.aggregate(**aggregates)
    total = TierCounts(values["tier1"], values["tier2"], values["tier3"], values["not_computed"])
    rows = []
    for key in SUBGROUP_ORDER:
        members = TierCounts(*(values[f"{key}__in__{n}"] or 0 for n in ("1", "2", "3", "n")))
        others = TierCounts(
            total.tier1 - members.tier1,
            total.tier2 - members.tier2,
            total.tier3 - members.tier3,
            total.not_computed - members.not_computed,
        )
        rows.append(SubgroupRow(key, str(SUBGROUPS[key]), members, others))
    return total, rows


def window_grades(*, district: District, window: ScreeningWindow) -> list[int]:
    # order_by(): Score's default ordering (test date, id) would join the DISTINCT and make it
    # one row per score (a 500 ms sort of 800,000 rows at 400,000 students).
    return sorted(
        Score.objects.filter(district=district, window=window).order_by().values_list("grade", flat=True).distinct()
    )


def window_measures(*, district: District, window: ScreeningWindow) -> list[Measure]:
    ids = Score.objects.filter(district=district, window=window).order_by().values("measure_id").distinct()
    return list(Measure.objects.filter(district=district, pk__in=ids).order_by("name"))


# --- review queue ---------------------------------------------------------------------------------


def review_queue(
    *, district: District, membership: Membership, window: ScreeningWindow, status: str = ReviewItem.Status.OPEN
) -> QuerySet[ReviewItem]:
    visible = visible_students(district=district, membership=membership).values("id")
    items = ReviewItem.objects.filter(district=district, window=window, student_id__in=visible)
    if status:
        items = items.filter(status=status)
    return items.select_related("student", "student__school", "score", "score__measure", "decided_by").order_by(
        "student__school__name", "student__grade", "student__last_name", "student__first_name", "id"
    )


def review_counts(*, district: District, membership: Membership, window: ScreeningWindow) -> dict[str, int]:
    visible = visible_students(district=district, membership=membership).values("id")
    rows = (
        ReviewItem.objects.filter(district=district, window=window, student_id__in=visible)
        .values("status")
        .annotate(n=Count("id"))
    )
    counts = dict.fromkeys(ReviewItem.Status.values, 0)
    counts.update({r["status"]: r["n"] for r in rows})
    return counts


def review_item_get(*, district: District, membership: Membership, item_id: int) -> ReviewItem:
    visible = visible_students(district=district, membership=membership).values("id")
    try:
        return ReviewItem.objects.select_related("student", "score", "window").get(
            district=district, pk=item_id, student_id__in=visible
        )
    except ReviewItem.DoesNotExist:
        raise Http404 from None


# --- eligibility groups and completion deadlines ---------------------------------------------------

ELIGIBLE_SHOWN = 200


@dataclass
class EligibleGroup:
    key: str
    description: str
    students: list[Student]
    total: int
    judged_by_team: bool = False  # the group names no subgroup: the team judges each student


def eligibility_groups(*, district: District, membership: Membership, window: ScreeningWindow) -> list[EligibleGroup]:
    """Students eligible for services through the policy's ``screening.eligibility_groups``,
    besides those below a measure's cut point, who are not yet served (no open placement above
    Tier 1 in the group's areas).

    Holland Patent (seed 001): eligible are also "Students who are limited English proficient
    and do not meet performance standards in English Language Arts" (a subgroup and an area:
    the student's score in that area in this window is at risk), "Students enrolled in a
    bilingual program who do not meet performance standards in their native language" and
    "Students identified as homeless" (a subgroup alone). One query per group.
    """
    _version, policy = policy_document(district=district, as_of=window.end_date)
    if policy is None:
        return []
    out = []
    for group in policy.screening.eligibility_groups:
        if not group.subgroups:
            out.append(EligibleGroup(group.key, group.description, [], 0, judged_by_team=True))
            continue
        in_group = Q()
        for subgroup in group.subgroups:
            in_group |= Q(**{subgroup: True})
        served = Q(placements__end_date__isnull=True, placements__tier__gte=2)
        if group.areas:
            served &= Q(placements__area__in=group.areas)
        students = (
            visible_students(district=district, membership=membership)
            .filter(in_group, exit_date__isnull=True)
            .exclude(served)
        )
        if group.areas:
            students = students.filter(
                screening_scores__window=window, screening_scores__area__in=group.areas, screening_scores__tier__gte=2
            )
        students = students.distinct().select_related("school").order_by("last_name", "first_name", "id")
        shown = list(students[:ELIGIBLE_SHOWN])
        total = len(shown) if len(shown) < ELIGIBLE_SHOWN else students.count()
        out.append(EligibleGroup(group.key, group.description, shown, total))
    return out


@dataclass
class Deadline:
    measure: str
    due: dt.date
    screened: int
    overdue: bool


def screening_deadlines(*, district: District, window: ScreeningWindow, today: dt.date) -> list[Deadline]:
    """The policy's ``screening.measures[].complete_by`` dates for this window's season (Ohio
    Virtual Academy: the fall reading diagnostic by September 30, RULES.md 4.5), with how many
    students have a score of that measure in the window."""
    version, policy = policy_document(district=district, as_of=window.start_date)
    if policy is None:
        return []
    year_start = window.school_year.start_date
    by_policy_key: dict[str, list[int]] = {}
    for measure in Measure.objects.filter(district=district).only("pk", "key", "policy_keys"):
        found = risk.find_policy_measure(policy, measure.policy_keys or [measure.key])
        if found is not None:
            by_policy_key.setdefault(found.measure.key, []).append(measure.pk)
    deadlines = []
    for measure in policy.screening.measures:
        month_day = measure.complete_by.get(window.season)
        if not month_day:
            continue
        month, day = (int(part) for part in month_day.split("-"))
        due = dt.date(year_start.year, month, day)
        if due < year_start:
            due = dt.date(year_start.year + 1, month, day)
        ids = by_policy_key.get(measure.key, [])
        screened = (
            (
                Score.objects.filter(district=district, window=window, measure_id__in=ids)
                .values("student_id")
                .distinct()
                .count()
            )
            if ids
            else 0
        )
        deadlines.append(Deadline(measure.name, due, screened, today > due))
    return deadlines


# --- mid-year entrants ----------------------------------------------------------------------------

ENTRANTS_SHOWN = 200


@dataclass
class Entrant:
    student: Student
    status: risk.MidYearStatus
    # What the policy asks the school to do for a new student besides the screening.
    tasks: list[str] = field(default_factory=list)


def entrant_tasks(rule) -> list[str]:
    """The policy's mid_year_entry steps besides screening: review the records from the previous
    school (``review_records``), tell the parents (``notify_parents``), and bring the student to
    the team if found at risk (``team_meeting_if_at_risk``; the agenda builder does that)."""
    if rule is None:
        return []
    tasks = []
    if rule.review_records:
        tasks.append(_("review the records from the previous school"))
    if rule.notify_parents:
        tasks.append(_("tell the parents about the screening"))
    if rule.team_meeting_if_at_risk:
        tasks.append(_("a team meeting if found at risk"))
    return tasks


def mid_year_entrants(
    *, district: District, membership: Membership, window: ScreeningWindow, today: dt.date | None = None
) -> tuple[list[Entrant], int, object]:
    """Students who entered after the school year's first window and still need a screening.

    Returns (the first ENTRANTS_SHOWN, how many in all, the policy's rule). The rule is
    the policy's `mid_year_entry` in effect today (screening/risk.py `mid_year_screening_due`).
    """
    today = today or timezone.localdate()
    year = window.school_year
    year_windows = list(ScreeningWindow.objects.filter(district=district, school_year=year).order_by("start_date"))
    if not year_windows:
        return [], 0, None
    _, policy = policy_document(district=district, as_of=today)
    rule = policy.mid_year_entry if policy is not None else None
    spans = [(w.start_date, w.end_date, f"{w.get_season_display().lower()} {year.name}") for w in year_windows]
    screened = Score.objects.filter(district=district, student_id=OuterRef("pk"), test_date__gte=OuterRef("entry_date"))
    candidates = (
        visible_students(district=district, membership=membership)
        .filter(
            exit_date__isnull=True, entry_date__gt=year_windows[0].start_date, entry_date__lte=min(today, year.end_date)
        )
        .annotate(screened=Exists(screened))
        .filter(screened=False)
        .select_related("school")
        .order_by("entry_date", "last_name", "first_name", "id")
    )
    shown, total = [], 0
    for student in candidates.iterator(chunk_size=2000):
        status = risk.mid_year_screening_due(
            entry_date=student.entry_date, windows=spans, screened_since_entry=False, rule=rule, today=today
        )
        if status is None:
            continue
        total += 1
        if len(shown) < ENTRANTS_SHOWN:
            shown.append(Entrant(student, status, entrant_tasks(rule)))
    return shown, total, rule


# --- imports -------------------------------------------------------------------------------------------


def import_runs(*, district: District) -> QuerySet[ImportRun]:
    return ImportRun.objects.filter(district=district).select_related("started_by").order_by("-started_at", "-id")


def import_run_get(*, district: District, run_id: int) -> ImportRun:
    try:
        return ImportRun.objects.select_related("started_by").get(district=district, pk=run_id)
    except ImportRun.DoesNotExist:
        raise Http404 from None


def import_errors(*, district: District, run: ImportRun):
    """Every rejected row of a run (ImportRowError), else the run's own first 1,000."""
    stored = ImportRowError.objects.filter(district=district, run=run).order_by("position")
    if stored.exists():
        return stored.values("file", "line", "column", "reason").iterator(chunk_size=5000)
    return iter(run.errors)


# The two reasons of screening.importers.pipeline that quote a student id from the file.
_QUOTED_STUDENT_KEY = re.compile(r"^(?:no student with local id or state id (\S+) in|state id (\S+) belongs to)")


def import_error_student_ids(*, district: District, run: ImportRun) -> list[int]:
    """The students whose ids the rejected rows of a run quote (the CSV's access-log row).

    An id that matched no student at import time may match one added since: logging it then
    says what the file disclosed about that student.
    """
    keys = set()
    for error in import_errors(district=district, run=run):
        match = _QUOTED_STUDENT_KEY.match(str(error.get("reason") or ""))
        if match:
            keys.add(match.group(1) or match.group(2))
    if not keys:
        return []
    return sorted(
        Student.objects.filter(district=district)
        .filter(Q(local_id__in=keys) | Q(state_id__in=keys))
        .values_list("pk", flat=True)
    )


# --- scores (API, student record) ---------------------------------------------------------------------------


def visible_scores(*, district: District, membership: Membership) -> QuerySet[Score]:
    visible = visible_students(district=district, membership=membership).values("id")
    return Score.objects.filter(district=district, student_id__in=visible).select_related(
        "measure", "window", "window__school_year"
    )


def student_scores(*, district: District, student: Student) -> list[Score]:
    """A student's screening results, newest first (the record page)."""
    return list(
        Score.objects.filter(district=district, student=student)
        .select_related("measure", "window", "window__school_year")
        .order_by("-test_date", "measure__name")
    )
