"""Reads of the core, scoped by district."""

from __future__ import annotations

from django.db import connection
from django.db.models import QuerySet
from django.http import Http404
from django.utils import timezone

from mtss.models import AccessLog, District, Membership, PolicyVersion, School
from mtss.permissions import SEES_WHOLE_DISTRICT
from mtss.policy import validate_policy

SESSION_DISTRICT_KEY = "district_id"


def memberships_for_user(*, user) -> QuerySet[Membership]:
    return Membership.objects.filter(user=user, is_active=True).select_related("district").order_by("district__name")


def membership_for_request(request) -> Membership | None:
    """The membership of the district chosen in this session, else the first one."""
    memberships = list(memberships_for_user(user=request.user))
    if not memberships:
        return None
    chosen = request.session.get(SESSION_DISTRICT_KEY)
    for membership in memberships:
        if membership.district_id == chosen:
            return membership
    return memberships[0]


def membership_school_ids(*, district: District, membership: Membership) -> list[int]:
    return list(membership.schools.filter(district=district).values_list("id", flat=True))


def school_list(*, district: District, membership: Membership | None = None) -> QuerySet[School]:
    """Schools of the district; limited to the membership's schools for school-level roles.

    A school-level membership with no schools sees none: an empty list is not
    "everything" (a principal without schools once printed every school's letters).
    """
    schools = School.objects.filter(district=district)
    if membership is not None and membership.role not in SEES_WHOLE_DISTRICT:
        schools = schools.filter(id__in=membership.district_schools().values("id"))
    return schools.order_by("name")


def school_get(*, district: District, school_id: int) -> School:
    try:
        return School.objects.get(district=district, pk=school_id)
    except School.DoesNotExist:
        raise Http404 from None


def access_log_list(*, district: District, user_id: int | None = None, student_id: int | None = None):
    entries = AccessLog.objects.filter(district=district).select_related("user")
    if user_id:
        entries = entries.filter(user_id=user_id)
    if student_id:
        entries = entries.filter(student_ids__contains=[student_id]) if _json_contains_supported() else entries
    return entries.order_by("-at", "-id")


def _json_contains_supported() -> bool:
    return connection.vendor == "postgresql"


def policy_versions(*, district: District):
    return PolicyVersion.objects.filter(district=district).select_related("created_by").order_by("-version")


def policy_version_get(*, district: District, version_id: int):
    try:
        return PolicyVersion.objects.select_related("created_by").get(district=district, pk=version_id)
    except PolicyVersion.DoesNotExist:
        raise Http404 from None


def policy_current(*, district: District, as_of=None):
    """The version in effect on `as_of` (default today): newest effective date, then newest version."""

    as_of = as_of or timezone.localdate()
    return (
        PolicyVersion.objects.filter(district=district, effective_from__lte=as_of)
        .order_by("-effective_from", "-version")
        .first()
    )


_validated_policies: dict[tuple[int, int], object] = {}


def policy_document(*, district: District, as_of=None):
    """(version, validated PolicyDocument) in effect on `as_of`, or (None, None).

    Versions never change, so the validated document is memoised per
    (district id, version id): keyed by the district like everything per tenant.
    """
    version = policy_current(district=district, as_of=as_of)
    if version is None:
        return None, None
    # created_at too: SQLite reuses ids after a rollback (tests), and a cache must never serve another version.
    key = (district.pk, version.pk, version.created_at)
    if key not in _validated_policies:
        if len(_validated_policies) > 256:
            _validated_policies.clear()
        _validated_policies[key] = validate_policy(version.document)
    return version, _validated_policies[key]
