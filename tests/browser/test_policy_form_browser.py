"""The policy form editor in the browser (issue 14, "Done when": the policy form editor with a
bad value shown beside its field), at desktop width and at 768 px (a tablet). Every page
passes axe-core (tests/browser/conftest.py)."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from mtss.models import PolicyVersion
from mtss.policy import preset_data
from mtss.services import policy_version_create
from mtss.tenancy import tenant_context
from tests.browser.conftest import follow, sign_in, visit

pytestmark = pytest.mark.browser


def _install(side, preset):
    with tenant_context(side.district):
        policy_version_create(district=side.district, actor=None, data=preset_data(preset), effective_from="2026-08-01")


def _latest(side):
    with tenant_context(side.district):
        return PolicyVersion.objects.filter(district=side.district).order_by("-version").first()


@pytest.mark.parametrize("width", [1280, 768])
def test_a_bad_policy_value_is_shown_beside_its_field_then_fixed_and_saved(page, live_server, world, width):
    side = world.a
    _install(side, "loudon-county-tn")
    page.set_viewport_size({"width": width, "height": 900})
    sign_in(page, live_server, side.district_admin)
    visit(page, "/policy/edit/")
    follow(page, page.get_by_role("link", name="Tiers", exact=True))
    expect(page.get_by_role("heading", level=1)).to_have_text("Policy: Tiers")

    expect(page.get_by_role("group", name="Tier 2 (Tier II) › Dosage")).to_be_visible()
    minutes = page.locator("#f-tiers-1-dosage-minutes_per_session")  # Tier 2
    expect(minutes).to_have_accessible_name("Minutes per session")
    # The field has its help text and source note (aria-describedby).
    expect(minutes).to_have_accessible_description(re.compile(r"Source: Loudon County Schools"))
    minutes.fill("0")
    follow(page, page.get_by_role("button", name="Save as a new version"), status=400)
    minutes = page.locator("#f-tiers-1-dosage-minutes_per_session")
    expect(minutes).to_have_attribute("aria-invalid", "true")
    error = page.locator("#f-tiers-1-dosage-minutes_per_session-error")
    expect(error).to_have_text("Tier 2 (Tier II) › Dosage › Minutes per session: must be at least 1, got 0")
    expect(page.get_by_role("alert")).to_contain_text("Nothing was saved")
    assert _latest(side).version == 1
    assert page.evaluate("document.querySelector('form.policy-form').scrollWidth <= window.innerWidth")

    minutes.fill("40")
    follow(page, page.get_by_role("button", name="Review the changes"))
    expect(page.locator("#policy-changes")).to_contain_text("tiers[1].dosage.minutes_per_session")
    follow(page, page.get_by_role("button", name="Save as a new version"))
    expect(page).to_have_url(re.compile(r"/policy/versions/\d+/$"))
    latest = _latest(side)
    assert latest.version == 2 and latest.document["tiers"][1]["dosage"]["minutes_per_session"] == 40


@pytest.mark.parametrize("width", [1280, 768])
def test_the_cut_score_grid_is_a_labelled_table_that_scrolls(page, live_server, world, width):
    side = world.a
    _install(side, "ohio-virtual-academy")
    page.set_viewport_size({"width": width, "height": 900})
    sign_in(page, live_server, side.district_admin)
    visit(page, "/policy/edit/screening/")
    cell = page.get_by_label("Cut score, Grade 1, winter").first
    cell.fill("abc")
    follow(page, page.get_by_role("button", name="Save as a new version"), status=400)
    expect(page.get_by_role("alert")).to_contain_text("Cut score, Grade 1, winter: must be a number, got “abc”")
    page.get_by_label("Cut score, Grade 1, winter").first.fill("37")
    follow(page, page.get_by_role("button", name="Save as a new version"))
    rows = _latest(side).document["screening"]["measures"][1]["risk"]["rows"]
    assert rows == [{"grade": 1, "season": "winter", "below": 37.0}]
    visit(page, "/policy/edit/screening/")
    # The widest grid (grades 3-12) scrolls inside its own box rather than widening the form.
    assert page.evaluate("document.querySelector('form.policy-form').scrollWidth <= window.innerWidth")


@pytest.mark.parametrize("width", [1280, 768])
def test_a_list_item_is_added_with_a_bad_value_beside_it_then_removed_and_one_saved(page, live_server, world, width):
    """Lists of the policy grow and shrink with plain buttons (no script): add a meeting, see a bad
    value refused beside its field, fix it, remove another meeting, review the diff, save."""
    side = world.a
    _install(side, "loudon-county-tn")
    meetings = preset_data("loudon-county-tn")["meetings"]
    count = len(meetings)
    page.set_viewport_size({"width": width, "height": 900})
    sign_in(page, live_server, side.district_admin)
    visit(page, "/policy/edit/meetings/")

    follow(page, page.get_by_role("button", name=re.compile(r"^Add another meeting")))
    expect(page.get_by_role("status").first).to_contain_text(f"Added Meeting {count + 1} at the end of Meetings")
    key = page.locator(f"#f-meetings-{count}-key")
    expect(key).to_be_focused()  # the new item's first field
    key.fill("parent-night")
    page.locator(f"#f-meetings-{count}-title").fill("Parent night")
    page.locator(f"#f-meetings-{count}-team").fill(meetings[0]["team"])
    page.locator(f"#f-meetings-{count}-event").select_option("tier_start")
    page.locator(f"#f-meetings-{count}-every_weeks").fill("-2")
    follow(page, page.get_by_role("button", name="Save as a new version"), status=400)
    expect(page.locator(f"#f-meetings-{count}-every_weeks")).to_have_attribute("aria-invalid", "true")
    expect(page.locator(f"#f-meetings-{count}-every_weeks-error")).to_contain_text(
        f"Meeting {count + 1} › Every weeks:"
    )
    expect(page.get_by_role("alert")).to_contain_text("Nothing was saved")
    assert _latest(side).version == 1
    page.locator(f"#f-meetings-{count}-every_weeks").fill("")

    # Remove the first meeting; what was typed in the new one is kept.
    remove = page.get_by_role("button", name=re.compile(rf"^Remove this meeting\W+{re.escape(meetings[0]['title'])}$"))
    follow(page, remove)
    expect(page.get_by_role("status").first).to_contain_text(f"Removed {meetings[0]['title']}.")
    expect(page.locator(f"#f-meetings-{count - 1}-key")).to_have_value("parent-night")
    follow(page, page.get_by_role("button", name="Review the changes"))
    expect(page.locator("#policy-changes")).to_contain_text(f"meetings[{count - 1}].key")
    assert page.evaluate("document.querySelector('form.policy-form').scrollWidth <= window.innerWidth")
    follow(page, page.get_by_role("button", name="Save as a new version"))
    # The remove button brought the page back to the list (a fragment), which the redirect keeps.
    expect(page).to_have_url(re.compile(r"/policy/versions/\d+/(#[\w-]+)?$"))
    saved = _latest(side).document["meetings"]
    assert _latest(side).version == 2 and len(saved) == count
    assert saved[0]["key"] == meetings[1]["key"] and saved[-1]["key"] == "parent-night"
