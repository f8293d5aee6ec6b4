"""Single sign-on through a real OpenID Connect provider on loopback (issue 15, scope 1 and
"Bad input": a domain the district does not allow is refused; an unknown identity is told to
ask the district administrator; another district's provider is never used)."""

from __future__ import annotations

import pytest
from allauth.socialaccount.models import SocialAccount
from django.urls import reverse

from mtss.models import AuditEvent, District, Membership, User
from mtss.selectors import SESSION_DISTRICT_KEY
from mtss.sso import providers
from mtss.tenancy import tenant_context
from tests import factories as f
from tests.sso.helpers import make_provider, oidc_sign_in, set_op_user, start_sign_in

pytestmark = pytest.mark.django_db


def _audit(district, verb):
    with tenant_context(district):
        return list(AuditEvent.objects.filter(district=district, verb=verb))


def _signed_in_user(client):
    return User.objects.filter(pk=client.session.get("_auth_user_id")).first()


def test_it_signs_a_rostered_member_in_by_email_into_the_providers_district(world, client, oidc_issuer):
    provider = make_provider(world.a.district, issuer=oidc_issuer)
    teacher = world.a.teacher

    response = oidc_sign_in(client, world.a.district, provider, teacher.email)

    assert response.status_code == 302 and response["Location"] == reverse("home")
    assert _signed_in_user(client) == teacher
    assert client.session[SESSION_DISTRICT_KEY] == world.a.district.pk
    account = SocialAccount.objects.get(user=teacher)
    assert account.provider == providers.provider_key(world.a.district, provider)
    assert [e.actor for e in _audit(world.a.district, "sso.sign_in")] == [teacher]
    # The second sign-in finds the connected identity again.
    client.logout()
    oidc_sign_in(client, world.a.district, provider, teacher.email)
    assert _signed_in_user(client) == teacher
    assert SocialAccount.objects.filter(user=teacher).count() == 1


def test_the_email_matches_whatever_its_case(world, client, oidc_issuer):
    provider = make_provider(world.a.district, issuer=oidc_issuer)
    oidc_sign_in(client, world.a.district, provider, world.a.principal.email.upper())
    assert _signed_in_user(client) == world.a.principal


def test_it_maps_by_the_rosters_sourced_id_when_the_email_differs(world, client, oidc_issuer):
    provider = make_provider(world.a.district, issuer=oidc_issuer, sourced_id_claim="sourcedId")
    counselor = world.a.counselor
    membership = f.membership_of(counselor, world.a.district)
    with tenant_context(world.a.district):
        Membership.objects.filter(pk=membership.pk).update(sourced_id="T-0077")
    set_op_user(oidc_issuer, "cl-9f2", {"email": "c.other@example.org", "sourcedId": "T-0077"})

    oidc_sign_in(client, world.a.district, provider, "cl-9f2")

    assert _signed_in_user(client) == counselor


def test_an_unknown_identity_is_told_to_ask_the_district_administrator(world, client, oidc_issuer):
    provider = make_provider(world.a.district, issuer=oidc_issuer)
    users_before = User.objects.count()

    response = oidc_sign_in(client, world.a.district, provider, "new.hire@example.org")

    assert response.status_code == 403
    assert "Ask your district administrator" in response.content.decode()
    assert "new.hire@example.org" in response.content.decode()
    assert _signed_in_user(client) is None
    assert User.objects.count() == users_before  # never an account, never a membership
    assert not SocialAccount.objects.exists()
    [event] = _audit(world.a.district, "sso.unknown_identity")
    assert event.changes == {"domain": "example.org"}


def test_an_inactive_membership_is_an_unknown_identity(world, client, oidc_issuer):
    provider = make_provider(world.a.district, issuer=oidc_issuer)
    membership = f.membership_of(world.a.teacher, world.a.district)
    with tenant_context(world.a.district):
        Membership.objects.filter(pk=membership.pk).update(is_active=False)
    response = oidc_sign_in(client, world.a.district, provider, world.a.teacher.email)
    assert response.status_code == 403 and _signed_in_user(client) is None


def test_a_token_from_a_domain_the_district_does_not_allow_is_refused(world, client, oidc_issuer):
    provider = make_provider(world.a.district, issuer=oidc_issuer, domains=["district-a.k12.tn.us"])

    response = oidc_sign_in(client, world.a.district, provider, world.a.teacher.email)  # @example.org

    assert response.status_code == 403
    body = response.content.decode()
    assert "district-a.k12.tn.us" in body and "example.org" in body
    assert _signed_in_user(client) is None
    assert not SocialAccount.objects.exists()
    [event] = _audit(world.a.district, "sso.refused_domain")
    assert event.changes["domain"] == "example.org" and event.actor is None


def test_an_unverified_email_is_refused(world, client, oidc_issuer):
    provider = make_provider(world.a.district, issuer=oidc_issuer)
    set_op_user(oidc_issuer, "unverified-1", {"email": world.a.teacher.email, "email_verified": False})
    response = oidc_sign_in(client, world.a.district, provider, "unverified-1")
    assert response.status_code == 403 and _signed_in_user(client) is None
    assert _audit(world.a.district, "sso.refused_domain")


def test_another_districts_member_is_not_signed_in_through_this_districts_provider(world, client, oidc_issuer):
    provider = make_provider(world.a.district, issuer=oidc_issuer)
    response = oidc_sign_in(client, world.a.district, provider, world.b.teacher.email)
    assert response.status_code == 403 and _signed_in_user(client) is None
    assert _audit(world.a.district, "sso.unknown_identity")
    assert not _audit(world.b.district, "sso.sign_in")


def test_a_provider_key_naming_another_district_is_not_found(world, client, oidc_issuer):
    provider = make_provider(world.a.district, issuer=oidc_issuer)
    forged = f"{world.b.district.slug}.{provider.pk}"
    response = client.post(reverse("openid_connect_login", kwargs={"provider_id": forged}))
    assert response.status_code == 404
    for key in ("nonsense", f"no-such-district.{provider.pk}", f"{world.a.district.slug}.x"):
        assert client.post(reverse("openid_connect_login", kwargs={"provider_id": key})).status_code == 404


def test_a_disabled_provider_or_a_missing_secret_is_not_found_not_a_crash(world, client, oidc_issuer, monkeypatch):
    off = make_provider(world.a.district, issuer=oidc_issuer, enabled=False, name="Off")
    assert start_sign_in(client, world.a.district, off).status_code == 404
    from_env = make_provider(
        world.a.district, issuer=oidc_issuer, name="Env", secret="", client_secret_env="MTSS_TEST_SSO_SECRET"
    )
    monkeypatch.delenv("MTSS_TEST_SSO_SECRET", raising=False)
    assert start_sign_in(client, world.a.district, from_env).status_code == 404
    monkeypatch.setenv("MTSS_TEST_SSO_SECRET", "from-the-environment")
    assert start_sign_in(client, world.a.district, from_env).status_code == 302


def test_the_district_sign_in_page_offers_only_its_own_enabled_providers(world, client, oidc_issuer):
    mine = make_provider(world.a.district, issuer=oidc_issuer, name="Loudon Google")
    make_provider(world.a.district, issuer=oidc_issuer, name="Old portal", enabled=False)
    make_provider(world.b.district, issuer=oidc_issuer, name="Other district SSO")

    response = client.get(reverse("district_login", args=[world.a.district.slug]))

    body = response.content.decode()
    assert response.status_code == 200
    assert "Sign in with Loudon Google" in body
    assert "Old portal" not in body and "Other district SSO" not in body
    key = providers.provider_key(world.a.district, mine)
    assert reverse("openid_connect_login", kwargs={"provider_id": key}) in body
    # The button's redirect to the provider is allowed by this page's CSP (form-action).
    assert oidc_issuer in response["Content-Security-Policy"]
    assert client.get(reverse("district_login", args=["no-such-district"])).status_code == 404


def test_the_login_pages_district_picker_leads_to_the_district_page(world, client):
    response = client.get(reverse("login"), {"district": world.a.district.slug, "next": "/students/"})
    assert response.status_code == 302
    assert response["Location"] == reverse("district_login", args=[world.a.district.slug]) + "?next=%2Fstudents%2F"


def test_a_district_can_turn_password_sign_in_off_for_its_members(world, client):
    District.objects.filter(pk=world.a.district.pk).update(password_sign_in=False)
    response = client.post(reverse("login"), {"username": world.a.teacher.username, "password": f.PASSWORD})
    assert response.status_code == 200
    assert _signed_in_user(client) is None
    body = response.content.decode()
    assert "signs its staff in through single sign-on only" in body
    assert reverse("district_login", args=[world.a.district.slug]) in body
    # Members of a district that still allows passwords are not affected.
    response = client.post(reverse("login"), {"username": world.b.teacher.username, "password": f.PASSWORD})
    assert response.status_code == 302 and _signed_in_user(client) == world.b.teacher
