"""A specialist logs a group session and sees the graph and findings update; a
duplicate is refused; a teacher sees only own students; an admin edits the policy."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from playwright.sync_api import expect

from interventions.services import probes_add
from mtss.tenancy import tenant_context
from students.services import student_grant_access
from tests.browser.conftest import follow, screenshot, sign_in, visit
from tests.program import START, program  # noqa: F401, F811  (fixture)

pytestmark = pytest.mark.browser


def _probes(world_program, weeks=6):
    side = world_program["side"]
    with tenant_context(side.district):
        for plan in world_program["plans"]:
            probes_add(
                district=side.district,
                actor=None,
                plan=plan,
                probes=[(START + dt.timedelta(weeks=w), 42 + w) for w in range(1, weeks + 1)],
            )


def test_a_specialist_logs_a_session_and_sees_the_graph_update(page, live_server, program):  # noqa: F811
    _probes(program)
    side, plans = program["side"], program["plans"]
    sign_in(page, live_server, side.intervention_specialist)
    visit(page, f"/interventions/plans/{plans[0].pk}/")
    rows_before = page.locator("#probe-table tbody tr").count()
    circles_before = page.locator("figure.chart svg circle").count()
    roi_before = page.locator("#observed-roi").inner_text()

    visit(page, f"/interventions/groups/{program['group'].pk}/")
    day = START + dt.timedelta(weeks=7)
    page.get_by_label("Date").fill(day.isoformat())
    name0, name1 = plans[0].student.full_name, plans[1].student.full_name
    page.get_by_role("group", name=f"Attendance of {name1}").get_by_label("Student absent").check()
    page.get_by_label(f"Probe score of {name0}").fill("70")
    follow(page, page.get_by_role("button", name="Log session"))
    expect(page.get_by_role("status")).to_contain_text(f"Session of {day.isoformat()} logged")
    history = page.locator("table").last
    expect(history).to_contain_text("Student absent")

    visit(page, f"/interventions/plans/{plans[0].pk}/")
    assert page.locator("#probe-table tbody tr").count() == rows_before + 1
    assert page.locator("figure.chart svg circle").count() == circles_before + 1
    expect(page.locator("#probe-table")).to_contain_text("70")
    assert page.locator("#observed-roi").inner_text() != roi_before  # the trend moved with the new point
    expect(page.locator("#findings li[data-rule='four_point']")).to_be_visible()
    expect(page.locator("#findings li[data-rule='fidelity']")).to_contain_text("sessions")
    screenshot(page, "plan-progress")


def test_a_duplicate_session_is_refused(page, live_server, program):  # noqa: F811
    side = program["side"]
    sign_in(page, live_server, side.intervention_specialist)
    url = f"/interventions/groups/{program['group'].pk}/"
    day = (START + dt.timedelta(days=2)).isoformat()
    for _attempt in range(2):
        visit(page, url)
        page.get_by_label("Date").fill(day)
        page.get_by_role("button", name="Log session").click()
        page.wait_for_load_state()
    alert = page.get_by_role("alert")
    expect(alert).to_be_visible()
    expect(page.locator(".errorlist")).to_contain_text("already logged")
    screenshot(page, "session-log")


def test_a_teacher_sees_only_own_students(page, live_server, program):  # noqa: F811
    side, plans = program["side"], program["plans"]
    with tenant_context(side.district):
        student_grant_access(district=side.district, user=side.teacher, student_ids=[plans[1].student_id])
    sign_in(page, live_server, side.teacher)
    visit(page, "/interventions/my-students/")
    rows = page.locator("#caseload tbody tr")
    expect(rows).to_have_count(1)
    expect(rows.first).to_contain_text(plans[1].student.last_name)
    visit(page, f"/interventions/plans/{plans[0].pk}/", status=404)
    visit(page, f"/interventions/plans/{plans[1].pk}/")


def test_the_caseload_comes_a_page_at_a_time_keeping_the_sort(page, live_server, program, monkeypatch):  # noqa: F811
    from interventions import selectors

    monkeypatch.setattr(selectors, "CASELOAD_PAGE_SIZE", 2)  # the live server's thread reads it
    side, plans = program["side"], program["plans"]
    sign_in(page, live_server, side.intervention_specialist)
    visit(page, "/interventions/caseload/?sort=recommendation&tier=2")
    rows = page.locator("#caseload tbody tr")
    expect(rows).to_have_count(2)
    pages = page.get_by_role("navigation", name="Pages of the caseload")
    expect(pages).to_contain_text("Page 1 of 2")
    follow(page, pages.get_by_role("link", name="Next"))
    expect(page).to_have_url(re.compile(r"sort=recommendation&tier=2&page=2$"))
    expect(rows).to_have_count(1)
    expect(page.get_by_label("Sort by")).to_have_value("recommendation")
    follow(page, page.get_by_role("navigation", name="Pages of the caseload").get_by_role("link", name="Previous"))
    expect(rows).to_have_count(2)
    shown = {plan.student.last_name for plan in plans}
    expect(rows.first).to_contain_text(re.compile("|".join(sorted(shown))))
    visit(page, "/interventions/caseload/?page=9", status=404)


def _set_value(field, text: str) -> None:
    """Put a whole document into a field in one step, as a paste does.

    `fill` of the 76,000-character policy took longer than the locator timeout on a
    busy 2-core machine; this test is about validation, not typing speed. The input
    and change events let any script on the page see the new value."""
    field.evaluate(
        """(el, value) => {
            el.value = value;
            el.dispatchEvent(new Event("input", {bubbles: true}));
            el.dispatchEvent(new Event("change", {bubbles: true}));
        }""",
        text,
    )


def test_an_admin_edits_the_policy_with_validation_and_compares_versions(page, live_server, world):
    from mtss.policy import preset_data
    from mtss.services import policy_version_create

    with tenant_context(world.a.district):
        policy_version_create(
            district=world.a.district,
            actor=None,
            data=preset_data("loudon-county-tn"),
            effective_from=dt.date(2026, 8, 1),
        )
    sign_in(page, live_server, world.a.district_admin)
    visit(page, "/policy/")
    follow(page, page.get_by_role("button", name="Edit the policy"))
    editor = page.get_by_label("Policy document (JSON)")
    text = editor.input_value()
    broken = re.sub(r'("max_group_size":\s*)5', r'\1"five"', text, count=1)
    assert broken != text
    _set_value(editor, broken)
    follow(page, page.get_by_role("button", name="Validate and save as a new version"))
    expect(page.locator("#policy-errors")).to_contain_text("max_group_size")
    assert '"five"' in page.get_by_label("Policy document (JSON)").input_value()  # nothing typed is lost
    _set_value(
        page.get_by_label("Policy document (JSON)"), re.sub(r'("max_group_size":\s*)5', r"\g<1>4", text, count=1)
    )
    page.get_by_label("What changed and why").fill("Smaller Tier II groups")
    follow(page, page.get_by_role("button", name="Validate and save as a new version"))
    expect(page.locator("h1")).to_be_visible()
    assert re.search(r"/policy/versions/\d+/$", page.url)
    visit(page, "/policy/compare/")
    diff = page.locator("#policy-diff")
    expect(diff).to_contain_text("max_group_size")
    expect(diff.locator("del").first).to_have_text("5")
    expect(diff.locator("ins").first).to_have_text("4")
    screenshot(page, "policy-compare")
