"""Reads for single sign-on: a district's providers, and who an identity is in the district."""

from __future__ import annotations

from django.db.models import QuerySet
from django.http import Http404

from mtss.models import District, IdentityProvider, Membership, User
from mtss.tenancy import tenant_context


def district_by_slug(slug: str) -> District:
    try:
        return District.objects.get(slug=slug)
    except District.DoesNotExist:
        raise Http404("No such district.") from None


def identity_provider_list(*, district: District, enabled_only: bool = False) -> QuerySet[IdentityProvider]:
    providers = IdentityProvider.objects.filter(district=district)
    return providers.filter(enabled=True) if enabled_only else providers


def identity_provider_get(*, district: District, provider_id: int) -> IdentityProvider:
    try:
        return IdentityProvider.objects.get(district=district, pk=provider_id)
    except IdentityProvider.DoesNotExist:
        raise Http404("No such sign-in provider.") from None


def membership_for_identity(*, district: District, email: str, sourced_id: str = "") -> Membership | None:
    """The active membership an identity stands for: by e-mail, else by the roster's sourcedId.

    Issue 15: "A signed-in identity maps to an existing membership by e-mail or by the roster's
    sourcedId. Never auto-create a membership the roster does not know."
    """
    members = Membership.objects.filter(district=district, is_active=True, user__is_active=True).select_related("user")
    if email:
        found = members.filter(user__email__iexact=email).first()
        if found is not None:
            return found
    if sourced_id:
        return members.filter(sourced_id=sourced_id).first()
    return None


def password_sign_in_refused(*, user: User) -> District | None:
    """A district of the user's that turned password sign-in off, if any (issue 15).

    Any one is enough: a password must not open a district that asked for its own sign-in.
    Read before the user is signed in, in the user's own scope (row-level security lets a
    user read their own memberships, mtss.models.Membership).
    """
    with tenant_context(None, user_id=user.pk):
        membership = (
            Membership.objects.filter(user=user, is_active=True, district__password_sign_in=False)
            .select_related("district")
            .first()
        )
    return membership.district if membership is not None else None
