"""Issue 14 in the browser, at desktop and tablet (768 px) widths, with axe on every page: a
specialist logs a one-to-one session in one click, fixes a mistyped probe, and deletes another
with a reason."""

from __future__ import annotations

import datetime as dt

import pytest
from playwright.sync_api import expect

from interventions.models import InterventionSession, Probe
from interventions.services import plan_create, probes_add
from mtss.models import AuditEvent
from mtss.tenancy import tenant_context
from tests.browser.conftest import axe_check, follow, sign_in, visit
from tests.program import START, program  # noqa: F401  (fixture)

pytestmark = pytest.mark.browser


@pytest.mark.parametrize("width", [1280, 768])
def test_a_specialist_logs_a_one_to_one_session_and_fixes_probes(page, live_server, program, width):  # noqa: F811
    side = program["side"]
    with tenant_context(side.district):
        plan, _ = plan_create(
            district=side.district,
            actor=side.intervention_specialist,
            student=side.students[0],
            area="math",
            tier=3,
            intervention=program["intervention"],
            provider=side.intervention_specialist,
            start_date=START,
            expected_end_date=START + dt.timedelta(weeks=12),
            goal_measure="M-COMP",
            goal_target=40,
            goal_target_date=START + dt.timedelta(weeks=12),
            sessions_per_week=5,
            minutes_per_session=25,
        )
        typo, extra = probes_add(
            district=side.district,
            actor=None,
            plan=plan,
            probes=[(START + dt.timedelta(days=7), 2), (START + dt.timedelta(days=8), 19)],
        )
    page.set_viewport_size({"width": width, "height": 1000})
    sign_in(page, live_server, side.intervention_specialist)

    # From the plan page: one-to-one sessions; a normal session is one click.
    visit(page, f"/interventions/plans/{plan.pk}/")
    follow(page, page.get_by_role("link", name="One-to-one sessions"))
    expect(page.get_by_label("Minutes")).to_have_value("25")
    follow(page, page.get_by_role("button", name="Log session"))
    expect(page.get_by_role("status").first).to_contain_text("logged")
    expect(page.locator("#one-to-one-history tbody tr")).to_have_count(1)
    expect(page.locator("#one-to-one-history")).to_contain_text("Present")
    # Back and submit again: saved once.
    page.go_back()
    page.get_by_role("button", name="Log session").click()
    page.wait_for_load_state()
    expect(page.locator("#one-to-one-history tbody tr")).to_have_count(1)
    axe_check(page)

    # Fix the mistyped probe (2 for 20).
    visit(page, f"/interventions/plans/{plan.pk}/")
    follow(page, page.locator(f"#probe-table a[href='/interventions/probes/{typo.pk}/']"))
    page.get_by_label("Score").fill("200000")  # the browser's number field takes no "inf"; a huge typo
    follow(page, page.get_by_role("button", name="Save correction"))
    expect(page.locator("#id_score_error")).to_contain_text("outside the range")
    page.get_by_label("Score").fill("20")
    page.get_by_label("Why is it changed?").fill("a digit was dropped")
    follow(page, page.get_by_role("button", name="Save correction"))
    expect(page.get_by_role("status").first).to_contain_text("Probe corrected")
    expect(page.locator("#probe-table")).to_contain_text("20")

    # Delete the other one, with a reason.
    follow(page, page.locator(f"#probe-table a[href='/interventions/probes/{extra.pk}/']"))
    page.get_by_text("Delete this probe").click()
    page.get_by_label("Why is it deleted?").fill("entered on the wrong student")
    follow(page, page.get_by_role("button", name="Delete probe"))
    expect(page.get_by_role("status").first).to_contain_text("Probe deleted")

    with tenant_context(side.district):
        assert list(Probe.objects.filter(plan=plan).values_list("score", flat=True)) == [20.0]
        assert InterventionSession.objects.filter(plan=plan).count() == 1
        assert AuditEvent.objects.filter(district=side.district, verb="probe.delete", object_id=extra.pk).exists()
