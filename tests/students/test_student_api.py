"""The students API: district-scoped tokens, validation, and the access log."""

import pytest
from django.core.management import call_command
from rest_framework.test import APIClient

from mtss.models import AccessLog, ApiToken
from mtss.services import api_token_create, api_token_revoke
from mtss.tenancy import tenant_context

pytestmark = pytest.mark.django_db


def _client(user, district):
    with tenant_context(district):
        _, key = api_token_create(district=district, user=user, name="test")
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {key}")
    return client


def test_it_lists_only_the_tokens_district(world):
    response = _client(world.a.district_admin, world.a.district).get("/api/v1/students/")
    assert response.status_code == 200
    assert {row["id"] for row in response.json()["results"]} == {s.pk for s in world.a.students}


def test_it_answers_404_for_another_districts_student(world):
    client = _client(world.a.district_admin, world.a.district)
    assert client.get(f"/api/v1/students/{world.b.students[0].pk}/").status_code == 404
    assert client.get("/api/v1/students/999999/").status_code == 404


def test_it_refuses_a_missing_bad_or_revoked_token(world):
    assert APIClient().get("/api/v1/students/").status_code == 401
    bad = APIClient()
    bad.credentials(HTTP_AUTHORIZATION="Bearer mtss_nope")
    assert bad.get("/api/v1/students/").status_code == 401
    with tenant_context(world.a.district):
        token, key = api_token_create(district=world.a.district, user=world.a.principal, name="t")
        api_token_revoke(district=world.a.district, token=token, actor=world.a.district_admin)
    revoked = APIClient()
    revoked.credentials(HTTP_AUTHORIZATION=f"Bearer {key}")
    assert revoked.get("/api/v1/students/").status_code == 401


def test_it_stores_only_a_hash_of_the_key(world):
    with tenant_context(world.a.district):
        token, key = api_token_create(district=world.a.district, user=world.a.principal, name="t")
        stored = ApiToken.objects.get(pk=token.pk)
    assert key not in (stored.key_hash, stored.key_prefix) and len(stored.key_hash) == 64


def test_it_applies_the_role_to_api_reads(world):
    response = _client(world.a.teacher, world.a.district).get("/api/v1/students/")
    assert response.json()["count"] == 0  # a teacher with no enrolled students sees none


def test_it_creates_a_student_with_the_same_validation_as_the_form(world):
    client = _client(world.a.district_admin, world.a.district)
    payload = {
        "school": world.a.school.pk,
        "local_id": world.a.students[0].local_id,
        "first_name": "Ana",
        "last_name": "Nueva",
        "birth_date": "2018-02-03",
        "grade": 2,
        "entry_date": "2026-09-02",
    }
    duplicate = client.post("/api/v1/students/", payload, format="json")
    assert duplicate.status_code == 400
    assert "local_id" in duplicate.json()
    foreign_school = client.post(
        "/api/v1/students/", dict(payload, local_id="N2", school=world.b.school.pk), format="json"
    )
    assert foreign_school.status_code == 400 and "school" in foreign_school.json()
    bad_date = client.post("/api/v1/students/", dict(payload, local_id="N3", birth_date="2018-13-45"), format="json")
    assert bad_date.status_code == 400 and "birth_date" in bad_date.json()
    created = client.post("/api/v1/students/", dict(payload, local_id="N4"), format="json")
    assert created.status_code == 201, created.json()
    assert created.json()["local_id"] == "N4"


def test_it_refuses_writes_from_read_roles(world):
    client = _client(world.a.principal, world.a.district)
    response = client.patch(f"/api/v1/students/{world.a.students[0].pk}/", {"last_name": "X"}, format="json")
    assert response.status_code == 403


def test_it_updates_and_lists_guardians(world):
    student = world.a.students[0]
    admin = _client(world.a.district_admin, world.a.district)
    assert admin.patch(f"/api/v1/students/{student.pk}/", {"gifted": True}, format="json").json()["gifted"] is True
    guardians = admin.get(f"/api/v1/students/{student.pk}/guardians/")
    assert len(guardians.json()) == 1
    bad = admin.post(f"/api/v1/students/{student.pk}/guardians/", {"first_name": "Z"}, format="json")
    assert bad.status_code == 400 and {"last_name", "relationship"} <= set(bad.json())


def test_it_logs_one_access_row_per_api_read(world):
    client = _client(world.a.district_admin, world.a.district)
    client.get("/api/v1/students/")
    client.get(f"/api/v1/students/{world.a.students[1].pk}/")
    with tenant_context(world.a.district):
        entries = list(AccessLog.objects.order_by("id"))
    assert [e.action for e in entries] == ["api_read", "api_read"]
    assert entries[0].student_count == 4
    assert entries[1].student_ids == [world.a.students[1].pk]


def test_it_serves_the_openapi_schema_and_swagger_ui_to_members(world, login):
    client = login(world.a.principal)
    schema = client.get("/api/schema/")
    assert schema.status_code == 200
    assert b"/api/v1/students/{student_id}/" in schema.content
    docs = client.get("/api/docs/")
    assert docs.status_code == 200 and b"swagger-ui" in docs.content
    assert b"cdn" not in docs.content.lower()  # served from static files, works offline


def test_the_token_command_prints_a_working_key(world, capsys):
    call_command("create_api_token", district="district-a", user=world.a.principal.username, name="cli")
    key = capsys.readouterr().out.strip()
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {key}")
    assert client.get("/api/v1/students/").status_code == 200
