"""Reads for PDSA cycles: a member sees the cycles of the schools their work covers (and district-wide ones)."""

from __future__ import annotations

from django.db.models import Q
from django.http import Http404

from interventions.models import InterventionGroup, PdsaCycle
from mtss.models import District, Membership
from mtss.permissions import SEES_WHOLE_DISTRICT, school_ids


def pdsa_list(*, district: District, membership: Membership, intervention_id: int | None = None):
    cycles = PdsaCycle.objects.filter(district=district).select_related("school", "owner")
    if membership.role not in SEES_WHOLE_DISTRICT:
        cycles = cycles.filter(Q(school__in=school_ids(membership)) | Q(school__isnull=True) | Q(owner=membership.user))
    if intervention_id:
        cycles = cycles.filter(interventions__pk=intervention_id)
    return cycles.order_by("-start_date", "-id").prefetch_related("interventions")


def pdsa_get(*, district: District, membership: Membership, cycle_id: int) -> PdsaCycle:
    """One cycle the member may see; another district's is a 404 like a missing one."""
    try:
        return pdsa_list(district=district, membership=membership).prefetch_related("groups").get(pk=cycle_id)
    except PdsaCycle.DoesNotExist:
        raise Http404 from None


def pdsa_groups(*, district: District, membership: Membership):
    """Groups a cycle may be linked to: those of the member's schools (every group for the district office)."""
    groups = InterventionGroup.objects.filter(district=district).select_related("school")
    if membership.role not in SEES_WHOLE_DISTRICT:
        groups = groups.filter(school__in=school_ids(membership))
    return groups.order_by("school__name", "name")
