"""Writes of the core. Each takes the district first and records an audit event."""

from __future__ import annotations

import hashlib
import secrets

from django.db import transaction
from django.utils import timezone

from mtss import events
from mtss.models import ApiToken, AuditEvent, District, Membership, MembershipSchool, PolicyVersion, Role, School, User
from mtss.policy import validate_policy
from mtss.tenancy import tenant_context


def audit(*, district: District, actor: User | None, verb: str, obj=None, changes: dict | None = None) -> AuditEvent:
    return AuditEvent.objects.create(
        district=district,
        actor=actor,
        verb=verb,
        object_type=obj._meta.model_name if obj is not None else "",
        object_id=getattr(obj, "pk", None),
        changes=changes or {},
    )


def district_create(*, name: str, slug: str, state: str, timezone_name: str = "America/New_York") -> District:
    return District.objects.create(name=name, slug=slug, state=state.upper(), timezone=timezone_name)


@transaction.atomic
def membership_create(
    *, district: District, user: User, role: str, schools: list[School] = (), actor: User | None = None
) -> Membership:
    if role not in Role.values:
        raise ValueError(f"unknown role {role!r}")
    with tenant_context(district):
        membership = Membership.objects.create(district=district, user=user, role=role)
        MembershipSchool.objects.bulk_create(
            [MembershipSchool(district=district, membership=membership, school=school) for school in schools]
        )
        audit(district=district, actor=actor, verb="membership.create", obj=membership, changes={"role": role})
    return membership


def hash_token(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


@transaction.atomic
def api_token_create(*, district: District, user: User, name: str) -> tuple[ApiToken, str]:
    """Create a token; the plain key is returned once and never stored."""
    key = "mtss_" + secrets.token_urlsafe(32)
    token = ApiToken.objects.create(
        district=district, user=user, name=name, key_prefix=key[5:13], key_hash=hash_token(key)
    )
    audit(district=district, actor=user, verb="api_token.create", obj=token, changes={"name": name})
    return token, key


def api_token_revoke(*, district: District, token: ApiToken, actor: User) -> None:
    ApiToken.objects.filter(district=district, pk=token.pk, revoked_at__isnull=True).update(revoked_at=timezone.now())
    audit(district=district, actor=actor, verb="api_token.revoke", obj=token)


@transaction.atomic
def policy_version_create(*, district: District, actor: User | None, data: dict, effective_from, note: str = ""):
    """Validate and store a new policy version; raises PolicyValidationError naming fields."""
    document = validate_policy(data)
    # Serialise version numbers per district (two admins saving at once).
    District.objects.select_for_update().filter(pk=district.pk).first()
    latest = (
        PolicyVersion.objects.filter(district=district).order_by("-version").values_list("version", flat=True).first()
    )
    version = PolicyVersion.objects.create(
        district=district,
        version=(latest or 0) + 1,
        name=document.name,
        title=document.title,
        document=data,
        effective_from=effective_from,
        note=note,
        created_by=actor,
    )
    audit(
        district=district,
        actor=actor,
        verb="policy.create",
        obj=version,
        changes={"version": version.version, "name": document.name},
    )
    # Risk levels follow the policy: screening recomputes the scores it now governs (on commit).
    events.announce(events.POLICY_CHANGED, district_id=district.pk, effective_from=effective_from)
    return version
