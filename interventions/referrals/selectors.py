"""Reads for special-education referrals, limited to the students the member sees."""

from __future__ import annotations

from django.http import Http404

from interventions.models import Referral
from mtss.models import District, Membership
from students.access import visible_students


def referral_list(*, district: District, membership: Membership, status: str | None = None):
    students = visible_students(district=district, membership=membership)
    referrals = Referral.objects.filter(district=district, student__in=students.values("pk")).select_related(
        "student", "student__school", "reviewed_by", "requested_by"
    )
    if status in Referral.Status.values:
        referrals = referrals.filter(status=status)
    return referrals.order_by("-requested_at", "-id")


def referral_get(*, district: District, membership: Membership, referral_id: int) -> Referral:
    """One referral of a student the member sees; another district's (or an unseen student's) is a 404."""
    try:
        return referral_list(district=district, membership=membership).get(pk=referral_id)
    except Referral.DoesNotExist:
        raise Http404 from None


def student_referrals(*, district: District, student) -> list[Referral]:
    return list(
        Referral.objects.filter(district=district, student=student)
        .select_related("reviewed_by", "requested_by")
        .order_by("requested_at", "id")
    )
