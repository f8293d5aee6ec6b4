"""Single sign-on and TOTP in the browser (issue 15, "Done when"): a teacher signs in through
the district's OpenID Connect provider and through its SAML 2.0 IdP (real ones on loopback,
tests/sso/conftest.py and tests/saml_idp.py), an
unknown identity gets the "ask your district administrator" page, and a district
administrator is made to enrol TOTP before any other page. Our pages pass axe-core."""

from __future__ import annotations

import pyotp
import pytest
import requests
from allauth.mfa.models import Authenticator
from django.urls import reverse
from playwright.sync_api import expect

from tests.browser.conftest import axe_check, follow, sign_in, visit
from tests.factories import PASSWORD
from tests.sso.conftest import oidc_issuer, saml_idp, saml_idp_server  # noqa: F401  (loopback OP and IdP)
from tests.sso.helpers import make_provider, make_saml_provider, saml_key

pytestmark = pytest.mark.browser


def _pick_identity(page, sub: str) -> None:
    """On the provider's own page (not ours: no axe scan), authorize as `sub`."""
    page.locator("#subject-input").fill(sub)
    with page.expect_navigation():
        page.get_by_role("button", name="Authorize", exact=True).click()


def test_a_teacher_signs_in_through_the_districts_openid_connect_provider(page, live_server, world, oidc_issuer):  # noqa: F811
    # Two servers (ours and the provider) share this process: allow navigations more time than
    # the suite's 10 s on a loaded machine.
    page.set_default_navigation_timeout(30_000)
    make_provider(world.a.district, issuer=oidc_issuer, name="Loudon Google")
    district_page = f"{live_server.url}/login/{world.a.district.slug}/"

    # Someone the roster does not know: told what to do, not signed in.
    visit(page, district_page)
    follow(page, page.get_by_role("button", name="Sign in with Loudon Google"), axe=False)
    assert page.url.startswith(oidc_issuer)
    _pick_identity(page, "new.hire@example.org")
    expect(page.get_by_role("heading", level=1)).to_have_text("Your account is not set up yet")
    expect(page.locator("main")).to_contain_text("Ask your district administrator")
    axe_check(page)

    # A rostered teacher: back on the home page, signed in, in district A.
    visit(page, district_page)
    follow(page, page.get_by_role("button", name="Sign in with Loudon Google"), axe=False)
    _pick_identity(page, world.a.teacher.email)
    assert page.url.rstrip("/") == live_server.url, page.url
    expect(page.locator(".district-name")).to_have_text(world.a.district.name)
    expect(page.locator("summary").first).to_contain_text("Teacher")
    axe_check(page)


def _sign_in_at_the_idp(page, email: str, live_server) -> None:
    """On the IdP's own page (not ours: no axe scan): its form posts the signed answer back."""
    page.locator("#user").fill(email)
    page.get_by_role("button", name="Sign in", exact=True).click()
    page.wait_for_url(f"{live_server.url}/**")
    page.wait_for_load_state("load")


def test_a_teacher_signs_in_through_the_districts_saml_idp(page, live_server, world, saml_idp):  # noqa: F811
    page.set_default_navigation_timeout(30_000)
    provider = make_saml_provider(world.a.district, saml_idp, name="Loudon SAML")
    # The IdP's administrator loads this district's service-provider metadata (served per district).
    metadata_url = live_server.url + reverse("saml_metadata", kwargs=saml_key(world.a.district, provider))
    saml_idp.trust_sp(requests.get(metadata_url, timeout=10).text)
    district_page = f"{live_server.url}/login/{world.a.district.slug}/"

    visit(page, district_page)
    follow(page, page.get_by_role("button", name="Sign in with Loudon SAML"), axe=False)
    assert page.url.startswith(saml_idp.sso_url), page.url
    _sign_in_at_the_idp(page, "new.hire@example.org", live_server)
    expect(page.get_by_role("heading", level=1)).to_have_text("Your account is not set up yet")
    axe_check(page)

    visit(page, district_page)
    follow(page, page.get_by_role("button", name="Sign in with Loudon SAML"), axe=False)
    _sign_in_at_the_idp(page, world.a.teacher.email, live_server)
    assert page.url.rstrip("/") == live_server.url, page.url
    expect(page.locator(".district-name")).to_have_text(world.a.district.name)
    expect(page.locator("summary").first).to_contain_text("Teacher")
    axe_check(page)


def test_a_district_administrator_enrols_totp_before_any_other_page(page, live_server, world, settings):
    settings.MTSS_MFA_REQUIRED_ROLES = ["district_admin"]
    admin = world.a.district_admin

    sign_in(page, live_server, admin)
    # Sent to enrolment; allauth first asks for the password again.
    assert "/sso/reauthenticate/" in page.url, page.url
    page.locator("input[name=password]").fill(PASSWORD)
    follow(page, page.locator("main button[type=submit]"))
    assert "/sso/2fa/totp/activate/" in page.url, page.url
    expect(page.get_by_role("heading", level=1)).to_have_text("Activate Authenticator App")

    # Any other page still leads back here until the enrolment is done.
    visit(page, "/students/", axe=False)
    assert "/sso/2fa/totp/activate/" in page.url

    secret = page.locator("#authenticator_secret").input_value()
    page.locator("input[name=code]").fill(pyotp.TOTP(secret).now())
    follow(page, page.locator("main button[type=submit]"))
    assert "/sso/2fa/recovery-codes/" in page.url, page.url
    assert set(Authenticator.objects.filter(user=admin).values_list("type", flat=True)) == {"totp", "recovery_codes"}

    visit(page, "/students/")
    expect(page.get_by_role("heading", level=1)).to_have_text("Students")
