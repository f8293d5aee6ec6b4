"""The key pages work on a phone (390 px), a tablet (768 px) and a desktop (1280 px), and print
without their navigation (issue 14, item 6).

At each width: the page is no wider than the screen (no sideways scrolling of the page; a wide
table scrolls in its own box), axe-core finds no serious or critical violation, and below the
desktop width the main navigation folds behind a "Menu" button that opens it.
"""

from __future__ import annotations

import re

import pytest
from django.urls import reverse
from playwright.sync_api import expect

from interventions.meetings.services import agenda_build
from mtss.tenancy import tenant_context
from tests.browser.conftest import axe_check, follow, screenshot, sign_in, visit
from tests.interventions.test_meetings import _scenario

pytestmark = pytest.mark.browser

WIDTHS = {
    "phone": {"width": 390, "height": 844},
    "tablet": {"width": 768, "height": 1024},
    "desktop": {"width": 1280, "height": 800},
}

_PAGE_WIDTH = "() => [document.scrollingElement.scrollWidth, window.innerWidth]"
# The innermost elements that stick out past the right edge: named in a failure message.
_WIDE = """(limit) => Array.from(document.querySelectorAll('body *'))
  .filter((el) => el.getBoundingClientRect().right > limit + 1 && el.getClientRects().length)
  .filter((el) => { for (let p = el.parentElement; p && p !== document.body; p = p.parentElement) {
    if (getComputedStyle(p).overflowX !== 'visible') return false; } return true; })
  .filter((el, _, all) => !all.some((other) => other !== el && el.contains(other)))
  .slice(0, 5)
  .map((el) => el.tagName.toLowerCase() + (el.className ? '.' + String(el.className).split(' ').join('.') : '')
    + ' ' + Math.round(el.getBoundingClientRect().right) + 'px')"""


@pytest.fixture(params=list(WIDTHS))
def width(request, page):
    page.set_viewport_size(WIDTHS[request.param])
    return request.param


@pytest.fixture
def scene(program):
    side, plans, meeting = _scenario(program)
    with tenant_context(side.district):
        agenda_build(district=side.district, actor=side.principal, meeting=meeting)
    return {"side": side, "plans": plans, "meeting": meeting, "group": program["group"]}


def _specialist_pages(scene):
    plan = scene["plans"][0]
    return [
        reverse("home"),
        reverse("caseload"),
        reverse("group_detail", args=[scene["group"].pk]),
        reverse("plan_detail", args=[plan.pk]),
        reverse("student_detail", args=[plan.student_id]),
        reverse("meeting_detail", args=[scene["meeting"].pk]),
        reverse("notice_list"),
    ]


def _admin_pages(scene):
    return [
        reverse("home"),
        reverse("screening"),
        reverse("reports_home"),
        reverse("reports_district"),
        reverse("reports_fidelity", args=[scene["side"].school.pk]),
        reverse("notice_list"),
        reverse("student_list"),
    ]


def _assert_fits(page, width):
    scroll_width, viewport = page.evaluate(_PAGE_WIDTH)
    assert viewport == WIDTHS[width]["width"]
    if scroll_width > viewport:
        wide = page.evaluate(_WIDE, viewport)
        pytest.fail(f"{page.url} is {scroll_width} px wide on a {viewport} px screen: {wide}", pytrace=False)


def _check_pages(page, urls, width):
    for url in urls:
        visit(page, url)  # status 200 and axe, at this width
        _assert_fits(page, width)


def test_the_specialists_pages_fit_every_width(scene, page, live_server, width):
    sign_in(page, live_server, scene["side"].intervention_specialist)
    _check_pages(page, _specialist_pages(scene), width)


def test_the_administrators_pages_fit_every_width(scene, page, live_server, width):
    sign_in(page, live_server, scene["side"].district_admin)
    _check_pages(page, _admin_pages(scene), width)


def test_the_menu_folds_on_a_phone_and_opens_with_its_button(scene, page, live_server):
    page.set_viewport_size(WIDTHS["phone"])
    sign_in(page, live_server, scene["side"].intervention_specialist)
    nav = page.get_by_role("navigation", name="Main")
    button = nav.get_by_role("button", name="Menu")
    caseload = nav.get_by_role("link", name="Caseload")
    expect(button).to_be_visible()
    expect(button).to_have_attribute("aria-expanded", "false")
    expect(caseload).to_be_hidden()

    button.click()
    expect(button).to_have_attribute("aria-expanded", "true")
    expect(caseload).to_be_visible()
    expect(nav.get_by_text(re.compile("Intervention specialist"))).to_be_visible()  # the user menu
    axe_check(page)
    _assert_fits(page, "phone")
    screenshot(page, "menu-phone")
    follow(page, caseload)
    expect(page).to_have_url(re.compile(r"/caseload/$"))

    # Escape folds it again and gives the focus back to the button.
    button.click()
    expect(caseload).to_be_visible()
    page.keyboard.press("Escape")
    expect(caseload).to_be_hidden()
    expect(button).to_be_focused()


def test_on_a_desktop_the_links_show_without_a_menu_button(scene, page, live_server):
    sign_in(page, live_server, scene["side"].intervention_specialist)
    nav = page.get_by_role("navigation", name="Main")
    expect(nav.get_by_role("button", name="Menu")).to_be_hidden()
    expect(nav.get_by_role("link", name="Caseload")).to_be_visible()


def test_a_wide_table_scrolls_in_a_labelled_focusable_box(scene, page, live_server):
    page.set_viewport_size(WIDTHS["phone"])
    sign_in(page, live_server, scene["side"].district_admin)
    visit(page, reverse("reports_district"))
    boxes = page.locator("main .table-scroll")
    assert boxes.count() >= 1
    for i in range(boxes.count()):
        box = boxes.nth(i)
        expect(box).to_have_attribute("role", "region")
        expect(box).to_have_attribute("aria-label", re.compile(r"\S"))
        overflowing = box.evaluate("(el) => el.scrollWidth > el.clientWidth + 1")
        if overflowing:
            expect(box).to_have_attribute("tabindex", "0")
    _assert_fits(page, "phone")


@pytest.mark.parametrize("which", ["student", "plan", "meeting"])
def test_printing_hides_the_navigation_and_the_forms(scene, page, live_server, which):
    plan = scene["plans"][0]
    url = {
        "student": reverse("student_detail", args=[plan.student_id]),
        "plan": reverse("plan_detail", args=[plan.pk]),
        "meeting": reverse("meeting_detail", args=[scene["meeting"].pk]),
    }[which]
    sign_in(page, live_server, scene["side"].intervention_specialist)
    visit(page, url)
    nav = page.get_by_role("navigation", name="Main")
    expect(nav).to_be_visible()
    if which != "student":  # the record is read-only; the plan and the meeting carry forms
        assert page.locator("main form").count() > 0
    page.emulate_media(media="print")
    expect(nav).to_be_hidden()
    expect(page.locator(".site-footer")).to_be_hidden()
    for element in page.locator("main form, main button").all():
        expect(element).to_be_hidden()
    expect(page.get_by_role("heading", level=1)).to_be_visible()
    if which in ("plan", "student"):  # the plan's graph, and each plan's graph on the record
        expect(page.locator("main .chart svg").first).to_be_visible()
    page.emulate_media(media="screen")
    expect(nav).to_be_visible()
