"""The plan form in the browser, started from a screening flag (issue 14, "Done when": the plan
form's defaults from a screening flag), at desktop width and at 768 px (a tablet). Every page
passes axe-core (tests/browser/conftest.py)."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from interventions.models import Plan
from mtss.rules.norms import NormPoint, suggested_goal
from mtss.tenancy import tenant_context
from tests.browser.conftest import follow, screenshot, sign_in, visit
from tests.interventions.plan_form_fixtures import LOUDON_DOSAGE, MAZE, NORMS

pytestmark = pytest.mark.browser


@pytest.mark.parametrize("width", [1280, 768])
def test_the_plan_form_starts_from_the_screening_flag(page, live_server, flagged, width):
    side, student, score = flagged["side"], flagged["student"], flagged["score"]
    page.set_viewport_size({"width": width, "height": 900})
    sign_in(page, live_server, side.intervention_specialist)
    visit(page, f"/interventions/students/{student.pk}/plans/new/?review_item={flagged['item'].pk}")
    expect(page.get_by_role("heading", level=1)).to_contain_text("New intervention plan")
    expect(page.locator("#plan-origin")).to_contain_text("Started from the flagged screening score")
    for legend in ("Area and tier", "Intervention and provider", "Schedule and dosage", "Measure, baseline and goal"):
        expect(page.get_by_role("group", name=legend)).to_be_visible()

    # The flagged score's measure and baseline, the tier's dosage, the goal from the norms.
    expect(page.get_by_label("Progress measure")).to_have_value(MAZE)
    expect(page.get_by_label("Baseline probes")).to_have_value("2026-09-15, 30")
    sessions, minutes = LOUDON_DOSAGE[score.tier]
    expect(page.get_by_label("Sessions per week")).to_have_value(f"{sessions:g}")
    expect(page.get_by_label("Minutes per session")).to_have_value(str(minutes))
    today = timezone.localdate()
    goal = suggested_goal(
        [NormPoint(2, s, p, v) for (s, p), v in NORMS.items()],
        grade=2,
        baseline=30,
        start=today,
        goal_date=today + dt.timedelta(weeks=9),
    )
    expect(page.get_by_label("Goal score")).to_have_value(f"{goal.target:g}")
    expect(page.locator("#goal-source")).to_contain_text("25th percentile of Test maze norms, grade 2")
    provider = page.get_by_label("Provider")
    expect(provider.locator("option:checked")).to_contain_text("(Intervention specialist)")
    # The form fits the width: no field sticks out of the page.
    assert page.evaluate("document.querySelector('form.plan-form').scrollWidth <= window.innerWidth")
    if width == 1280:
        screenshot(page, "plan-form")

    page.locator("#id_intervention").select_option(label="Fundations · ESSA Tier 3: promising evidence")
    follow(page, page.get_by_role("button", name="Create the plan"))
    expect(page).to_have_url(re.compile(r"/interventions/plans/\d+/$"))
    expect(page.locator("#observed-roi")).to_have_text("not enough data yet (0 of 3 points)")
    expect(page.get_by_role("button", name="Change the plan")).to_be_visible()
    expect(page.get_by_role("button", name="End the plan")).to_be_visible()

    # Back and submit again: still one plan.
    page.go_back()
    follow(page, page.get_by_role("button", name="Create the plan"))
    expect(page.get_by_role("status")).to_contain_text("already saved")
    with tenant_context(side.district):
        assert Plan.objects.filter(district=side.district, student=student).count() == 1
