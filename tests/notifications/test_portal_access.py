"""The family portal's walls (issue 18 items 1-3, "Bad input"): a family never reaches a staff
page or the staff API; staff never reach a family page; another student's id on every portal
route is a 404; every family read is in the access log."""

from __future__ import annotations

import pytest

from mtss.models import AccessLog
from mtss.tenancy import tenant_context
from tests.notifications.portal_helpers import family, sent_letter
from tests.test_tenancy_urls import OBJECT_IDS, PORTAL, PUBLIC, _fetch, _params, _routes, _url

pytestmark = pytest.mark.django_db

STUDENT_ROUTES = sorted((route, name) for route, name in _routes() if name in PORTAL and "student_id" in _params(route))


def test_the_portal_routes_with_a_student_are_the_ones_this_file_walks():
    assert {name for _, name in STUDENT_ROUTES} == {
        "portal_child",
        "portal_message_send",
        "portal_letter_pdf",
        "portal_letter_acknowledge",
        "portal_meeting_reply",
        "portal_copy_request",
    }


def test_a_family_reaches_no_staff_page_and_no_staff_api(world, client):
    side = world.a
    family(client, side)
    walked = 0
    for route, name in _routes():
        if name in PUBLIC or name in PORTAL or route.startswith("i18n") or route.startswith("static"):
            continue
        params = _params(route)
        url = _url(route, {p: OBJECT_IDS[p](side) for p in params}) if params else _url(route, {})
        response = _fetch(client, url)
        if url.startswith("/api/"):
            # The token scheme comes first, so an API call without staff credentials asks for them.
            assert response.status_code == 401, f"family {url} -> {response.status_code}"
        else:
            assert response.status_code == 302, f"family {url} -> {response.status_code}"
            assert response["Location"].startswith("/accounts/login/"), url
        walked += 1
    assert walked > 100
    assert client.get("/family/").status_code == 302  # one child: straight to their page, still signed in
    assert client.get(f"/family/children/{side.students[0].pk}/").status_code == 200


def test_staff_are_sent_to_the_family_sign_in_on_every_portal_page(world, client):
    side = world.a
    client.force_login(side.district_admin)
    for route, name in _routes():
        if name not in PORTAL or not _params(route) or name in {"portal_invitation", "portal_magic_link"}:
            continue
        url = _url(route, {p: OBJECT_IDS[p](side) for p in _params(route)})
        response = _fetch(client, url)
        assert response.status_code == 302 and response["Location"] == "/family/sign-in/", (url, response.status_code)


def test_another_students_id_is_a_404_on_every_portal_route(world, client):
    side = world.a
    family(client, side, side.students[0])
    own_letter = sent_letter(side, side.students[0])
    other = side.students[1]
    other_letter = sent_letter(side, other, period_key="other")
    ids = {"student_id": other.pk, "notice_id": other_letter.pk, "meeting_id": 1}
    for route, name in STUDENT_ROUTES:
        url = _url(route, ids)
        response = _fetch(client, url)
        assert response.status_code == 404, f"{name} {url} -> {response.status_code}"
    # Their own student with another student's letter: 404 too.
    mixed = f"/family/children/{side.students[0].pk}/letters/{other_letter.pk}/pdf/"
    assert client.get(mixed).status_code == 404
    assert client.get(f"/family/children/{side.students[0].pk}/letters/{own_letter.pk}/pdf/").status_code == 200


def test_another_districts_student_is_a_404(world, client):
    family(client, world.a)
    assert client.get(f"/family/children/{world.b.students[0].pk}/").status_code == 404


def test_every_family_read_is_access_logged(world, client):
    side = world.a
    family(client, side)
    student = side.students[0]
    letter = sent_letter(side, student)
    for url, what in (
        (f"/family/children/{student.pk}/", "family portal: child"),
        (f"/family/children/{student.pk}/letters/{letter.pk}/pdf/", "family portal: letter"),
    ):
        with tenant_context(side.district):
            before = AccessLog.objects.filter(district=side.district).count()
        response = client.get(url)
        assert response.status_code == 200
        with tenant_context(side.district):
            rows = list(AccessLog.objects.filter(district=side.district).order_by("pk"))[before:]
        assert [(r.what, r.student_ids, r.user_id) for r in rows] == [(what, [student.pk], None)], url
