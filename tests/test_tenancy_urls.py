"""The automatic cross-district check over every URL pattern (HTML and API).

For every route that takes an object id, a user of district A asking for
district B's object gets 404, exactly like a missing object; anonymous users
are sent to sign in (HTML) or get 401/403 (API). A new route whose id this
file does not know fails the test until an entry is added to OBJECT_IDS.
"""

from __future__ import annotations

import importlib
from pathlib import Path

import pytest
from django.urls import URLPattern, URLResolver, get_resolver

from mtss.models import Role

# Routes anyone may open without signing in.
PUBLIC = {
    "login",
    "logout",
    "password_reset",
    "password_reset_done",
    "password_reset_confirm",
    "password_reset_complete",
    "healthz",
    "set_language",
    # Single sign-on (mtss.sso): a district's sign-in page, the OpenID Connect and SAML
    # endpoints the provider sends the browser back to, and allauth's steps of a sign-in in
    # progress (the second factor; a cancelled or failed sign-in; its sign-up, always closed).
    "district_login",
    "openid_connect_login",
    "openid_connect_callback",
    "saml_login",
    "saml_acs",
    "saml_finish_acs",
    "saml_sls",
    "saml_metadata",
    "mfa_authenticate",
    "socialaccount_login_cancelled",
    "socialaccount_login_error",
    "socialaccount_signup",
    # Names allauth's templates link to, pointing at this site's own pages.
    "account_login",
    "account_signup",
    "account_logout",
    "account_change_password",
}

# The family portal (notifications.portal): its own sign-in, never a staff page. A staff
# member is sent to the portal's sign-in; tests/notifications/test_portal_access.py walks
# these routes as a family (another student's id: 404) and every other route as a family.
PORTAL = {
    "portal_home",
    "portal_sign_in",
    "portal_sign_out",
    "portal_magic_link_request",
    "portal_magic_link",
    "portal_invitation_code",
    "portal_invitation",
    "portal_child",
    "portal_message_send",
    "portal_letter_pdf",
    "portal_letter_acknowledge",
    "portal_meeting_reply",
    "portal_copy_request",
    "portal_privacy",
}

# How to find "district B's object" for each id a route can take.
OBJECT_IDS = {
    "student_id": lambda side: side.students[0].pk,
    "version_id": lambda side: _policy_version(side).pk,
}
# Each app's tests add their routes' ids in tests/<app>/tenancy_objects.py (OBJECT_IDS).
for _module in sorted(Path(__file__).parent.glob("*/tenancy_objects.py")):
    OBJECT_IDS.update(importlib.import_module(f"tests.{_module.parent.name}.tenancy_objects").OBJECT_IDS)


def _policy_version(side):
    from mtss.policy import preset_data
    from mtss.services import policy_version_create
    from mtss.tenancy import tenant_context

    with tenant_context(side.district):
        return policy_version_create(
            district=side.district, actor=None, data=preset_data("loudon-county-tn"), effective_from="2026-08-01"
        )


def _walk(resolver, prefix=""):
    for entry in resolver.url_patterns:
        if isinstance(entry, URLResolver):
            yield from _walk(entry, prefix + str(entry.pattern))
        elif isinstance(entry, URLPattern):
            yield prefix + str(entry.pattern), entry


def _routes():
    return sorted({(route, p.name) for route, p in _walk(get_resolver())})


def _url(route: str, ids: dict) -> str:
    path = route
    for name, value in ids.items():
        for converter in ("int", "str", "slug", "uuid", "path"):
            path = path.replace(f"<{converter}:{name}>", str(value))
        path = path.replace(f"<{name}>", str(value))
    return "/" + path.lstrip("^").rstrip("$")


def _params(route: str) -> list[str]:
    import re

    return re.findall(r"<(?:\w+:)?(\w+)>", route)


def _fetch(client, url):
    response = client.get(url)
    if response.status_code == 405:
        response = client.post(url)
    return response


def test_it_knows_how_to_check_every_route_with_an_id():
    unknown = {
        (route, name) for route, name in _routes() if set(_params(route)) - set(OBJECT_IDS) - {"uidb64", "token"}
    }
    assert unknown == set(), f"add these route ids to OBJECT_IDS in {__file__}: {unknown}"


@pytest.mark.django_db
def test_it_answers_404_for_another_districts_object_on_every_route(world, client):
    checked = []
    for route, name in _routes():
        params = _params(route)
        if not params or name in PUBLIC or name in PORTAL:
            continue
        foreign = _url(route, {p: OBJECT_IDS[p](world.b) for p in params})
        for role in Role.values:
            client.force_login(world.a.users[role])
            response = _fetch(client, foreign)
            assert response.status_code == 404, f"{role} GET/POST {foreign} ({name}) -> {response.status_code}"
        checked.append(name)
    assert {
        "student_detail",
        "student_edit",
        "guardian_create",
        "api_student_detail",
        "api_guardian_list",
        "policy_version",
    } <= set(checked)


@pytest.mark.django_db
def test_it_answers_404_to_an_outsider_for_every_object(world, client):
    client.force_login(world.outsider)
    for route, name in _routes():
        params = _params(route)
        if not params or name in PUBLIC or name in PORTAL:
            continue
        url = _url(route, {p: OBJECT_IDS[p](world.a) for p in params})
        response = _fetch(client, url)
        assert response.status_code in (403, 404), f"outsider {url} -> {response.status_code}"
        assert response.status_code == 404 or url.startswith("/api/"), url


@pytest.mark.django_db
def test_it_sends_anonymous_users_to_sign_in(world, client):
    for route, name in _routes():
        if name in PUBLIC or name in PORTAL or route.startswith("i18n") or route.startswith("static"):
            continue
        params = _params(route)
        url = _url(route, {p: OBJECT_IDS[p](world.a) for p in params}) if params else _url(route, {})
        response = _fetch(client, url)
        if url.startswith("/api/"):
            assert response.status_code == 401, f"anonymous {url} -> {response.status_code}"
        else:
            assert response.status_code == 302, f"anonymous {url} -> {response.status_code}"
            assert response["Location"].startswith("/accounts/login/"), url
