"""A specialist's day starts on the home page: today's group, unlogged, logged in one click; any
member finds a student from the header search with an accent-free query (issue 14, items 3 and 7).

Desktop and a 768 px tablet; every page and htmx update is scanned with axe-core.
"""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from interventions.models import InterventionSession
from mtss.tenancy import tenant_context
from tests import factories as f
from tests.browser.conftest import follow, htmx_submit, screenshot, sign_in
from tests.program import START

pytestmark = pytest.mark.browser

WEDNESDAY = START + dt.timedelta(weeks=4, days=2)  # the program's group meets Monday to Thursday
WIDTHS = {"desktop": {"width": 1280, "height": 800}, "tablet": {"width": 768, "height": 1024}}


@pytest.fixture(params=list(WIDTHS))
def width(request, page):
    page.set_viewport_size(WIDTHS[request.param])
    return request.param


def test_a_specialist_logs_todays_group_from_the_home_page(program, page, live_server, monkeypatch, width):
    monkeypatch.setattr(timezone, "localdate", lambda *args, **kwargs: WEDNESDAY)
    side, group = program["side"], program["group"]
    sign_in(page, live_server, side.intervention_specialist)  # lands on home, axe-scanned

    today = page.locator("#groups-today")
    row = today.get_by_role("row", name=re.compile(group.name))
    expect(row).to_be_visible()
    button = row.get_by_role("button", name=re.compile("Log today, everyone present"))
    expect(button).to_be_visible()
    expect(page.locator("#reminders")).to_contain_text("3 progress probes are overdue")
    screenshot(page, f"home-specialist-{width}")

    follow(page, button)  # one click; back on home, scanned
    expect(page.get_by_role("status")).to_contain_text("today's session logged, everyone present")
    expect(row).to_contain_text("Logged")
    expect(row.get_by_role("button")).to_have_count(0)
    with tenant_context(side.district):
        assert InterventionSession.objects.filter(district=side.district, group=group, date=WEDNESDAY).count() == 1


def test_the_header_search_finds_a_student_without_the_accent(world, page, live_server, width):
    a = world.a
    student = f.make_student(a.district, a.school, first_name="Lucía", last_name="Vásquez")
    f.make_student(a.district, a.school, first_name="Luis", last_name="Vance")
    sign_in(page, live_server, a.principal)

    box = page.get_by_role("searchbox", name="Find a student by name, local id or state id")
    htmx_submit(page, lambda: box.fill("Vasquez"))  # suggestions by POST, scanned
    suggestions = page.locator("#header-search-results")
    expect(suggestions.get_by_role("link")).to_have_count(1)
    follow(page, suggestions.get_by_role("link", name="Vásquez, Lucía"))
    expect(page).to_have_url(re.compile(rf"/students/{student.pk}/$"))
    expect(page.get_by_role("heading", level=1)).to_have_text("Lucía Vásquez")


def test_after_back_the_students_list_agrees_with_its_search_box(world, page, live_server):
    a = world.a
    student = f.make_student(a.district, a.school, first_name="Emily", last_name="Delgado")
    sign_in(page, live_server, a.principal)
    follow(page, page.get_by_role("navigation", name="Main").get_by_role("link", name="Students"))
    box = page.get_by_label("Name or local id")
    box.fill("Delgado, Emily")
    htmx_submit(page, lambda: page.get_by_role("button", name="Search").click())
    expect(page.locator("#results tbody tr")).to_have_count(1)
    follow(page, page.locator("#results").get_by_role("link", name="Delgado, Emily"))
    expect(page).to_have_url(re.compile(rf"/students/{student.pk}/$"))

    page.go_back()
    page.wait_for_load_state("load")
    # Chromium restores the box's text (the report); the list must follow it.
    expect(box).to_have_value("Delgado, Emily")
    expect(page.locator("#results tbody tr td:first-child")).to_have_text(["Delgado, Emily"])
