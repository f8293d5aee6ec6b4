"""Reads of the early-warning flags: the agenda's, the review queue's and the dashboard's.

Every read takes the district first; the dashboard's student lists go through
students.access.visible_students, so a member sees only the students they may see.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass, field

from django.db.models import Count, Q, QuerySet

from mtss.models import District, Membership, School, SchoolYear
from students.access import visible_students
from students.early_warning.indicators import school_year_for
from students.early_warning.models import EarlyWarningFlag, EarlyWarningSnapshot
from students.models import SUBGROUPS, Student

ACTIVE = (EarlyWarningFlag.Status.OPEN, EarlyWarningFlag.Status.REVIEWED, EarlyWarningFlag.Status.DISMISSED)
INDICATORS = EarlyWarningFlag.Indicator


def flags_for_agenda(*, district: District, school: School, as_of: dt.date) -> QuerySet[EarlyWarningFlag]:
    """Open flags of the school's current students in the school year of `as_of` (the team has not yet
    reviewed them)."""
    year = school_year_for(district=district, as_of=as_of)
    if year is None:
        return EarlyWarningFlag.objects.none()
    return (
        EarlyWarningFlag.objects.filter(
            district=district,
            school_year=year,
            status=EarlyWarningFlag.Status.OPEN,
            student__school=school,
            student__exit_date__isnull=True,
        )
        .select_related("student")
        .order_by("student__last_name", "student__first_name", "indicator")
    )


def flag_get(*, district: District, membership: Membership, flag_id: int) -> EarlyWarningFlag:
    """One flag of a student the member may see, else 404."""
    from django.http import Http404

    flag = (
        EarlyWarningFlag.objects.filter(
            district=district, pk=flag_id, student__in=visible_students(district=district, membership=membership)
        )
        .select_related("student", "school")
        .first()
    )
    if flag is None:
        raise Http404
    return flag


def review_queue(*, district: District, membership: Membership, year: SchoolYear) -> QuerySet[EarlyWarningFlag]:
    """The flags still to review, of the students the member may see."""
    return (
        EarlyWarningFlag.objects.filter(
            district=district,
            school_year=year,
            status=EarlyWarningFlag.Status.OPEN,
            student__in=visible_students(district=district, membership=membership),
        )
        .select_related("student", "school")
        .order_by("school__name", "student__last_name", "student__first_name", "indicator")
    )


# --- the dashboard --------------------------------------------------------------------------------


@dataclass
class Breakdown:
    """Students flagged per indicator in one group (a school, a grade, a subgroup), with the group's n."""

    key: object
    label: str
    enrolled: int = 0
    flagged: dict[str, int] = field(default_factory=dict)
    any_flag: int = 0


def _students(district: District, year: SchoolYear, schools: list[School]) -> QuerySet[Student]:
    return Student.objects.filter(
        district=district,
        school__in=schools,
        entry_date__lte=year.end_date,
    ).filter(Q(exit_date__isnull=True) | Q(exit_date__gte=year.start_date))


def counts_by(*, district: District, year: SchoolYear, schools: list[School], by: str) -> list[Breakdown]:
    """Flagged students per indicator by school, grade or subgroup: aggregates in SQL, a few queries.

    Counts are of students (a student with two flags counts once in "any indicator")."""
    students = _students(district, year, schools)
    active = Q(
        early_warning_flags__school_year=year,
        early_warning_flags__status__in=ACTIVE,
        early_warning_flags__district=district,
    )
    annotations = {
        f"f_{indicator}": Count(
            "early_warning_flags__student", filter=active & Q(early_warning_flags__indicator=indicator), distinct=True
        )
        for indicator in INDICATORS.values
    }
    annotations["f_any"] = Count("early_warning_flags__student", filter=active, distinct=True)
    annotations["n"] = Count("pk", distinct=True)
    groups: list[tuple[object, str, QuerySet]] = []
    if by == "school":
        rows = students.values("school_id", "school__name").annotate(**annotations).order_by("school__name")
        return [_breakdown(r["school_id"], r["school__name"], r) for r in rows]
    if by == "grade":
        labels = dict(School.GRADE_CHOICES)
        rows = students.values("grade").annotate(**annotations).order_by("grade")
        return [_breakdown(r["grade"], f"Grade {labels.get(r['grade'], r['grade'])}", r) for r in rows]
    if by == "subgroup":
        for key, label in SUBGROUPS.items():
            groups.append((key, str(label), students.filter(**{key: True})))
        result = []
        for key, label, queryset in groups:
            row = queryset.aggregate(**annotations)
            if row["n"]:
                result.append(_breakdown(key, label, row))
        return result
    raise ValueError(f"unknown breakdown {by!r}")


def _breakdown(key, label, row) -> Breakdown:
    return Breakdown(
        key=key,
        label=label,
        enrolled=row["n"],
        flagged={indicator: row[f"f_{indicator}"] for indicator in INDICATORS.values},
        any_flag=row["f_any"],
    )


def trend(
    *, district: District, year: SchoolYear, schools: list[School]
) -> list[tuple[dt.date, dict[str, tuple[int, int]]]]:
    """Per computation day: {indicator: (flagged, enrolled)} over the schools, from the nightly snapshots."""
    rows = (
        EarlyWarningSnapshot.objects.filter(district=district, school_year=year, school__in=schools)
        .values("computed_on", "indicator")
        .annotate(flagged=_sum("flagged"), enrolled=_sum("enrolled"))
        .order_by("computed_on")
    )
    by_day: dict[dt.date, dict[str, tuple[int, int]]] = defaultdict(dict)
    for row in rows:
        by_day[row["computed_on"]][row["indicator"]] = (row["flagged"], row["enrolled"])
    return sorted(by_day.items())


def _sum(name: str):
    from django.db.models import Sum

    return Sum(name)


def drill_down(
    *, district: District, membership: Membership, year: SchoolYear, school: School, indicator: str | None = None
) -> QuerySet[EarlyWarningFlag]:
    """The flags behind a number of the dashboard: only students the member may see."""
    flags = EarlyWarningFlag.objects.filter(
        district=district,
        school_year=year,
        school=school,
        status__in=ACTIVE,
        student__in=visible_students(district=district, membership=membership),
    )
    if indicator:
        flags = flags.filter(indicator=indicator)
    return flags.select_related("student").order_by("student__last_name", "student__first_name", "indicator")
