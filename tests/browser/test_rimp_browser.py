"""Ohio's Third Grade Reading Guarantee through the browser: the principal records the fall
determinations on the RIMP report, opens a not-on-track student's RIMP form, creates the plan,
approves it, and finds its letter to the parents queued. Every page passes axe-core."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from interventions.models import Rimp
from mtss.tenancy import tenant_context
from notifications.models import Notice
from tests.browser.conftest import follow, screenshot, sign_in, visit
from tests.interventions.rimp_cases import SECTIONS, ohio_case

pytestmark = pytest.mark.browser


@pytest.mark.parametrize("width", [1280, 768])
def test_ohio_not_on_track_to_rimp_to_approval_to_letter(page, live_server, world, width):
    case = ohio_case(world)
    side, kim = case["side"], case["kids"]["Kim"]
    page.set_viewport_size({"width": width, "height": 900})
    sign_in(page, live_server, side.principal)
    visit(page, f"/reports/compliance/rimp/?year={case['year'].pk}")
    expect(page.locator("#rimp-determine")).to_contain_text("2 students are rated not on track")

    follow(page, page.get_by_role("button", name="Record the fall determinations"))
    expect(page.locator("#rimp-counts")).to_contain_text("Due: 1")
    expect(page.locator("#rimp-counts")).to_contain_text("Overdue: 1")
    row = page.locator("#table-rimp tbody tr", has_text="Kim")
    expect(row).to_contain_text("Due")
    screenshot(page, "rimp-report")

    follow(page, row.get_by_role("link", name="Due"))
    expect(page.locator("h1")).to_contain_text("Reading Improvement and Monitoring Plan")
    expect(page.locator("#determination")).to_contain_text("Not on track")
    page.get_by_label("The student's specific reading deficiencies").fill(SECTIONS["deficiency"])
    page.get_by_label("Supplemental instruction to remediate the deficiencies").fill(
        SECTIONS["supplemental_instruction"]
    )
    page.get_by_label("How progress and the services are monitored").fill(SECTIONS["monitoring"])
    page.get_by_label("How the parents take part").fill(SECTIONS["parent_involvement"])
    follow(page, page.get_by_role("button", name="Create the RIMP"))
    expect(page.locator("#rimp-status")).to_have_text("Created (draft)")
    expect(page.locator("#rimp-approval")).to_contain_text("Waiting for the principal")

    follow(page, page.get_by_role("button", name="Approve the RIMP and send its letter"))
    expect(page.locator("#rimp-status")).to_have_text("Approved")
    with tenant_context(side.district):
        rimp = Rimp.objects.get(district=side.district, student=kim)
        assert rimp.approved_by_id == side.principal.pk
        letters = Notice.objects.filter(district=side.district, student=kim, letter_type="rimp")
        assert letters.count() == 1

    follow(page, page.locator("#rimp-letter"))
    expect(page.locator("#student-notices")).to_contain_text("Reading Improvement and Monitoring Plan")

    visit(page, f"/reports/compliance/rimp/?year={case['year'].pk}")
    kim_row = page.locator("#table-rimp tbody tr", has_text="Kim")
    expect(kim_row).not_to_contain_text("Due")
