"""Import jobs on a real Celery worker and Redis (issue 15, scope 3): uploads are staged, queued,
run by the worker, and followed through the status endpoint and the page's progress fragment."""

from __future__ import annotations

import io
import os
import time
import zipfile
from pathlib import Path

import pytest
from django.test import override_settings
from django.utils import timezone
from rest_framework.test import APIClient

from mtss.services import api_token_create
from mtss.tenancy import tenant_context
from screening import jobs, services
from screening.tasks import import_uploads_purge_task
from students.models import ImportRun, Student
from tests.screening.helpers import csv_bytes, setup_district
from tests.students.test_oneroster_import import generated_roster
from tests.test_jobs import QUEUE, worker  # noqa: F401  (fixture: a Celery worker process on the test database)

pytestmark = [pytest.mark.redis, pytest.mark.postgres]
FINISHED = {"dry_run", "succeeded", "refused", "partial"}


@pytest.fixture
def import_worker(worker):  # noqa: F811
    """The worker, with import jobs queued to its own queue (and not run in-process)."""
    with override_settings(IMPORT_JOBS_IN_PROCESS=False, IMPORT_JOBS_QUEUE=QUEUE):
        yield worker


def api(user, district):
    with tenant_context(district):
        _, key = api_token_create(district=district, user=user, name="test")
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {key}")
    return client


def roster_zip(tmp_path: Path, students: int) -> io.BytesIO:
    folder = generated_roster(tmp_path / "roster", students)
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for path in sorted(folder.iterdir()):
            archive.write(path, path.name)
    buffer.seek(0)
    buffer.name = "roster.zip"
    return buffer


def latest_run(district) -> ImportRun:
    with tenant_context(district):
        return ImportRun.objects.filter(district=district).latest("id")


def wait_for(get_status, *, limit: float = 120.0) -> list[dict]:
    """Poll until the run has finished; returns every status body seen (not a timing assertion)."""
    seen = []
    deadline = time.monotonic() + limit
    while time.monotonic() < deadline:
        body = get_status()
        seen.append(body)
        if body["status"] in FINISHED:
            return seen
        time.sleep(0.2)
    pytest.fail(f"the import did not finish; last status {seen[-1]}")


@pytest.mark.django_db(transaction=True)
def test_the_api_answers_202_and_the_worker_runs_the_roster(world, import_worker, tmp_path):
    side = world.a
    admin = api(side.district_admin, side.district)
    response = admin.post("/api/v1/imports/", {"kind": "roster", "file": roster_zip(tmp_path, 300)}, format="multipart")
    assert response.status_code == 202
    body = response.json()
    assert body["status"] == "queued" and body["progress"]["phase"] == "queued"
    assert response["Location"] == body["status_url"]

    seen = wait_for(lambda: admin.get(body["status_url"]).json())
    final = seen[-1]
    assert final["status"] == "succeeded", final["errors"]
    assert final["counts"]["students"]["created"] == 300
    # rows read: 2 teachers + 300 students + 300 parents, 302 enrolments, 2 classes, orgs, sessions, manifest
    assert final["progress"]["phase"] == "done" and final["progress"]["read"] >= 902
    assert final["progress"]["written"] >= 300 * 3
    assert final["progress"]["total"] >= final["progress"]["read"]
    with tenant_context(side.district):
        assert Student.objects.filter(district=side.district, sourced_id__startswith="s").count() == 300
    with tenant_context(side.district):
        run = ImportRun.objects.get(pk=body["id"])
    assert services.upload_path(district=side.district, token=run.options["upload"]) is None  # written: removed


@pytest.mark.django_db(transaction=True)
def test_another_districts_job_is_404_on_the_status_url(world, import_worker, tmp_path):
    admin_a = api(world.a.district_admin, world.a.district)
    body = admin_a.post(
        "/api/v1/imports/", {"kind": "roster", "file": roster_zip(tmp_path, 3), "dry_run": True}, format="multipart"
    ).json()
    seen = wait_for(lambda: admin_a.get(body["status_url"]).json())
    assert seen[-1]["status"] == "dry_run"
    admin_b = api(world.b.district_admin, world.b.district)
    assert admin_b.get(f"/api/v1/imports/{body['id']}/").status_code == 404
    assert admin_b.get(body["status_url"]).status_code == 404


@pytest.mark.django_db(transaction=True)
def test_a_refused_score_file_reports_line_and_column_through_the_job(world, import_worker):
    side = world.a
    setup_district(side)
    admin = api(side.district_admin, side.district)
    bad = io.BytesIO(
        csv_bytes(
            [
                ["Student ID", "Test Date", "Measure", "Score"],
                [side.students[0].local_id, "9/14/2026", "aimsweb-orf", "42"],
                [side.students[1].local_id, "13/45/2026", "aimsweb-orf", "40"],
            ]
        )
    )
    bad.name = "fall.csv"
    with tenant_context(side.district):
        mapping = services.mapping_save(
            district=side.district,
            actor=None,
            name="Sheet",
            columns={"student_id": "Student ID", "date": "Test Date", "measure": "Measure", "score": "Score"},
        )
    response = admin.post(
        "/api/v1/imports/",
        {"kind": "scores", "format": "generic", "mapping": mapping.pk, "file": bad},
        format="multipart",
    )
    assert response.status_code == 202
    final = wait_for(lambda: admin.get(response.json()["status_url"]).json())[-1]
    assert final["status"] == "refused" and final["error_count"] >= 1
    located = {(e["file"], e["line"], e["column"]) for e in final["errors"]}
    assert ("fall.csv", 3, "Test Date") in located, final["errors"]


@pytest.mark.django_db(transaction=True)
def test_the_page_queues_the_upload_and_polls_the_progress(world, import_worker, client, tmp_path):
    side = world.a
    client.force_login(side.district_admin)
    upload = roster_zip(tmp_path, 200)
    response = client.post("/screening/imports/", {"kind": "roster", "file": upload, "dry_run": ""})
    assert response.status_code == 302
    run = latest_run(side.district)
    assert response["Location"].endswith(f"/screening/imports/{run.pk}/")
    page = client.get(response["Location"])
    assert 'id="run-progress"' in page.content.decode()

    def fragment():
        status = latest_run(side.district).status  # read first: the fragment is at least this far
        answer = client.get(f"/screening/imports/{run.pk}/progress/", HTTP_HX_REQUEST="true")
        assert answer.status_code == 200
        return {"status": status, "html": answer.content.decode(), "refresh": answer.get("HX-Refresh")}

    seen = wait_for(fragment)
    assert seen[-1]["status"] == "succeeded" and seen[-1]["refresh"] == "true"
    assert 'id="progress-written"' in seen[-1]["html"]
    report = client.get(f"/screening/imports/{run.pk}/").content.decode()
    assert 'id="run-progress"' not in report and 'data-entity="students"' in report


@pytest.mark.django_db(transaction=True)
def test_the_beat_job_purges_staged_uploads_older_than_a_day(world, import_worker):
    district = world.a.district
    old = services.upload_store(district=district, chunks=[b"a,b\n"], suffix=".csv")
    fresh = services.upload_store(district=district, chunks=[b"a,b\n"], suffix=".csv")
    two_days_ago = time.time() - 2 * 24 * 3600
    os.utime(services.upload_path(district=district, token=old), (two_days_ago, two_days_ago))

    assert import_uploads_purge_task.apply_async(queue=QUEUE).get(timeout=60) >= 2

    assert services.upload_path(district=district, token=old) is None
    assert services.upload_path(district=district, token=fresh) is not None


@pytest.mark.django_db
def test_a_three_day_old_dry_run_no_longer_offers_import_now(world, client, tmp_path):
    side = world.a
    client.force_login(side.district_admin)
    client.post("/screening/imports/", {"kind": "roster", "file": roster_zip(tmp_path, 3), "dry_run": "on"})
    run = latest_run(side.district)
    assert run.status == ImportRun.Status.DRY_RUN
    assert "Import now" in client.get(f"/screening/imports/{run.pk}/").content.decode()

    with tenant_context(side.district):
        ImportRun.objects.filter(pk=run.pk).update(started_at=timezone.now() - timezone.timedelta(days=3))
    # Even if the file were still on disk (a purge that has not run yet), the run is too old.
    assert services.upload_path(district=side.district, token=run.options["upload"]) is not None
    assert "Import now" not in client.get(f"/screening/imports/{run.pk}/").content.decode()
    response = client.post(f"/screening/imports/{run.pk}/", {"action": "import"})
    assert response.status_code == 302
    with tenant_context(side.district):
        assert ImportRun.objects.filter(district=side.district).count() == 1  # nothing queued
    assert not jobs.staged_upload_kept(district=side.district, run=latest_run(side.district))


@pytest.mark.django_db
@override_settings(IMPORT_MAX_LINES=1000)
def test_a_score_file_past_the_line_cap_is_refused_naming_it(world, tmp_path):
    side = world.a
    setup_district(side)
    path = tmp_path / "blank.csv"
    path.write_bytes(b"Student,Date,Measure,PR\r\n" + b"\r\n" * 5000)
    run = services.scores_import(district=side.district, actor=None, path=path, format="aimsweb")
    assert run.status == ImportRun.Status.REFUSED and run.plan.refused_whole
    assert run.errors[0]["file"] == "blank.csv"
    assert "more than 1,000 lines" in run.errors[0]["reason"] and "IMPORT_MAX_LINES" in run.errors[0]["reason"]


@pytest.mark.django_db
def test_the_page_refuses_a_mass_exit_until_the_number_is_typed(world, client, tmp_path):
    from students.services import roster_import
    from tests.students.test_roster_safety import header_only

    side = world.a
    folder = generated_roster(tmp_path / "roster", 20)
    assert roster_import(district=side.district, actor=None, path=folder).status == ImportRun.Status.SUCCEEDED
    header_only(folder)
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for path in sorted(folder.iterdir()):
            archive.write(path, path.name)
    buffer.seek(0)
    buffer.name = "header-only.zip"
    client.force_login(side.district_admin)
    client.post("/screening/imports/", {"kind": "roster", "file": buffer, "dry_run": ""})
    refused = latest_run(side.district)
    exits = refused.details["exits"]
    assert refused.status == ImportRun.Status.REFUSED and exits["students"] == 20
    page = client.get(f"/screening/imports/{refused.pk}/").content.decode()
    assert 'id="exit-warning"' in page and 'name="confirm_exits"' in page

    def active() -> int:
        with tenant_context(side.district):
            return Student.objects.filter(district=side.district, sourced_id__startswith="s", exit_date=None).count()

    client.post(f"/screening/imports/{refused.pk}/", {"action": "import", "confirm_exits": str(exits["total"] + 1)})
    assert latest_run(side.district).pk == refused.pk and active() == 20  # a wrong number queues nothing

    client.post(f"/screening/imports/{refused.pk}/", {"action": "import", "confirm_exits": str(exits["total"])})
    confirmed = latest_run(side.district)
    assert confirmed.pk != refused.pk and confirmed.status == ImportRun.Status.SUCCEEDED
    assert confirmed.details["exits"]["confirmed"] and active() == 0
