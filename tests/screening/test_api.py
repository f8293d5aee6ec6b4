"""The screening API: assessments, windows, scores (read; bulk create validated like a file) and import jobs."""

from __future__ import annotations

import io

import pytest
from rest_framework.test import APIClient

from mtss.models import AccessLog
from mtss.services import api_token_create
from mtss.tenancy import tenant_context
from screening.models import Score
from students.models import ImportRun
from tests.screening.helpers import csv_bytes, score_items, setup_district


def api(user, district):
    with tenant_context(district):
        _, key = api_token_create(district=district, user=user, name="test")
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {key}")
    return client


@pytest.fixture
def ready(world):
    side = world.a
    window = setup_district(side)
    return side, window


@pytest.mark.django_db
def test_the_catalog_and_windows_read(ready):
    side, window = ready
    client = api(side.teacher, side.district)
    assessments = client.get("/api/v1/assessments/").json()
    keys = {m["key"] for a in assessments for m in a["measures"]}
    assert {
        "aimsweb-rcbm",
        "aimsweb-maze",
        "star-reading",
        "star-math",
        "map-reading",
        "map-math",
        "dibels8-composite",
        "iready-reading",
        "state-ela",
    } <= keys
    windows = client.get("/api/v1/windows/").json()
    assert [(w["school_year"], w["season"]) for w in windows] == [
        ("2026-2027", "spring"),
        ("2026-2027", "winter"),
        ("2026-2027", "fall"),
    ]
    assert client.get(f"/api/v1/windows/{window.pk}/").json()["label"] == "Fall 2026-2027"


@pytest.mark.django_db
def test_only_district_administrators_create_windows_and_errors_name_the_field(ready):
    side, window = ready
    body = {"school_year": "2026-2027", "season": "fall", "start_date": "2026-09-01", "end_date": "2026-09-30"}
    assert api(side.principal, side.district).post("/api/v1/windows/", body, format="json").status_code == 403
    admin = api(side.district_admin, side.district)
    response = admin.post("/api/v1/windows/", body, format="json")
    assert response.status_code == 400 and "already has a fall window" in response.json()["season"][0]
    response = admin.post("/api/v1/windows/", {**body, "school_year": "1999-2000"}, format="json")
    assert response.status_code == 400 and "school_year" in response.json()


@pytest.mark.django_db
def test_bulk_scores_are_all_or_nothing_with_errors_by_item(ready, world):
    side, window = ready
    admin = api(side.district_admin, side.district)
    items = [
        *score_items(side, {0: 8}),
        {"student": world.b.students[0].pk, "measure": "aimsweb-maze", "date": "2026-09-15", "percentile": 40},
        {"student_local_id": side.students[1].local_id, "measure": "aimsweb-mazee", "date": "2026-09-31"},
        {
            "student": side.students[2].pk,
            "measure": "aimsweb-maze",
            "date": "2026-09-15",
            "percentile": 101,
            "colour": "red",
        },
    ]
    response = admin.post("/api/v1/scores/", {"scores": items}, format="json")
    assert response.status_code == 400
    errors = {e["index"]: e["errors"] for e in response.json()["errors"]}
    assert errors[1] == {"student": ["unknown student"]}  # another district's student reads as unknown
    assert set(errors[2]) == {"date", "score"}
    assert set(errors[3]) == {"colour", "percentile"}
    with tenant_context(side.district):
        assert Score.objects.filter(district=side.district).count() == 0
        run = ImportRun.objects.get(pk=response.json()["import_run"])
    assert run.status == ImportRun.Status.REFUSED and run.format == "api"

    response = admin.post("/api/v1/scores/", {"scores": score_items(side, {0: 8, 1: 50})}, format="json")
    assert response.status_code == 201
    assert response.json()["counts"]["scores"]["created"] == 2
    again = admin.post("/api/v1/scores/", {"scores": score_items(side, {0: 8, 1: 50})}, format="json")
    assert again.json()["counts"]["scores"]["unchanged"] == 2
    principal = api(side.principal, side.district)
    assert principal.post("/api/v1/scores/", {"scores": items}, format="json").status_code == 403
    assert admin.post("/api/v1/scores/", {"scores": []}, format="json").status_code == 400


@pytest.mark.django_db
def test_scores_read_only_for_visible_students_and_are_logged(ready):
    side, window = ready
    admin = api(side.district_admin, side.district)
    admin.post("/api/v1/scores/", {"scores": score_items(side, {0: 8, 3: 50})}, format="json")
    rows = admin.get(f"/api/v1/scores/?window={window.pk}&measure=aimsweb-maze").json()["results"]
    assert {r["student"] for r in rows} == {side.students[0].pk, side.students[3].pk}
    flagged = next(r for r in rows if r["student"] == side.students[0].pk)
    assert (flagged["tier"], flagged["risk_rule"], flagged["policy_label"]) == (
        2,
        "screening.measures[1].risk",
        "loudon-county-tn@1",
    )
    principal = api(side.principal, side.district).get("/api/v1/scores/").json()["results"]
    assert {r["student"] for r in principal} == {side.students[0].pk}  # the middle school is not theirs
    teacher = api(side.teacher, side.district)
    assert teacher.get("/api/v1/scores/").json()["results"] == []
    assert teacher.get(f"/api/v1/scores/{flagged['id']}/").status_code == 404
    assert admin.get("/api/v1/scores/?grade=x").status_code == 400
    with tenant_context(side.district):
        assert AccessLog.objects.filter(district=side.district, what="screening scores", action="api_read").exists()


@pytest.mark.django_db
def test_import_jobs_upload_list_and_read(ready):
    side, window = ready
    admin = api(side.district_admin, side.district)
    with tenant_context(side.district):
        from screening.services import mapping_save

        mapping = mapping_save(
            district=side.district,
            actor=None,
            name="Sheet",
            columns={"student_id": "Student", "date": "Date", "measure": "Measure", "percentile": "PR"},
        )
    good = io.BytesIO(
        csv_bytes([["Student", "Date", "Measure", "PR"], [side.students[0].local_id, "9/14/2026", "aimsweb-maze", "8"]])
    )
    good.name = "fall.csv"
    response = admin.post(
        "/api/v1/imports/",
        {"kind": "scores", "format": "generic", "mapping": mapping.pk, "file": good},
        format="multipart",
    )
    # A job (issue 15): 202 with the status URL; here it ran in-process, so it has finished.
    assert response.status_code == 202 and response.json()["status"] == "succeeded"
    assert response["Location"] == response.json()["status_url"]
    assert response.json()["status_url"].endswith(f"/api/v1/imports/{response.json()['id']}/")
    bad = io.BytesIO(csv_bytes([["Student", "Date", "Measure", "PR"], ["NOBODY", "9/14/2026", "aimsweb-maze", "8"]]))
    bad.name = "bad.csv"
    response = admin.post(
        "/api/v1/imports/",
        {"kind": "scores", "format": "generic", "mapping": mapping.pk, "file": bad},
        format="multipart",
    )
    assert response.status_code == 202 and response.json()["status"] == "refused"
    assert response.json()["errors"][0]["line"] == 2
    runs = admin.get("/api/v1/imports/").json()["results"]
    assert [r["file_name"] for r in runs] == ["bad.csv", "fall.csv"]
    assert admin.get(f"/api/v1/imports/{runs[0]['id']}/").json()["error_count"] == 1
    missing = io.BytesIO(b"x")
    missing.name = "x.csv"
    response = admin.post(
        "/api/v1/imports/", {"kind": "scores", "format": "generic", "file": missing}, format="multipart"
    )
    assert response.status_code == 400 and "mapping" in response.json()
    principal = api(side.principal, side.district)
    assert principal.get("/api/v1/imports/").status_code == 403
    assert principal.get(f"/api/v1/imports/{runs[0]['id']}/").status_code == 403


def test_the_openapi_schema_describes_the_screening_endpoints():
    """The screening endpoints on their own (the project's /api/schema/ gathers every app's)."""
    from django.urls import include, path
    from drf_spectacular.generators import SchemaGenerator

    generator = SchemaGenerator(patterns=[path("api/v1/", include("screening.api_urls"))])
    schema = generator.get_schema(request=None, public=True)
    assert {
        "/api/v1/assessments/",
        "/api/v1/windows/",
        "/api/v1/windows/{window_id}/",
        "/api/v1/scores/",
        "/api/v1/scores/{score_id}/",
        "/api/v1/imports/",
        "/api/v1/imports/{run_id}/",
    } <= set(schema["paths"])
    assert "post" in schema["paths"]["/api/v1/scores/"] and "post" in schema["paths"]["/api/v1/imports/"]


@pytest.mark.django_db
def test_student_records_upload_through_the_imports_api(world):
    side = world.a
    admin = api(side.district_admin, side.district)
    grades = io.BytesIO(f"student_id,term,course_code,mark\n{side.students[0].local_id},S1,ALG1,B+\n".encode())
    grades.name = "grades.csv"
    response = admin.post("/api/v1/imports/", {"kind": "grades", "file": grades}, format="multipart")
    assert response.status_code == 202, response.json()
    body = response.json()
    assert (body["kind"], body["status"], body["format"]) == ("grades", "succeeded", "grades-csv")
    wrong = io.BytesIO(b"student_id,date,status\n")
    wrong.name = "a.csv"
    response = admin.post(
        "/api/v1/imports/", {"kind": "attendance", "shape": "oneroster", "file": wrong}, format="multipart"
    )
    assert response.status_code == 400
    assert response.json()["shape"] == ["A OneRoster gradebook holds course grades."]
