"""Invitations to the family portal: one use, expiry, revocation, tampering, the policy's rule,
and sign-in by password and by e-mailed link, each audited (issue 18 item 1)."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core import mail
from django.core.exceptions import ValidationError
from django.utils import timezone

from mtss.models import AuditEvent
from mtss.tenancy import tenant_context
from notifications.portal import services
from notifications.portal.models import PortalAccess, PortalInvitation
from tests.notifications.portal_helpers import PASSWORD, family, invite

pytestmark = pytest.mark.django_db


def _accept(client, url, **extra):
    data = {"accept": "1", "email": "family@example.org", "password": PASSWORD, "language": "es", **extra}
    return client.post(url, data)


def test_it_accepts_an_invitation_once_and_signs_the_family_in(world, client):
    side = world.a
    _invitation, token, _code = invite(side)
    page = client.get(f"/family/join/{token}/")
    assert page.status_code == 200
    assert 'lang="es"' in page.content.decode()  # the guardian's preferred language
    response = _accept(client, f"/family/join/{token}/")
    assert response.status_code == 302 and response["Location"] == "/family/"
    with tenant_context(side.district):
        access = PortalAccess.objects.get(district=side.district)
        assert access.student == side.students[0]
        assert AuditEvent.objects.filter(district=side.district, verb="portal.sign_in").count() == 1
    client.logout()
    again = client.get(f"/family/join/{token}/")
    assert again.status_code == 400
    assert "already used" in again.content.decode()


def test_it_accepts_the_short_code_typed_in_any_case_and_spacing(world, client):
    _invitation, _token, code = invite(world.a)
    typed = code.lower().replace("-", " ")
    response = client.post(
        "/family/join/", {"code": typed, **{"accept": "1", "email": "x@example.org", "password": PASSWORD}}
    )
    assert response.status_code == 302


@pytest.mark.parametrize("problem", ["expired", "revoked", "tampered"])
def test_it_refuses_an_expired_revoked_or_tampered_invitation_with_a_clear_page(world, client, problem):
    side = world.a
    invitation, token, _code = invite(side)
    with tenant_context(side.district):
        if problem == "expired":
            PortalInvitation.objects.filter(pk=invitation.pk).update(
                expires_at=timezone.now() - dt.timedelta(minutes=1)
            )
        if problem == "revoked":
            services.invitation_revoke(district=side.district, invitation=invitation, actor=side.principal)
    if problem == "tampered":
        token = token[:-2] + ("AA" if not token.endswith("AA") else "BB")
    response = _accept(client, f"/family/join/{token}/")
    text = response.content.decode()
    assert response.status_code == 400
    expected = {"expired": "has expired", "revoked": "withdrawn", "tampered": "not valid"}[problem]
    assert expected in text
    with tenant_context(side.district):
        assert not PortalAccess.objects.filter(district=side.district).exists()


def test_a_wrong_code_is_refused(world, client):
    invite(world.a)
    response = client.post("/family/join/", {"code": "ZZZZZ-ZZZZZ"})
    assert response.status_code == 400 and "not valid" in response.content.decode()


def test_the_policy_decides_who_may_be_invited(world):
    side = world.a
    with tenant_context(side.district):
        guardian = side.students[0].guardians.first()
        guardian.relationship, guardian.lives_with_student = "relative", False
        guardian.save()
        with pytest.raises(ValidationError) as error:
            services.invitation_create(district=side.district, guardian=guardian, actor=side.principal)
    assert "Guardian:" in " ".join(error.value.messages)
    guardian.lives_with_student = True
    assert services.may_invite(policy=None, guardian=guardian)


def test_a_weak_password_is_refused_naming_the_field(world, client):
    _invitation, token, _code = invite(world.a)
    response = _accept(client, f"/family/join/{token}/", password="short")
    assert response.status_code == 400 and "Password:" in response.content.decode()


def test_password_and_magic_link_sign_in_are_audited_and_links_work_once(
    world, client, django_capture_on_commit_callbacks
):
    side = world.a
    family(client, side)
    client.post("/family/sign-out/")
    assert client.get("/family/").status_code == 302
    wrong = client.post("/family/sign-in/", {"email": "family@example.org", "password": "not it at all"})
    assert wrong.status_code == 400
    right = client.post("/family/sign-in/", {"email": "FAMILY@example.org", "password": PASSWORD})
    assert right.status_code == 302
    client.post("/family/sign-out/")
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        sent = client.post("/family/sign-in/link/", {"email": "family@example.org"})
    assert sent.status_code == 200
    link = next(word for word in mail.outbox[0].body.split() if "/family/sign-in/link/" in word)
    path = link[link.index("/family/") :]
    assert client.get(path).status_code == 302
    client.post("/family/sign-out/")
    assert client.get(path).status_code == 400  # spent
    with tenant_context(side.district):
        methods = [
            e.changes["method"] for e in AuditEvent.objects.filter(district=side.district, verb="portal.sign_in")
        ]
    assert sorted(methods) == ["invitation", "link", "password"]


def test_a_magic_link_request_for_an_unknown_address_says_the_same(world, client, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post("/family/sign-in/link/", {"email": "nobody@example.org"})
    assert response.status_code == 200 and mail.outbox == []


def test_sign_in_attempts_are_rate_limited(world, client, settings):
    settings.PORTAL_RATE_PER_IP = "2/m"
    for _ in range(2):
        client.post("/family/sign-in/", {"email": "a@example.org", "password": "x"})
    assert client.post("/family/sign-in/", {"email": "a@example.org", "password": "x"}).status_code == 429
