"""TOTP for staff (allauth's MFA): required for district administrators, optional for others,
recovery codes, and an audit event for each enrolment and reset (issue 15, scope 1)."""

from __future__ import annotations

import pyotp
import pytest
from allauth.mfa.models import Authenticator
from allauth.mfa.recovery_codes.internal.auth import RecoveryCodes
from allauth.mfa.totp.internal.auth import TOTP, generate_totp_secret
from django.urls import reverse

from mtss.models import AuditEvent, User
from mtss.selectors import SESSION_DISTRICT_KEY
from mtss.tenancy import tenant_context
from tests import factories as f
from tests.sso.helpers import make_provider, oidc_sign_in

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _mfa_required(settings):
    settings.MTSS_MFA_REQUIRED_ROLES = ["district_admin"]


def _password_sign_in(client, user):
    return client.post(reverse("login"), {"username": user.username, "password": f.PASSWORD})


def _signed_in_user(client):
    return User.objects.filter(pk=client.session.get("_auth_user_id")).first()


def _verbs(district):
    with tenant_context(district):
        events = AuditEvent.objects.filter(district=district, verb__startswith="mfa.").values_list("verb", "changes")
        return sorted(events, key=lambda e: (e[0], e[1]["type"]))


def _reauthenticate(client):
    """allauth asks for the password again before MFA settings change (its re-authentication)."""
    response = client.post(reverse("account_reauthenticate"), {"password": f.PASSWORD})
    assert response.status_code == 302, response.content[:500]


def _enrol(user) -> tuple[str, list[str]]:
    secret = generate_totp_secret()
    TOTP.activate(user, secret)
    return secret, RecoveryCodes.activate(user).get_unused_codes()


def test_a_district_administrator_is_sent_to_enrol_before_any_page(world, client):
    assert _password_sign_in(client, world.a.district_admin).status_code == 302
    for url in ("/", reverse("student_list"), reverse("policy"), reverse("sso_settings")):
        response = client.get(url)
        assert response.status_code == 302 and response["Location"] == reverse("mfa_activate_totp"), url
    api = client.get(reverse("api_student_list"))
    assert api.status_code == 403 and "Two-factor" in api.json()["detail"]
    # The enrolment page itself (after allauth's password re-check) stays open.
    assert client.get(reverse("mfa_activate_totp"))["Location"].startswith(reverse("account_reauthenticate"))
    _reauthenticate(client)
    assert client.get(reverse("mfa_activate_totp")).status_code == 200


def test_others_may_use_the_site_without_mfa_and_may_enrol(world, client):
    _password_sign_in(client, world.a.teacher)
    assert client.get("/").status_code == 200
    assert client.get(reverse("mfa_index")).status_code == 200


def test_enrolling_with_a_code_from_the_app_unlocks_the_site_and_is_audited(
    world, client, django_capture_on_commit_callbacks
):
    admin = world.a.district_admin
    _password_sign_in(client, admin)
    _reauthenticate(client)
    page = client.get(reverse("mfa_activate_totp"))
    secret = client.session["mfa.totp.secret"]
    assert secret in page.content.decode()  # shown for the app, beside the QR code

    wrong = client.post(reverse("mfa_activate_totp"), {"code": "000000"})
    assert wrong.status_code == 200 and not Authenticator.objects.filter(user=admin).exists()

    # allauth reports the enrolment once the transaction commits.
    with django_capture_on_commit_callbacks(execute=True):
        done = client.post(reverse("mfa_activate_totp"), {"code": pyotp.TOTP(secret).now()})

    assert done.status_code == 302 and done["Location"] == reverse("mfa_view_recovery_codes")
    assert set(Authenticator.objects.filter(user=admin).values_list("type", flat=True)) == {"totp", "recovery_codes"}
    codes = client.get(reverse("mfa_view_recovery_codes"))
    unused = RecoveryCodes(Authenticator.objects.get(user=admin, type="recovery_codes")).get_unused_codes()
    assert len(unused) >= 10 and unused[0] in codes.content.decode()
    assert client.get("/").status_code == 200
    assert _verbs(world.a.district) == [
        ("mfa.enrolled", {"type": "recovery_codes"}),
        ("mfa.enrolled", {"type": "totp"}),
    ]
    assert _verbs(world.b.district) == []


def test_password_sign_in_asks_for_the_code_before_the_session_is_signed_in(world, client):
    user = world.a.principal
    secret, _codes = _enrol(user)

    response = _password_sign_in(client, user)

    assert response.status_code == 302 and response["Location"] == reverse("mfa_authenticate")
    assert _signed_in_user(client) is None
    assert client.get("/").status_code == 302  # still anonymous
    refused = client.post(reverse("mfa_authenticate"), {"code": "123456"})
    assert refused.status_code == 200 and _signed_in_user(client) is None
    accepted = client.post(reverse("mfa_authenticate"), {"code": pyotp.TOTP(secret).now()})
    assert accepted.status_code == 302 and _signed_in_user(client) == user


def test_a_recovery_code_signs_in_once(world, client):
    user = world.a.teacher
    _secret, codes = _enrol(user)
    _password_sign_in(client, user)
    client.post(reverse("mfa_authenticate"), {"code": codes[0]})
    assert _signed_in_user(client) == user
    client.post(reverse("logout"))
    _password_sign_in(client, user)
    again = client.post(reverse("mfa_authenticate"), {"code": codes[0]})
    assert again.status_code == 200 and _signed_in_user(client) is None


def test_new_recovery_codes_are_audited_as_a_reset(world, client, django_capture_on_commit_callbacks):
    user = world.a.district_admin
    secret, old_codes = _enrol(user)
    _password_sign_in(client, user)
    client.post(reverse("mfa_authenticate"), {"code": pyotp.TOTP(secret).now()})
    _reauthenticate(client)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("mfa_generate_recovery_codes"))
    assert response.status_code == 302
    new_codes = RecoveryCodes(Authenticator.objects.get(user=user, type="recovery_codes")).get_unused_codes()
    assert set(new_codes).isdisjoint(old_codes)
    assert ("mfa.reset", {"type": "recovery_codes"}) in _verbs(world.a.district)


def test_single_sign_on_asks_an_enrolled_member_for_the_code_too(world, client, oidc_issuer):
    user = world.a.district_admin
    secret, _codes = _enrol(user)
    provider = make_provider(world.a.district, issuer=oidc_issuer)

    response = oidc_sign_in(client, world.a.district, provider, user.email)

    assert response.status_code == 302 and response["Location"] == reverse("mfa_authenticate")
    assert _signed_in_user(client) is None
    second = client.post(reverse("mfa_authenticate"), {"code": pyotp.TOTP(secret).now()})
    assert second.status_code == 302, second.content.decode()[:3000]
    assert _signed_in_user(client) == user
    assert client.session[SESSION_DISTRICT_KEY] == world.a.district.pk
