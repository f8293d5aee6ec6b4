"""Which students a member may see: the one place that answers it.

| role                     | sees                                                              |
|--------------------------|-------------------------------------------------------------------|
| district_admin           | every student in the district                                     |
| principal                | students of the membership's schools                              |
| psychologist, counselor  | students of the membership's schools                              |
| read_only                | students of the membership's schools (no writes)                  |
| intervention_specialist  | own caseload (guardian grant) + flagged students of own schools   |
| teacher                  | own enrolled students (guardian grant from the roster)           |

"Flagged" means an open placement above Tier 1 (interventions) or an at-risk
screening result still in the review queue (screening). Those apps sit above
students, so this module imports models of mtss and students only and reaches
theirs through Student's reverse relations (`placements`, `review_items`).
A student the user may not see answers 404, exactly like a missing one.
"""

from __future__ import annotations

from django.db.models import Exists, OuterRef, Q, QuerySet

from mtss.models import District, Membership, Role
from mtss.permissions import SCHOOL_WIDE, SEES_WHOLE_DISTRICT
from students.models import Student, StudentUserObjectPermission

VIEW_STUDENT = "view_student"
# screening.models.ReviewItem.Status values of a review still in the queue (not dismissed
# or withdrawn); tests/students/test_access.py checks they match the model's choices.
REVIEW_IN_QUEUE = ("open", "reviewed", "plan_started")


def _grant_ids(district: District, membership: Membership) -> QuerySet:
    """The ids of the students the user holds a view grant on (django-guardian's direct table)."""
    return (
        StudentUserObjectPermission.objects.filter(
            district=district, user_id=membership.user_id, permission__codename=VIEW_STUDENT
        )
        .order_by()
        .values("content_object_id")
    )


def _granted(district: District, membership: Membership) -> Q:
    return Q(pk__in=_grant_ids(district, membership))


def _in_schools(membership: Membership) -> Q:
    return Q(school_id__in=membership.district_schools().values("id"))


def _rows(relation: str, **conditions) -> QuerySet:
    """Rows of a reverse relation of Student (placements, review_items), without importing the app
    above this one."""
    return Student._meta.get_field(relation).related_model.objects.filter(**conditions)


def _related(relation: str, **conditions) -> Q:
    """EXISTS over one row of a reverse relation of the outer student (placements, review_items)."""
    # district_id too: a correlated subquery on Citus stays on the outer row's shard (README, "Past one database").
    return Q(Exists(_rows(relation, student_id=OuterRef("pk"), district_id=OuterRef("district_id"), **conditions)))


def in_open_tier(tier: int | None = None, *, at_least: int | None = None) -> Q:
    """Students with an open placement in `tier` (or in `at_least` or above), in any area."""
    conditions = {"end_date__isnull": True}
    if tier is not None:
        conditions["tier"] = tier
    if at_least is not None:
        conditions["tier__gte"] = at_least
    return _related("placements", **conditions)


def _flagged_ids(district: District, membership: Membership) -> list[QuerySet]:
    """Ids of the flagged students of the membership's schools: an open placement above Tier 1, or
    an at-risk screening result still in review. Each a join from the flagged rows to the schools'
    students, so the whole district's students are never tested one by one."""
    schools = {"district": district, "student__school_id__in": membership.district_schools().values("id")}
    return [
        _rows("placements", end_date__isnull=True, tier__gte=2, **schools).order_by().values("student_id"),
        _rows("review_items", status__in=REVIEW_IN_QUEUE, **schools).order_by().values("student_id"),
    ]


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
        # A UNION of id sets, not an OR of conditions: under the OR PostgreSQL tested every student
        # of the district (400,000) for a grant and a flag, 150 ms on each page at that size.
        return students.filter(pk__in=_grant_ids(district, membership).union(*_flagged_ids(district, membership)))
    if role == Role.TEACHER:
        return students.filter(_granted(district, membership))
    return students.none()
