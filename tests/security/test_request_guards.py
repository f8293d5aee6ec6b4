"""Guards every endpoint shares (mtss.middleware.RequestGuardMiddleware, mtss.api_metadata).

Issue 16, web hardening: a NUL byte in a query parameter, OPTIONS on the decision
endpoint and Django's own error pages answered 500 or HTML on the API; student
pages, PDFs and API JSON carried no Cache-Control.
"""

from __future__ import annotations

import re

import pytest
from django.urls import URLPattern, URLResolver, get_resolver

pytestmark = pytest.mark.django_db


def _walk(resolver, prefix=""):
    for entry in resolver.url_patterns:
        if isinstance(entry, URLResolver):
            yield from _walk(entry, prefix + str(entry.pattern))
        elif isinstance(entry, URLPattern):
            yield prefix + str(entry.pattern)


def _api_routes(with_ids: bool):
    routes = sorted({r for r in _walk(get_resolver()) if r.startswith("api/v1/")})
    if with_ids:
        return [re.sub(r"<int:\w+>", "1", r) for r in routes]
    return [r for r in routes if "<" not in r]


@pytest.mark.parametrize("name", ["q", "area", "measure", "school"])
def test_it_answers_a_nul_byte_in_any_api_parameter_with_a_400_naming_it(world, login, name):
    client = login(world.a.district_admin)
    routes = _api_routes(with_ids=False)
    assert len(routes) >= 10
    for route in routes:
        response = client.get(f"/{route}", {name: "Alph\x00a"})
        assert response.status_code == 400, route
        assert response.json() == {name: ["Null characters are not allowed."]}, route


def test_it_answers_a_nul_byte_on_a_page_with_a_400_naming_it(world, login):
    response = login(world.a.district_admin).get("/students/", {"q": "x\x00"})
    assert response.status_code == 400
    assert response.content.decode() == "q: Null characters are not allowed."


def test_it_answers_options_on_every_api_route_without_a_5xx(world, login):
    client = login(world.a.district_admin)
    routes = _api_routes(with_ids=True)
    assert any("decision" in r for r in routes)
    for route in routes:
        response = client.options(f"/{route}")
        assert response.status_code == 200, route
        assert "actions" not in response.json(), route


def test_it_answers_an_api_500_in_json(world, login, monkeypatch):
    from mtss import api_auth

    def broken(*args, **kwargs):
        raise RuntimeError("boom")

    monkeypatch.setattr(api_auth.IsDistrictMember, "has_permission", broken)
    client = login(world.a.district_admin)
    client.raise_request_exception = False
    response = client.get("/api/v1/students/")
    assert response.status_code == 500
    assert response["Content-Type"] == "application/json"
    assert response.json() == {"detail": "Internal Server Error"}


def test_it_answers_a_too_large_api_body_in_json(world, login, settings):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 1000
    client = login(world.a.district_admin)
    client.raise_request_exception = False
    response = client.post("/api/v1/students/", {"note": "x" * 5000})
    assert response.status_code == 400  # Django refuses the body (RequestDataTooBig) as a bad request
    assert response["Content-Type"] == "application/json"
    assert set(response.json()) == {"detail"}


def test_it_answers_an_unknown_api_path_in_json(world, login):
    response = login(world.a.district_admin).get("/api/v1/no-such-thing/")
    assert response.status_code == 404
    assert response.json() == {"detail": "Not Found"}


def test_it_forbids_caching_student_pages_and_api_json(world, login):
    client = login(world.a.district_admin)
    student = world.a.students[0]
    for url in (f"/students/{student.pk}/", "/students/", "/api/v1/students/", f"/api/v1/students/{student.pk}/"):
        response = client.get(url)
        assert response.status_code == 200, url
        assert "no-store" in response["Cache-Control"], url


def test_it_forbids_caching_api_errors_for_anonymous_callers(client):
    response = client.get("/api/v1/students/")
    assert response.status_code == 401  # the token scheme asks for credentials (WWW-Authenticate)
    assert "no-store" in response["Cache-Control"]


def test_it_answers_a_nul_byte_in_a_form_field_with_a_400_naming_it(world, login):
    from screening.models import ReviewItem
    from tests.screening.tenancy_objects import _objects

    item = _objects(world.a)["item"]
    client = login(world.a.district_admin)
    response = client.post(f"/screening/review/{item.pk}/", {"action": "dismiss", "reason": "moved\x00away"})
    assert response.status_code == 400
    assert response.content.decode() == "reason: Null characters are not allowed."
    from mtss.tenancy import tenant_context

    with tenant_context(world.a.district):
        assert ReviewItem.objects.get(pk=item.pk).status == ReviewItem.Status.OPEN
