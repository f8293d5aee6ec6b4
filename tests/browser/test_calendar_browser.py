"""The school calendar in the browser: a district administrator adds a snow day for one
school, at desktop width and at 768 px (a tablet), and every page passes axe-core."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from mtss.calendars import services
from mtss.calendars.models import CalendarEvent
from mtss.tenancy import tenant_context
from tests.browser.conftest import axe_check, follow, screenshot, sign_in, visit
from tests.calendars.helpers import D

pytestmark = pytest.mark.browser


@pytest.mark.parametrize("width", [1280, 768])
def test_an_admin_adds_a_snow_day_for_one_school(page, live_server, world, width):
    side = world.a
    with tenant_context(side.district):
        services.calendar_event_create(
            district=side.district,
            actor=None,
            kind="break",
            name="Winter break",
            start_date=D(2026, 12, 21),
            end_date=D(2027, 1, 1),
        )
    page.set_viewport_size({"width": width, "height": 900})
    sign_in(page, live_server, side.district_admin)
    if width >= 1024:
        follow(page, page.get_by_role("link", name="Calendar", exact=True))
    else:
        visit(page, "/calendar/")
    expect(page.get_by_role("heading", level=1)).to_have_text("School calendar")
    expect(page.locator("#calendar-events tbody tr")).to_have_count(1)

    page.get_by_label("Kind").select_option("closure")
    page.locator("main").get_by_label("Name").fill("Snow day")
    page.get_by_label("First day").fill("2027-01-12")
    page.get_by_label("Last day").fill("2027-01-12")
    page.get_by_label("For").select_option(label=side.school.name)
    follow(page, page.get_by_role("button", name="Add to the calendar"))
    expect(page.get_by_role("status")).to_contain_text("Added: Snow day, 2027-01-12.")
    row = page.locator("#calendar-events tbody tr[data-kind='closure']")
    expect(row).to_contain_text(side.school.name)
    screenshot(page, f"calendar-{width}")
    with tenant_context(side.district):
        assert list(
            CalendarEvent.objects.filter(district=side.district, kind="closure").values_list(
                "name", "start_date", "school_id"
            )
        ) == [("Snow day", D(2027, 1, 12), side.school.pk)]

    # A break over the winter break is refused with the dates, and the form keeps what was typed.
    page.get_by_label("Kind").select_option("break")
    page.locator("main").get_by_label("Name").fill("Holiday recess")
    page.get_by_label("First day").fill("2026-12-28")
    page.get_by_label("Last day").fill("2027-01-08")
    follow(page, page.get_by_role("button", name="Add to the calendar"), status=400)
    expect(page.get_by_role("alert")).to_contain_text("both cover 2026-12-28 to 2027-01-01")
    expect(page.locator("main").get_by_label("Name")).to_have_value("Holiday recess")

    visit(page, "/calendar/?view=month")
    expect(page.locator("table.month-grid")).to_have_count(11)
    expect(page.locator("table.month-grid td.day-off").filter(has_text="Snow day")).to_have_count(1)
    axe_check(page)
