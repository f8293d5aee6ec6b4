"""Issue 13 in the browser, at desktop width and at 768 px, every page scanned with axe-core:

- Loudon: a referral is blocked without a session log; once the log and the progress data are
  there, the school psychologist reviews it and signs it off.
- LAUSD: a PDSA cycle is started from the intervention-effectiveness report (prefilled with the
  intervention, keeping the report's numbers as its baseline), then studied and decided.
"""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from interventions.models import Intervention, PdsaCycle, Referral
from mtss.tenancy import tenant_context
from tests.browser.conftest import follow, screenshot, sign_in, visit
from tests.interventions.test_referrals import _deliver, _progress
from tests.program import program  # noqa: F401  (fixture)
from tests.reports.test_district import district  # noqa: F401  (fixture: the hand-computed district)
from tests.reports.test_pdsa import _lausd

pytestmark = pytest.mark.browser


@pytest.mark.parametrize("width", [1280, 768])
def test_a_loudon_referral_is_blocked_without_a_log_then_reviewed_by_the_psychologist(
    page,
    live_server,
    program,  # noqa: F811
    width,
):
    side, plan = program["side"], program["plans"][0]
    student = plan.student
    page.set_viewport_size({"width": width, "height": 900})
    sign_in(page, live_server, side.intervention_specialist)
    visit(page, "/interventions/referrals/")
    page.locator("main").get_by_label("Student").select_option(label=str(student))
    page.get_by_label("Area").fill("reading")
    page.get_by_label("Why the team refers").fill("Not responding after the Tier III midpoint")
    follow(page, page.get_by_role("button", name="Request the referral"))
    expect(page.locator("#referral-status")).to_contain_text("Blocked")
    expect(page.locator("#missing")).to_contain_text("No session log")
    expect(page.locator("#missing")).to_contain_text("reviewed by the school psychologist")
    expect(page.locator("#exceptions")).to_contain_text("English learners")  # the policy's exceptions are shown
    expect(page.get_by_role("button", name="Sign off the referral")).to_have_count(0)  # not the specialist's
    referral_url = page.url

    # The sessions are logged and the probes entered meanwhile.
    with tenant_context(side.district):
        _deliver(program)
        _progress(program)
    page.context.clear_cookies()
    sign_in(page, live_server, side.psychologist)
    visit(page, referral_url)
    follow(page, page.get_by_role("button", name="Check the evidence again"))
    expect(page.locator("#referral-status")).to_contain_text("Requested")
    expect(page.locator(f"#fidelity-{plan.pk}")).to_contain_text("44")
    page.get_by_label("Reviewer's notes").fill("Completed as written.")
    follow(page, page.get_by_role("button", name="Sign off the referral"))
    expect(page.locator("#referral-status")).to_contain_text("Reviewed and signed off")
    expect(page.locator(".signoff")).to_contain_text("Completed as written.")
    screenshot(page, f"referral-reviewed-{width}")
    with tenant_context(side.district):
        referral = Referral.objects.get(district=side.district, student=student)
    assert referral.status == Referral.Status.REVIEWED and referral.reviewed_by == side.psychologist


@pytest.mark.parametrize("width", [1280, 768])
def test_an_lausd_pdsa_cycle_starts_from_the_effectiveness_report(page, live_server, district, width):  # noqa: F811
    side = district["side"]
    _lausd(side)
    with tenant_context(side.district):
        fundations = Intervention.objects.get(district=side.district, name="Fundations")
    page.set_viewport_size({"width": width, "height": 900})
    sign_in(page, live_server, side.district_admin)
    visit(page, f"/reports/district/?year={district['year'].pk}")
    follow(page, page.get_by_role("link", name="Start a PDSA cycle for Fundations"))
    expect(page.locator("#from-report")).to_contain_text("Fundations")
    expect(page.get_by_label("Title")).to_have_value("Improve Fundations")
    page.get_by_label("School").select_option(label=side.school.name)
    page.get_by_label("Aim").fill("Nine in ten judged Fundations plans respond by the spring window")
    page.get_by_label("Change idea").fill("Groups of three instead of five")
    page.get_by_label("Measures").fill("Share responding; weekly ORF growth")
    page.get_by_label("Start").fill("2026-12-01")
    page.get_by_label("Study the data on").fill("2027-01-15")
    follow(page, page.get_by_role("button", name="Start the cycle"))
    expect(page.get_by_role("heading", level=1)).to_have_text("Improve Fundations")
    expect(page.locator("#pdsa-effect")).to_contain_text("81.8%")  # the report's share when the cycle started
    expect(page.locator("#pdsa-decision")).to_contain_text("Not decided yet")

    follow(page, page.get_by_role("button", name="Edit: record Do, Study, Act"))
    page.get_by_label("What was learned (study)").fill("Smaller groups grew faster")
    page.get_by_label("Decision (act)").select_option("adapt")
    follow(page, page.get_by_role("button", name="Save"))
    expect(page.locator("#pdsa-decision")).to_contain_text("Adapt")
    screenshot(page, f"pdsa-cycle-{width}")
    with tenant_context(side.district):
        cycle = PdsaCycle.objects.get(district=side.district)
        linked = list(cycle.interventions.all())
    assert cycle.decision == "adapt" and linked == [fundations]
