"""A large-ish roster uploaded through the page runs as a job on a real worker: the page shows its
progress (htmx polling the progress fragment) and then the report (issue 15, "Done when")."""

from __future__ import annotations

import zipfile

import pytest
from django.test import override_settings
from playwright.sync_api import expect

from mtss.tenancy import tenant_context
from students.models import ImportRun, Student
from tests.browser.conftest import follow, screenshot, sign_in, visit
from tests.students.test_oneroster_import import generated_roster
from tests.test_jobs import QUEUE, worker  # noqa: F401  (fixture: a Celery worker process on the test database)

pytestmark = [pytest.mark.redis, pytest.mark.postgres]
STUDENTS = 2500


@pytest.fixture
def import_worker(worker):  # noqa: F811
    with override_settings(IMPORT_JOBS_IN_PROCESS=False, IMPORT_JOBS_QUEUE=QUEUE):
        yield worker


def test_a_large_roster_upload_shows_progress_and_finishes(page, live_server, world, import_worker, tmp_path):
    side = world.a
    folder = generated_roster(tmp_path / "roster", STUDENTS, teachers=10)
    archive = tmp_path / "district-roster.zip"
    with zipfile.ZipFile(archive, "w", zipfile.ZIP_DEFLATED) as out:
        for path in sorted(folder.iterdir()):
            out.write(path, path.name)

    sign_in(page, live_server, side.district_admin)
    visit(page, "/screening/imports/")
    page.get_by_label("Roster (OneRoster zip)").check()
    page.locator("#id_file").set_input_files(str(archive))
    page.get_by_label("Dry run: check and count, write nothing").uncheck()
    follow(page, page.get_by_role("button", name="Upload and check"))

    # The request only queued the job: the page shows the progress section, which htmx polls.
    expect(page.locator("#run-progress")).to_be_visible()
    expect(page.locator("#run-progress progress")).to_have_attribute("max", "100")
    screenshot(page, "import-job-progress")
    # When the worker is done, the fragment tells htmx to reload the page: the report replaces it.
    expect(page.locator("#run-status")).to_contain_text("Imported", timeout=180_000)
    expect(page.locator("#run-progress")).to_have_count(0)
    expect(page.locator('#run-counts tr[data-entity="students"] td').first).to_have_text(str(STUDENTS))

    with tenant_context(side.district):
        run = ImportRun.objects.filter(district=side.district).latest("id")
    assert run.status == ImportRun.Status.SUCCEEDED
    assert run.progress["phase"] == "done" and run.progress["read"] >= 2 * STUDENTS
    with tenant_context(side.district):
        assert Student.objects.filter(district=side.district, sourced_id__startswith="s").count() == STUDENTS
