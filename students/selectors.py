"""Reads of students, scoped by district and by what the user may see.

Who sees which student (the README's permission matrix):

| role                     | sees                                                              |
|--------------------------|-------------------------------------------------------------------|
| district_admin           | every student in the district                                     |
| principal                | students of the membership's schools                              |
| psychologist, counselor  | students of the membership's schools                              |
| read_only                | students of the membership's schools (no writes)                  |
| intervention_specialist  | own caseload (guardian grant) + students in tier 2 or above in own schools |
| teacher                  | own enrolled students (guardian grant from the roster)           |

A student the user may not see answers 404, exactly like a missing one.
"""
from __future__ import annotations

from dataclasses import dataclass

from django.db.models import Exists, OuterRef, Q, QuerySet
from django.http import Http404

from interventions.models import TierPlacement
from mtss.models import District, Membership, Role
from mtss.permissions import SCHOOL_WIDE, SEES_WHOLE_DISTRICT
from students.models import SUBGROUPS, Enrollment, Guardian, Student, StudentUserObjectPermission

VIEW_STUDENT = "view_student"


def _granted(district: District, membership: Membership) -> Q:
    grants = StudentUserObjectPermission.objects.filter(
        district=district,
        user_id=membership.user_id,
        permission__codename=VIEW_STUDENT,
        content_object_id=OuterRef("pk"),
    )
    return Q(Exists(grants))


def _in_schools(membership: Membership) -> Q:
    return Q(school_id__in=membership.schools.values("id"))


def _flagged() -> Q:
    """Flagged: an open placement above Tier 1, or an at-risk screening result still in review."""
    from screening.selectors import flagged_by_screening  # screening imports this module

    return Q(
        Exists(TierPlacement.objects.filter(student_id=OuterRef("pk"), end_date__isnull=True, tier__gte=2))
    ) | flagged_by_screening()


def visible_students(*, district: District, membership: Membership | None) -> QuerySet[Student]:
    students = Student.objects.filter(district=district)
    if membership is None or membership.district_id != district.pk or not membership.is_active:
        return students.none()
    role = membership.role
    if role in SEES_WHOLE_DISTRICT:
        return students
    if role in SCHOOL_WIDE:
        return students.filter(_in_schools(membership))
    if role == Role.INTERVENTION_SPECIALIST:
        return students.filter(_granted(district, membership) | (_in_schools(membership) & _flagged()))
    if role == Role.TEACHER:
        return students.filter(_granted(district, membership))
    return students.none()


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
        open_in_tier = TierPlacement.objects.filter(
            student_id=OuterRef("pk"), end_date__isnull=True, tier=filters.tier
        )
        students = students.filter(Exists(open_in_tier))
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
            TierPlacement.objects.filter(district=district, student=student)
            .select_related("decided_by")
            .order_by("area", "-start_date")
        ),
    }


def open_tiers(*, district: District, student_ids: list[int]) -> dict[int, dict[str, int]]:
    """{student_id: {area: tier}} for the students on one page, in one query."""
    tiers: dict[int, dict[str, int]] = {}
    rows = TierPlacement.objects.filter(
        district=district, student_id__in=student_ids, end_date__isnull=True
    ).values_list("student_id", "area", "tier")
    for student_id, area, tier in rows:
        tiers.setdefault(student_id, {})[area] = tier
    return tiers
