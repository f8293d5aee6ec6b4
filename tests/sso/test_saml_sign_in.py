"""Single sign-on through a real SAML 2.0 IdP on loopback (pysaml2, tests/saml_idp.py).

Issue 15: "SAML 2.0 with per-district IdP metadata"; "Bad input: A SAML response with a bad
signature, an expired assertion, an unknown issuer or another district's audience is refused,
with an audit event." The identity maps to a membership as for OpenID Connect (mtss.sso.adapters).
"""

from __future__ import annotations

import pytest
from allauth.socialaccount.models import SocialAccount
from django.urls import reverse

from mtss.models import AuditEvent, Membership, User
from mtss.selectors import SESSION_DISTRICT_KEY
from mtss.sso import providers
from mtss.tenancy import tenant_context
from tests import factories as f
from tests.sso.helpers import make_saml_provider, saml_key, saml_sign_in

pytestmark = pytest.mark.django_db


def _audit(district, verb):
    with tenant_context(district):
        return list(AuditEvent.objects.filter(district=district, verb=verb))


def _signed_in_user(client):
    return User.objects.filter(pk=client.session.get("_auth_user_id")).first()


def test_a_rostered_member_signs_in_through_the_districts_saml_idp(world, client, saml_idp):
    provider = make_saml_provider(world.a.district, saml_idp)
    teacher = world.a.teacher

    response = saml_sign_in(client, world.a.district, provider, saml_idp, teacher.email)

    assert response.status_code == 302 and response["Location"] == reverse("home"), response.content[:500]
    assert _signed_in_user(client) == teacher
    assert client.session[SESSION_DISTRICT_KEY] == world.a.district.pk
    account = SocialAccount.objects.get(user=teacher)
    assert account.provider == providers.provider_key(world.a.district, provider)
    assert [e.actor for e in _audit(world.a.district, "sso.sign_in")] == [teacher]


def test_the_idp_metadata_may_come_from_its_url(world, client, saml_idp):
    provider = make_saml_provider(world.a.district, saml_idp, by_url=True)
    response = saml_sign_in(client, world.a.district, provider, saml_idp, world.a.principal.email)
    assert response.status_code == 302 and _signed_in_user(client) == world.a.principal


def test_it_maps_by_the_rosters_sourced_id_attribute(world, client, saml_idp):
    provider = make_saml_provider(world.a.district, saml_idp, sourced_id_claim="sourcedId")
    membership = f.membership_of(world.a.counselor, world.a.district)
    with tenant_context(world.a.district):
        Membership.objects.filter(pk=membership.pk).update(sourced_id="T-0042")
    saml_idp.attributes["c.elsewhere@example.org"] = {"sourcedId": "T-0042"}

    saml_sign_in(client, world.a.district, provider, saml_idp, "c.elsewhere@example.org")

    assert _signed_in_user(client) == world.a.counselor


def test_an_unknown_identity_is_told_to_ask_the_district_administrator(world, client, saml_idp):
    provider = make_saml_provider(world.a.district, saml_idp)
    response = saml_sign_in(client, world.a.district, provider, saml_idp, "new.hire@example.org")
    assert response.status_code == 403
    assert "Ask your district administrator" in response.content.decode()
    assert _signed_in_user(client) is None and not SocialAccount.objects.exists()
    assert _audit(world.a.district, "sso.unknown_identity")


def test_a_domain_the_district_does_not_allow_is_refused(world, client, saml_idp):
    provider = make_saml_provider(world.a.district, saml_idp, domains=["district-a.k12.tn.us"])
    response = saml_sign_in(client, world.a.district, provider, saml_idp, world.a.teacher.email)
    assert response.status_code == 403 and _signed_in_user(client) is None
    [event] = _audit(world.a.district, "sso.refused_domain")
    assert event.changes["domain"] == "example.org"


@pytest.mark.parametrize(
    ("bad", "kind"),
    [
        # Someone changed the signed assertion to another member's address.
        ({"tamper": "principal"}, "bad_signature"),
        ({"expired": True}, "expired"),
        ({"issuer": "https://idp.elsewhere.example/metadata"}, "unknown_issuer"),
        ({"audience": "district-b"}, "wrong_audience"),
    ],
)
def test_a_bad_saml_response_is_refused_with_an_audit_event(world, client, saml_idp, bad, kind):
    provider = make_saml_provider(world.a.district, saml_idp)
    if bad.get("tamper"):
        bad = {"tamper": world.a.principal.email}
    if bad.get("audience"):
        # Another district's service provider (its entity id is its metadata URL).
        other = make_saml_provider(world.b.district, saml_idp)
        bad = {"audience": "http://testserver" + reverse("saml_metadata", kwargs=saml_key(world.b.district, other))}
    saml_idp.next_response = bad

    response = saml_sign_in(client, world.a.district, provider, saml_idp, world.a.teacher.email)

    assert response.status_code == 403, response.content[:500]
    assert "The sign-in could not be completed" in response.content.decode()
    assert _signed_in_user(client) is None and not SocialAccount.objects.exists()
    [event] = _audit(world.a.district, "sso.refused_response")
    assert event.changes["kind"] == kind, event.changes
    assert event.actor is None
    assert not _audit(world.a.district, "sso.sign_in")
    assert not _audit(world.b.district, "sso.refused_response")


def test_the_settings_page_gives_each_saml_provider_its_own_sp_metadata(world, client, saml_idp):
    provider = make_saml_provider(world.a.district, saml_idp, name="Loudon SAML")
    client.force_login(world.a.district_admin)
    page = client.get(reverse("sso_settings"))
    metadata_path = reverse("saml_metadata", kwargs=saml_key(world.a.district, provider))
    assert page.status_code == 200 and metadata_path in page.content.decode()

    metadata = client.get(metadata_path, HTTP_HOST="testserver").content.decode()
    acs = "http://testserver" + reverse("saml_acs", kwargs=saml_key(world.a.district, provider))
    assert f'entityID="http://testserver{metadata_path}"' in metadata and acs in metadata
    # Another district's key does not serve this provider's metadata.
    forged = {"organization_slug": f"{world.b.district.slug}.{provider.pk}"}
    assert client.get(reverse("saml_metadata", kwargs=forged), HTTP_HOST="testserver").status_code == 404


def test_a_saml_request_without_a_host_header_is_a_400_not_a_500(world, client, saml_idp):
    provider = make_saml_provider(world.a.district, saml_idp)
    path = reverse("saml_metadata", kwargs=saml_key(world.a.district, provider))
    response = client.get(path)  # Django's test client sends no Host header unless told to

    assert response.status_code == 400
    assert response.content.decode().startswith("Host:")
    assert client.get(path, HTTP_HOST="testserver").status_code == 200
