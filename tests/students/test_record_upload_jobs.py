"""Attendance, incidents and course grades uploaded on the imports page run as import jobs (issue #17:
"The importers ... run as background jobs"): staged, claimed, run by the same services as the
command line, with progress, and the report on the import's page."""

from __future__ import annotations

import io
import zipfile
from pathlib import Path

import pytest
from django.test import override_settings

from mtss.tenancy import tenant_context
from students.models import AttendanceDay, CourseGrade, ImportRun, Student

pytestmark = pytest.mark.django_db
GRADEBOOK = Path(__file__).resolve().parents[1] / "data" / "oneroster-gradebook"


def _upload(name: str, data: bytes) -> io.BytesIO:
    buffer = io.BytesIO(data)
    buffer.name = name
    return buffer


def _latest(district) -> ImportRun:
    with tenant_context(district):
        return ImportRun.objects.filter(district=district).latest("id")


@override_settings(IMPORT_JOBS_IN_PROCESS=True)
def test_an_attendance_upload_runs_as_a_job_and_reports_on_its_page(world, client):
    side = world.a
    s1, s2 = side.students[0].local_id, side.students[1].local_id
    text = f"student_id,date,status\n{s1},2026-09-01,A\n{s2},2026-09-01,P\n"
    client.force_login(side.district_admin)
    response = client.post(
        "/screening/imports/",
        {"kind": "attendance", "file": _upload("attendance.csv", text.encode()), "shape": ""},
    )
    run = _latest(side.district)
    assert response.status_code == 302 and response["Location"] == f"/screening/imports/{run.pk}/"
    assert (run.kind, run.status, run.format) == ("attendance", ImportRun.Status.SUCCEEDED, "attendance-generic")
    assert run.counts == {"attendance_days": {"created": 2, "updated": 0, "unchanged": 0}}
    assert run.progress["phase"] == "done" and run.progress["read"] == 2 and run.progress["written"] == 2
    with tenant_context(side.district):
        assert AttendanceDay.objects.filter(district=side.district).count() == 2
    page = client.get(f"/screening/imports/{run.pk}/")
    assert page.status_code == 200
    assert 'data-entity="attendance days"' in page.content.decode()


@override_settings(IMPORT_JOBS_IN_PROCESS=True)
def test_a_dry_run_upload_of_a_oneroster_gradebook_then_import_now(world, client, tmp_path):
    side = world.a
    with tenant_context(side.district):
        Student.objects.filter(pk=side.students[0].pk).update(sourced_id="STU-1")
    archive = io.BytesIO()
    with zipfile.ZipFile(archive, "w") as out:
        for path in sorted(GRADEBOOK.iterdir()):
            out.write(path, path.name)
    client.force_login(side.district_admin)
    client.post(
        "/screening/imports/",
        {
            "kind": "grades",
            "shape": "oneroster",
            "dry_run": "on",
            "file": _upload("gradebook.zip", archive.getvalue()),
        },
    )
    dry = _latest(side.district)
    assert (dry.status, dry.format) == (ImportRun.Status.DRY_RUN, "grades-oneroster"), dry.errors
    with tenant_context(side.district):
        assert not CourseGrade.objects.exists()
    client.post(f"/screening/imports/{dry.pk}/", {"action": "import"})
    run = _latest(side.district)
    assert run.pk != dry.pk and run.status == ImportRun.Status.SUCCEEDED, run.errors
    with tenant_context(side.district):
        assert set(CourseGrade.objects.values_list("course_code", flat=True)) == {"ALG1", "ENG9"}


@override_settings(IMPORT_JOBS_IN_PROCESS=True)
def test_a_bad_incident_file_is_refused_whole_with_its_line(world, client):
    side = world.a
    text = f"incident_id,student_id,date,type,action\nI-1,{side.students[0].local_id},2026-09-03,NOPE,none\n"
    client.force_login(side.district_admin)
    client.post("/screening/imports/", {"kind": "incidents", "file": _upload("incidents.csv", text.encode())})
    run = _latest(side.district)
    assert run.status == ImportRun.Status.REFUSED
    assert [(e["line"], e["column"]) for e in run.errors] == [(2, "type")]


@pytest.mark.parametrize(
    ("fields", "field", "message"),
    [
        ({"kind": "attendance", "shape": "oneroster"}, "shape", "A OneRoster gradebook holds course grades."),
        ({"kind": "grades", "shape": "powerschool"}, "shape", "This shape is an attendance export."),
        (
            {"kind": "incidents", "accept_valid_rows": "on"},
            "accept_valid_rows",
            "Attendance, incidents and grades are imported whole or not at all.",
        ),
    ],
)
def test_the_upload_form_refuses_shapes_and_options_that_do_not_fit_the_kind(world, client, fields, field, message):
    side = world.a
    client.force_login(side.district_admin)
    response = client.post("/screening/imports/", {**fields, "file": _upload("x.csv", b"student_id\nA\n")})
    assert response.status_code == 200
    assert response.context["form"].errors[field] == [message]
    with tenant_context(side.district):
        assert not ImportRun.objects.filter(district=side.district).exists()
