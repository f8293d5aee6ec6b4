"""Writes for single sign-on: a district's providers and sign-in policy, and the audit trail
of sign-ins and MFA (issue 15: "an audit event for each enrolment and reset")."""

from __future__ import annotations

from django.db import transaction

from mtss.models import District, IdentityProvider, User
from mtss.services import audit
from mtss.sso.secrets import encrypt_secret

# The fields an administrator sets on the settings page (the secret goes through `secret`).
PROVIDER_FIELDS = (
    "name",
    "kind",
    "enabled",
    "client_id",
    "client_secret_env",
    "server_url",
    "tenant",
    "saml_metadata_url",
    "saml_metadata_xml",
    "allowed_domains",
    "sourced_id_claim",
)


@transaction.atomic
def identity_provider_save(
    *, district: District, actor: User, provider: IdentityProvider | None, data: dict, secret: str = ""
) -> IdentityProvider:
    """Create or change a provider. An empty `secret` keeps the stored one; naming an
    environment variable drops it (the secret then lives only in the environment)."""
    creating = provider is None
    provider = provider or IdentityProvider(district=district)
    changed = [name for name in PROVIDER_FIELDS if getattr(provider, name) != data[name]]
    for name in PROVIDER_FIELDS:
        setattr(provider, name, data[name])
    if data["client_secret_env"]:
        provider.client_secret_encrypted = ""
    elif secret:
        provider.client_secret_encrypted = encrypt_secret(secret)
        changed.append("client_secret")
    provider.full_clean()
    provider.save()
    audit(
        district=district,
        actor=actor,
        verb="sso.provider_create" if creating else "sso.provider_update",
        obj=provider,
        # Names of what changed, never the secret's value.
        changes={"fields": sorted(changed)},
    )
    return provider


@transaction.atomic
def identity_provider_delete(*, district: District, actor: User, provider: IdentityProvider) -> None:
    audit(district=district, actor=actor, verb="sso.provider_delete", obj=provider, changes={"name": provider.name})
    provider.delete()


@transaction.atomic
def password_sign_in_set(*, district: District, actor: User, allowed: bool) -> None:
    if district.password_sign_in == allowed:
        return
    District.objects.filter(pk=district.pk).update(password_sign_in=allowed)
    district.password_sign_in = allowed
    audit(district=district, actor=actor, verb="sso.password_sign_in", obj=district, changes={"allowed": allowed})


def sign_in_recorded(*, district: District, user: User | None, provider: IdentityProvider, verb: str, **details):
    """One audit event per single sign-on outcome: signed in, refused domain, unknown identity.

    Only the e-mail's domain is kept for a refusal: the person is not a member."""
    return audit(district=district, actor=user, verb=verb, obj=provider, changes=details)


def mfa_recorded(*, user: User, verb: str, authenticator_type: str) -> None:
    """An MFA enrolment, removal or reset: one audit event in each district of the user."""
    from mtss.selectors import memberships_for_user
    from mtss.tenancy import tenant_context

    # allauth reports after the request's transaction committed: read in the user's own scope.
    with tenant_context(None, user_id=user.pk):
        memberships = list(memberships_for_user(user=user))
    for membership in memberships:
        with tenant_context(membership.district_id):
            audit(district=membership.district, actor=user, verb=verb, obj=user, changes={"type": authenticator_type})
