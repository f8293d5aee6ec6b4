"""Reads of students, scoped by district and by what the user may see.

Who sees which student is decided in students/access.py (`visible_students`); every
read here starts from it. A student the user may not see answers 404, exactly like a
missing one.
"""
from __future__ import annotations

from dataclasses import dataclass

from django.db.models import Q, QuerySet
from django.http import Http404

from mtss.models import District, Membership
from students.access import in_open_tier, visible_students
from students.models import SUBGROUPS, Enrollment, Guardian, Student


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
        for term in filters.q.split()[:4]:
            students = students.filter(
                Q(last_name__icontains=term)
                | Q(first_name__icontains=term)
                | Q(preferred_name__icontains=term)
                | Q(local_id__iexact=term)
            )
    if filters.school_id:
        students = students.filter(school_id=filters.school_id)
    if filters.grade is not None:
        students = students.filter(grade=filters.grade)
    if filters.subgroup in SUBGROUPS:
        students = students.filter(**{filters.subgroup: True})
    if filters.tier:
        students = students.filter(in_open_tier(filters.tier))
    return students.order_by("last_name", "first_name", "id")


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
            student.placements.filter(district=district)
            .select_related("decided_by")
            .order_by("area", "-start_date")
        ),
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
