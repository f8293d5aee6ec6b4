"""A district administrator uploads daily attendance on the imports page (issue #17: the student-record
importers "run as background jobs"): the page shows the queued job's progress, and the report once
the job has run; at desktop width and at 768 px, every page scanned with axe-core."""

from __future__ import annotations

import datetime as dt

import pytest
from django.test import override_settings
from playwright.sync_api import expect

from mtss.tenancy import tenant_context
from screening import jobs
from students.models import AttendanceDay, ImportRun
from tests.browser.conftest import axe_check, follow, screenshot, sign_in, visit

pytestmark = [pytest.mark.browser, pytest.mark.redis]
# No worker listens on this queue: the job waits until the test runs it, so the progress section is
# seen for certain (a small file would otherwise finish before the page loads).
IDLE_QUEUE = "record-upload-browser-idle"


def _attendance_csv(path, students) -> int:
    days = [dt.date(2026, 9, 1) + dt.timedelta(days=i) for i in range(40)]
    days = [d for d in days if d.weekday() < 5]
    lines = ["student_id,date,status"]
    for n, student in enumerate(students):
        for i, day in enumerate(days):
            lines.append(f"{student.local_id},{day:%Y-%m-%d},{'A' if (i + n) % 9 == 0 else 'P'}")
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return len(lines) - 1


@pytest.mark.parametrize("width", [1280, 768])
def test_an_attendance_upload_shows_the_jobs_progress_then_its_report(page, live_server, world, tmp_path, width):
    side = world.a
    path = tmp_path / "attendance-fall.csv"
    rows = _attendance_csv(path, side.students)
    page.set_viewport_size({"width": width, "height": 900})
    sign_in(page, live_server, side.district_admin)
    with override_settings(IMPORT_JOBS_IN_PROCESS=False, IMPORT_JOBS_QUEUE=IDLE_QUEUE):
        visit(page, "/screening/imports/")
        page.get_by_label("Daily attendance").check()
        page.locator("#id_file").set_input_files(str(path))
        page.get_by_label("Dry run: check and count, write nothing").uncheck()
        follow(page, page.get_by_role("button", name="Upload and check"))

    expect(page.locator("#run-progress")).to_be_visible()
    expect(page.locator("#progress-heading")).to_have_text("Waiting for a worker to start the import")
    screenshot(page, f"record-upload-progress-{width}")
    with tenant_context(side.district):
        run = ImportRun.objects.filter(district=side.district).latest("id")
    assert (run.kind, run.status) == ("attendance", ImportRun.Status.QUEUED)

    # The worker's part, run here: the page's poll sees the job end and reloads with the report.
    jobs.import_job_run(district=side.district, run_id=run.pk)
    expect(page.locator("#run-status")).to_contain_text("Imported", timeout=30_000)
    expect(page.locator('#run-counts tr[data-entity="attendance days"] td').first).to_have_text(str(rows))
    axe_check(page)
    with tenant_context(side.district):
        assert AttendanceDay.objects.filter(district=side.district).count() == rows
        run.refresh_from_db()
    assert run.progress["phase"] == "done" and run.progress["read"] == rows
