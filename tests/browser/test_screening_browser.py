"""Screening in the browser: a principal reads the window's breakdown and works through the review
queue; a district administrator uploads a score file with a broken row, downloads the rejected rows,
imports the valid ones, and visits the windows and catalog pages.

Every page these tests reach is scanned with axe-core (tests/browser/conftest.py).
"""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from mtss.tenancy import tenant_context
from screening import services
from screening.models import ReviewItem, Score
from tests.browser.conftest import follow, screenshot, sign_in, visit
from tests.screening.helpers import csv_bytes, score_items, setup_district

pytestmark = pytest.mark.browser


@pytest.fixture
def screened(world):
    side = world.a
    window = setup_district(side)
    services.scores_create_bulk(
        district=side.district, actor=None, items=score_items(side, {0: 5, 1: 12, 2: 20, 3: 80})
    )
    return side, window


def test_a_principal_reads_the_breakdown_and_works_through_the_review_queue(page, live_server, screened):
    side, window = screened
    sign_in(page, live_server, side.principal)
    visit(page, "/screening/")
    expect(page.get_by_role("heading", level=1)).to_have_text("Universal screening")
    expect(page.locator("figure.screening-chart svg[role=img]")).to_be_visible()
    expect(page.locator("#guideline tr[data-tier='2'] td").first).to_have_text("3")
    expect(page.locator("#breakdown tbody tr")).to_have_count(1)  # the principal's school only
    expect(page.locator("#subgroups")).to_contain_text("English learner")
    screenshot(page, "screening-breakdown")

    follow(page, page.get_by_role("link", name=re.compile("3 newly flagged students to review")))
    rows = page.locator("#review-queue tbody tr")
    expect(rows).to_have_count(3)
    first, second, third = (f"{s.last_name}, {s.display_first_name}" for s in side.students[:3])
    expect(rows.first).to_contain_text("Percentile 5 (national, from the score file) is below 25")

    follow(page, page.get_by_role("button", name=f"Mark reviewed {side.students[0].full_name}"))
    expect(page.get_by_role("status")).to_contain_text("marked reviewed")
    expect(page.locator("#review-queue tbody tr")).to_have_count(2)

    # Dismissing needs a reason: the browser will not send an empty one.
    dismiss = page.get_by_role("button", name=f"Dismiss {side.students[1].full_name}")
    dismiss.click()
    expect(page.locator("#review-queue tbody tr")).to_have_count(2)
    page.get_by_label(f"Reason to dismiss {side.students[1].full_name}").fill("Scored low on a bad day; retest")
    follow(page, dismiss)
    expect(page.get_by_role("status")).to_contain_text("dismissed")
    expect(page.locator("#review-queue tbody tr")).to_have_count(1)

    follow(page, page.get_by_role("button", name=f"Start a plan {side.students[2].full_name}"))
    expect(page).to_have_url(re.compile(rf"/interventions/students/{side.students[2].pk}/plans/new/\?review_item=\d+$"))
    expect(page.get_by_role("heading", level=1)).to_contain_text("New intervention plan")

    visit(page, f"/screening/review/?window={window.pk}&status=all")
    expect(page.locator("#review-queue tbody tr[data-status='dismissed']")).to_contain_text("retest")
    visit(page, "/screening/entrants/")
    with tenant_context(side.district):
        statuses = sorted(ReviewItem.objects.filter(district=side.district).values_list("status", flat=True))
    # Issue 14: the item is marked "plan started" only once the plan is saved; the form was left.
    assert statuses == ["dismissed", "open", "reviewed"]


def test_an_administrator_imports_a_file_with_a_broken_row(page, live_server, screened, tmp_path):
    side, window = screened
    with tenant_context(side.district):
        services.mapping_save(
            district=side.district,
            actor=None,
            name="Winter sheet",
            columns={"student_id": "Student", "date": "Date", "measure": "Measure", "percentile": "PR"},
        )
        services.windows_default(district=side.district, actor=None, school_year=window.school_year)
    path = tmp_path / "winter.csv"
    path.write_bytes(
        csv_bytes(
            [
                ["Student", "Date", "Measure", "PR"],
                # A past day of the fall window: a score dated in the future is refused (issue 15).
                [side.students[0].local_id, "10/12/2026", "aimsweb-maze", "37"],
                ["NOBODY-9", "10/12/2026", "aimsweb-maze", "30"],
            ]
        )
    )
    with tenant_context(side.district):
        scores_before = Score.objects.filter(district=side.district).count()
    sign_in(page, live_server, side.district_admin)
    visit(page, "/screening/imports/")
    page.get_by_label("Scores", exact=True).check()
    page.get_by_label("Score format", exact=True).select_option("generic")
    page.get_by_label("Saved column mapping (generic CSV)").select_option(label="Winter sheet")
    page.locator("#id_file").set_input_files(str(path))
    page.get_by_label("Dry run: check and count, write nothing").uncheck()
    follow(page, page.get_by_role("button", name="Upload and check"))

    expect(page.locator("#run-status")).to_contain_text("Refused: nothing written")
    expect(page.locator("#run-errors")).to_contain_text("NOBODY-9")
    expect(page.locator("#run-errors tbody tr td").nth(1)).to_have_text("3")
    expect(page.locator("#unmatched")).to_contain_text("NOBODY-9 (1 row)")
    with page.expect_download() as download:
        page.get_by_role("link", name="Download every rejected row (CSV)").click()
    content = open(download.value.path(), encoding="utf-8").read().splitlines()
    assert content == [
        "file,line,column,reason",
        "winter.csv,3,Student,no student with local id or state id NOBODY-9 in the district's roster",
    ]
    with tenant_context(side.district):
        assert Score.objects.filter(district=side.district).count() == scores_before  # nothing written
    screenshot(page, "screening-import-refused")

    follow(page, page.get_by_role("button", name="Import the valid rows"))
    expect(page.locator("#run-status")).to_contain_text("Valid rows imported, others rejected")
    with tenant_context(side.district):
        written = Score.objects.filter(
            district=side.district, student=side.students[0], window__season="fall", measure__key="aimsweb-maze"
        )
        assert [s.percentile for s in written] == [37]

    visit(page, "/screening/imports/")
    expect(page.locator("#import-runs tbody tr")).to_have_count(3)  # the setup's API import and the two above
    visit(page, "/screening/windows/")
    visit(page, "/screening/catalog/")
    visit(page, "/screening/mappings/")
