"""A principal opens the early-warning dashboard and drills into a school (issue 17, "Done when"),
at desktop width and at 768 px, and every page passes axe-core."""

from __future__ import annotations

import datetime as dt

import pytest
from playwright.sync_api import expect

from mtss.models import SchoolYear
from mtss.tenancy import tenant_context
from students.models import EarlyWarningFlag
from tests.browser.conftest import follow, screenshot, sign_in, visit

pytestmark = pytest.mark.browser


@pytest.mark.parametrize("width", [1280, 768])
def test_a_principal_opens_the_dashboard_and_drills_into_a_school(page, live_server, world, width):
    side = world.a
    student = side.students[0]
    with tenant_context(side.district):
        year = SchoolYear.objects.get(district=side.district)
        EarlyWarningFlag.objects.create(
            district=side.district,
            student=student,
            school=side.school,
            school_year=year,
            indicator="attendance",
            explanation="missed 4 of 32 instructional days (12.5 %) through 2026-09-30; at or above the policy's 10 %",
            numbers={"days_missed": 4, "days_enrolled": 32},
            first_flagged_on=dt.date(2026, 9, 30),
            computed_on=dt.date(2026, 9, 30),
        )
    page.set_viewport_size({"width": width, "height": 900})
    sign_in(page, live_server, side.principal)
    visit(page, "/reports/early-warning/")
    expect(page.locator("h1")).to_have_text("Early warning")
    table = page.locator("#table-by-school")
    expect(table).to_contain_text(side.school.name)
    expect(table).to_contain_text("too few to judge")  # 3 students: the small-n guard
    screenshot(page, f"early-warning-{width}")

    follow(page, table.get_by_role("link", name=side.school.name))
    expect(page.locator("h1")).to_contain_text(side.school.name)
    rows = page.locator("#table-students tbody tr")
    expect(rows).to_have_count(1)
    expect(rows.first).to_contain_text(student.last_name)
    expect(rows.first).to_contain_text("missed 4 of 32 instructional days (12.5 %)")

    # The review queue's action: mark it reviewed; the page says so.
    follow(page, page.get_by_role("button", name=f"Mark Chronic absence of {student} reviewed"))
    expect(page.locator("#table-students tbody tr").first).to_contain_text("Reviewed")
    with tenant_context(side.district):
        assert EarlyWarningFlag.objects.get(student=student).status == "reviewed"
