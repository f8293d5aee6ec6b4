"""Reads of students, scoped by district and by what the user may see.

Who sees which student is decided in students/access.py (`visible_students`); every
read here starts from it. A student the user may not see answers 404, exactly like a
missing one.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.db.models import Count, Q, QuerySet
from django.http import Http404

from mtss.models import District, Membership
from students.access import in_open_tier, visible_students
from students.models import SUBGROUPS, Enrollment, Guardian, ParentConsultation, RosterSync, Student
from students.search import query_terms, search_students

#: How many students the header search suggests.
SUGGESTION_LIMIT = 8


@dataclass(frozen=True)
class StudentFilters:
    q: str = ""
    school_id: int | None = None
    grade: int | None = None
    subgroup: str | None = None
    tier: int | None = None
    include_exited: bool = False


def student_list(*, district: District, membership: Membership, filters: StudentFilters) -> QuerySet[Student]:
    students = visible_students(district=district, membership=membership).select_related("school")
    if not filters.include_exited:
        students = students.filter(exit_date__isnull=True)
    if filters.q:
        students = search_students(students, filters.q)
    if filters.school_id:
        students = students.filter(school_id=filters.school_id)
    if filters.grade is not None:
        students = students.filter(grade=filters.grade)
    if filters.subgroup in SUBGROUPS:
        students = students.filter(**{filters.subgroup: True})
    if filters.tier:
        students = students.filter(in_open_tier(filters.tier))
    return students.order_by("last_name", "first_name", "id")


def student_suggestions(*, district: District, membership: Membership, q: str) -> list[Student]:
    """The header search: the first SUGGESTION_LIMIT current students the member may see that match
    `q` (nothing for a query of fewer than two characters). One query."""
    if len("".join(query_terms(q))) < 2:
        return []
    students = visible_students(district=district, membership=membership).filter(exit_date__isnull=True)
    students = search_students(students, q).select_related("school")
    return list(students.order_by("last_name", "first_name", "id")[:SUGGESTION_LIMIT])


def student_get(*, district: District, membership: Membership | None, student_id: int) -> Student:
    """One student the user may see, else 404 (missing and not-yours look the same)."""
    try:
        return visible_students(district=district, membership=membership).select_related("school").get(pk=student_id)
    except Student.DoesNotExist:
        raise Http404 from None


def student_record(*, district: District, student: Student) -> dict:
    """What the record page shows besides the student row: a fixed number of queries."""
    return {
        "guardians": list(Guardian.objects.filter(district=district, student=student).order_by("id")),
        "enrollments": list(
            Enrollment.objects.filter(district=district, student=student)
            .select_related("school", "school_year")
            .order_by("-start_date")
        ),
        "placements": list(
            student.placements.filter(district=district).select_related("decided_by").order_by("area", "-start_date")
        ),
        "consultations": consultations(district=district, student=student),
    }


def open_tiers(*, district: District, student_ids: list[int]) -> dict[int, dict[str, int]]:
    """{student_id: {area: tier}} for the students on one page, in one query."""
    tiers: dict[int, dict[str, int]] = {}
    rows = Student.objects.filter(
        district=district, pk__in=student_ids, placements__district=district, placements__end_date__isnull=True
    ).values_list("pk", "placements__area", "placements__tier")
    for student_id, area, tier in rows:
        tiers.setdefault(student_id, {})[area] = tier
    return tiers


# --- parent consultations ----------------------------------------------------------------------

# A quarter is nine weeks of a 36-week school year (notifications' progress reports count the same).
QUARTER_WEEKS = 9


def quarter_of(day: dt.date, year_start: dt.date | None) -> tuple[int, dt.date, dt.date]:
    """(quarter 1-4, first day, last day): nine-week quarters from the first day of school; without
    a school year on the calendar, calendar quarters."""
    if year_start is None or day < year_start:
        first = dt.date(day.year, 3 * ((day.month - 1) // 3) + 1, 1)
        last = dt.date(first.year + (first.month == 10), (first.month + 2) % 12 + 1, 1) - dt.timedelta(days=1)
        return (day.month - 1) // 3 + 1, first, last
    index = min(3, (day - year_start).days // (QUARTER_WEEKS * 7))
    first = year_start + dt.timedelta(weeks=QUARTER_WEEKS * index)
    last = first + dt.timedelta(weeks=QUARTER_WEEKS, days=-1) if index < 3 else dt.date.max
    return index + 1, first, last


@dataclass
class ConsultationDue:
    student: Student
    held: int  # consultations held this quarter
    needed: int
    quarter: int
    quarter_end: dt.date

    @property
    def due(self) -> bool:
        return self.held < self.needed


def consultations_due(
    *, district: District, students: QuerySet[Student], as_of: dt.date, include_done: bool = False
) -> list[ConsultationDue]:
    """Students receiving services (an open general-education placement above Tier 1) whose
    parents have had fewer consultations this quarter than the policy's
    ``parent_contact.consultations_per_quarter`` (Holland Patent, seed 001: "at least once per
    quarter"). Two queries (plus the policy and the school year).

    Special-education tiers are left out: the IEP team meets the parents on its own schedule.
    """
    from mtss.calendars.selectors import school_year_current
    from mtss.selectors import policy_document

    _version, policy = policy_document(district=district, as_of=as_of)
    needed = policy.parent_contact.consultations_per_quarter if policy is not None else None
    if not needed:
        return []
    served = [tier.number for tier in policy.tiers if tier.number >= 2 and not tier.special_education]
    year = school_year_current(district=district, today=as_of)
    year_start = year.start_date if year is not None and year.start_date <= as_of <= year.end_date else None
    quarter, first, last = quarter_of(as_of, year_start)
    rows = (
        students.filter(
            district=district, exit_date__isnull=True, placements__end_date__isnull=True, placements__tier__in=served
        )
        .distinct()
        .annotate(
            held=Count(
                "consultations",
                distinct=True,
                filter=Q(consultations__held_on__gte=first, consultations__held_on__lte=last),
            )
        )
        .select_related("school")
        .order_by("last_name", "first_name", "id")
    )
    out = [ConsultationDue(student=s, held=s.held, needed=needed, quarter=quarter, quarter_end=last) for s in rows]
    return out if include_done else [row for row in out if row.due]


def consultations(*, district: District, student: Student) -> list[ParentConsultation]:
    return list(
        ParentConsultation.objects.filter(district=district, student=student)
        .select_related("guardian", "recorded_by")
        .order_by("-held_on", "-id")[:20]
    )


def roster_sync_get(*, district: District) -> RosterSync | None:
    """The district's OneRoster API connection, if it has one (with its last import run)."""
    return RosterSync.objects.filter(district=district).select_related("last_run").first()
