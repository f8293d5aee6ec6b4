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


def _granted(district: District, membership: Membership) -> Q:
    grants = StudentUserObjectPermission.objects.filter(
        district=district,
        user_id=membership.user_id,
        permission__codename=VIEW_STUDENT,
        content_object_id=OuterRef("pk"),
    )
    return Q(Exists(grants))


def _in_schools(membership: Membership) -> Q:
    return Q(school_id__in=membership.district_schools().values("id"))


def _same_student(**conditions) -> Q:
    """EXISTS over one related row of the outer student (the conditions apply to the same row)."""
    # district_id too: a correlated subquery on Citus stays on the outer row's shard (README, "Past one database").
    same = Student.objects.filter(pk=OuterRef("pk"), district_id=OuterRef("district_id"), **conditions)
    return Q(Exists(same))


def in_open_tier(tier: int | None = None, *, at_least: int | None = None) -> Q:
    """Students with an open placement in `tier` (or in `at_least` or above), in any area."""
    conditions = {"placements__end_date__isnull": True}
    if tier is not None:
        conditions["placements__tier"] = tier
    if at_least is not None:
        conditions["placements__tier__gte"] = at_least
    return _same_student(**conditions)


def _flagged() -> Q:
    """Flagged: an open placement above Tier 1, or an at-risk screening result still in review."""
    return in_open_tier(at_least=2) | _same_student(review_items__status__in=REVIEW_IN_QUEUE)


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
