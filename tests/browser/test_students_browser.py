"""A principal signs in, finds students with the filters and search, opens a record.

Every page (and every htmx update) these tests reach is scanned with axe-core;
a serious or critical violation fails the test (tests/browser/conftest.py).
"""

from __future__ import annotations

import datetime as dt
import re

import pytest
from playwright.sync_api import expect

from interventions.models import TierPlacement
from mtss.tenancy import tenant_context
from tests import factories as f
from tests.browser.conftest import axe_check, follow, htmx_submit, screenshot, sign_in, visit

pytestmark = pytest.mark.browser


def _name(student) -> str:
    return f"{student.last_name}, {student.display_first_name}"


def _listed(page) -> list[str]:
    return page.locator("#results tbody tr td:first-child").all_inner_texts()


def _place(student, area: str, tier: int) -> TierPlacement:
    with tenant_context(student.district_id):
        return TierPlacement.objects.create(
            district_id=student.district_id, student=student, area=area, tier=tier, start_date=dt.date(2026, 9, 15)
        )


@pytest.fixture
def school_a(world):
    """More variety in the principal's school: grades, subgroups and tier placements to filter on and to scan."""
    a = world.a
    gomez = f.make_student(a.district, a.school, first_name="Lena", last_name="Gomez", grade=4, english_learner=True)
    okafor = f.make_student(a.district, a.school, first_name="Sam", last_name="Okafor", grade=3, gifted=True)
    _place(gomez, "reading", 2)
    _place(okafor, "math", 3)
    _place(a.students[0], "reading", 2)
    _place(a.students[0], "behavior", 4)
    return {"alphas": a.students[:3], "gomez": gomez, "okafor": okafor}


def test_principal_signs_in_through_the_form_and_lands_on_home(world, page, live_server):
    sign_in(page, live_server, world.a.principal)  # scans the login page and the landing page

    expect(page).to_have_url(re.compile(r"/$"))
    expect(page.get_by_role("heading", level=1)).to_contain_text("Welcome")
    expect(page.locator("main")).to_contain_text(f"You are signed in as Principal in {world.a.district.name}.")
    expect(page.get_by_role("navigation", name="Main").get_by_role("link", name="Students")).to_be_visible()


def test_failed_sign_in_shows_the_error(world, page, live_server):
    sign_in(page, live_server, world.a.principal, password="not-the-password", success=False)  # axe-scanned

    alert = page.get_by_role("alert")
    expect(alert).to_contain_text("Please correct the fields marked below.")
    expect(alert).to_contain_text("That username and password do not match.")
    expect(page.get_by_label("Username")).to_have_value(world.a.principal.username)
    expect(page.get_by_label("Password")).to_have_value("")


def test_student_list_filters_and_search_update_the_results(world, school_a, page, live_server):
    sign_in(page, live_server, world.a.principal)
    follow(page, page.get_by_role("navigation", name="Main").get_by_role("link", name="Students"))

    everyone = sorted(_name(s) for s in [*school_a["alphas"], school_a["gomez"], school_a["okafor"]])
    expect(page.get_by_role("heading", name="5 students")).to_be_visible()
    assert sorted(_listed(page)) == everyone
    screenshot(page, "students-list")

    search = page.get_by_role("button", name="Search")
    grade = page.get_by_label("Grade", exact=True)
    subgroup = page.get_by_label("Subgroup", exact=True)

    grade.select_option(label="4")
    htmx_submit(page, search.click)
    expect(page.get_by_role("heading", name="1 student", exact=True)).to_be_visible()
    assert _listed(page) == [_name(school_a["gomez"])]

    grade.select_option(label="All grades")
    subgroup.select_option(label="Gifted and talented")
    htmx_submit(page, search.click)
    assert _listed(page) == [_name(school_a["okafor"])]

    grade.select_option(label="2")
    htmx_submit(page, search.click)
    expect(page.locator("#results")).to_contain_text("No students match these filters.")
    assert _listed(page) == []

    grade.select_option(label="All grades")
    subgroup.select_option(label="All students")
    page.get_by_label("Tier", exact=True).select_option(label="2")
    htmx_submit(page, search.click)
    assert sorted(_listed(page)) == sorted([_name(school_a["alphas"][0]), _name(school_a["gomez"])])
    page.get_by_label("Tier", exact=True).select_option(label="Any tier")

    grade.select_option(label="All grades")
    subgroup.select_option(label="All students")
    target = school_a["alphas"][1]
    page.get_by_label("Name or local id").fill(target.last_name.upper())
    response = htmx_submit(page, lambda: page.get_by_label("Name or local id").press("Enter"))
    assert response.request.method == "POST"
    assert _listed(page) == [_name(target)]
    assert target.last_name.lower() not in page.url.lower(), "student names must never travel in the URL"

    page.get_by_label("Name or local id").fill("")
    htmx_submit(page, search.click)
    assert sorted(_listed(page)) == everyone


def test_principal_opens_a_student_record_from_the_list(world, school_a, page, live_server):
    student = world.a.students[0]
    sign_in(page, live_server, world.a.principal)
    visit(page, "/students/")

    follow(page, page.locator("#results").get_by_role("link", name=_name(student)))

    expect(page).to_have_url(re.compile(rf"/students/{student.pk}/$"))
    expect(page.get_by_role("heading", level=1)).to_have_text(student.full_name)
    expect(page.get_by_role("navigation", name="Breadcrumb").get_by_role("link", name="Students")).to_be_visible()
    expect(page.locator("hgroup")).to_contain_text(f"Local id {student.local_id}")
    facts = page.get_by_role("region", name="Student", exact=True)
    expect(facts).to_contain_text(f"{student.first_name}  {student.last_name}")

    tiers = page.get_by_role("region", name="Tier placements").locator("tbody tr")
    expect(tiers).to_have_count(2)
    expect(tiers.filter(has_text="behavior")).to_contain_text("4")
    expect(tiers.filter(has_text="reading")).to_contain_text("2")

    guardians = page.get_by_role("region", name="Guardians and contacts")
    guardian_row = guardians.locator("tbody tr")
    expect(guardian_row).to_have_count(1)
    expect(guardian_row).to_contain_text(f"Alex {student.last_name}")
    expect(guardian_row).to_contain_text("parent@example.org")
    expect(guardian_row).to_contain_text("1 Main St")
    # Principals may add a guardian (GUARDIAN_EDITORS) but not edit the student.
    expect(guardians.get_by_role("link", name="Add a guardian or contact")).to_be_visible()
    expect(page.get_by_role("link", name="Edit", exact=True)).to_have_count(0)

    enrolment = page.get_by_role("region", name="Enrolment history").locator("tbody tr")
    expect(enrolment).to_have_count(1)
    expect(enrolment).to_contain_text("2026-2027")
    expect(enrolment).to_contain_text(world.a.school.name)
    screenshot(page, "student-record")


def test_principal_never_sees_another_districts_students(world, page, live_server):
    sign_in(page, live_server, world.a.principal)

    for foreign in world.b.students:
        visit(page, f"/students/{foreign.pk}/", status=404)  # the 404 page is axe-scanned too
        expect(page.locator("body")).not_to_contain_text(foreign.first_name)

    visit(page, "/students/")
    expect(page.get_by_role("heading", name="3 students")).to_be_visible()
    results = page.locator("#results").inner_text()
    for foreign in world.b.students:
        assert foreign.local_id not in results
        assert foreign.first_name not in results
    # Nor the student of the principal's own district in a school the principal does not cover.
    other_school = world.a.students[3]
    assert other_school.local_id not in results
    assert sorted(_listed(page)) == sorted(_name(s) for s in world.a.students[:3])


@pytest.mark.parametrize("path", ["/", "/students/"], ids=["home", "student-list"])
def test_skip_link_is_the_first_tab_stop_and_moves_focus_to_main(world, page, live_server, path):
    # (The login page is different on purpose: Django autofocuses the username field there.)
    sign_in(page, live_server, world.a.principal)
    visit(page, path)

    page.keyboard.press("Tab")
    skip = page.get_by_role("link", name="Skip to main content")
    expect(skip).to_be_focused()
    box = skip.bounding_box()
    assert box is not None and box["x"] >= 0 and box["y"] >= 0, f"the focused skip link is off-screen: {box}"
    expect(skip).to_be_in_viewport()

    page.keyboard.press("Enter")
    expect(page).to_have_url(re.compile(r"#main$"))
    expect(page.locator("main#main")).to_be_focused()
    # The next Tab continues inside main, not back at the header.
    page.keyboard.press("Tab")
    assert page.evaluate("() => document.getElementById('main').contains(document.activeElement)")
    axe_check(page)


def test_axe_check_reports_serious_violations_readably(page):
    """The scanner itself: a page with known violations must fail, naming rule and element."""
    page.set_content(
        '<html><body><main><img src="data:," id="no-alt"><p style="color:#ccc;background:#fff">'
        "faint</p></main></body></html>"
    )
    with pytest.raises(pytest.fail.Exception) as failure:
        axe_check(page)
    message = str(failure.value)
    assert "image-alt [critical]" in message and "#no-alt" in message
    assert "color-contrast [serious]" in message
