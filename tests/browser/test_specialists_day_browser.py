"""A specialist's day as one walk (issue 14, "Done when"): home (My day) -> log today's group ->
a one-to-one session with a probe -> fix the mistyped probe with a reason. The audit trail keeps
the old score and the reason; the table and the graph show the corrected score.

At desktop width and at 768 px (a tablet); every page the walk lands on passes axe-core
(tests/browser/conftest.py). The pieces have their own closer tests (test_my_day_browser.py,
test_safe_entry_browser.py); this one checks they join up into a day's work.
"""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from interventions.models import InterventionSession, Probe
from interventions.services import plan_create
from mtss.models import AuditEvent
from mtss.tenancy import tenant_context
from tests.browser.conftest import follow, sign_in
from tests.program import START

pytestmark = pytest.mark.browser

WEDNESDAY = START + dt.timedelta(weeks=4, days=2)  # the program's group meets Monday to Thursday
WIDTHS = {"desktop": {"width": 1280, "height": 800}, "tablet": {"width": 768, "height": 1024}}


def _points(page) -> list[str]:
    """The vertical positions of the graph's progress points, in date order."""
    return page.locator("#graph-heading ~ figure.chart circle.progress-point").evaluate_all(
        "nodes => nodes.map(n => n.getAttribute('cy'))"
    )


@pytest.mark.parametrize("width", list(WIDTHS))
def test_a_specialists_day_from_home_to_a_fixed_probe(program, page, live_server, monkeypatch, width):
    monkeypatch.setattr(timezone, "localdate", lambda *args, **kwargs: WEDNESDAY)
    side, group = program["side"], program["group"]
    student = side.students[0]
    with tenant_context(side.district):
        # Tier 3 is mostly one-to-one: a math plan of the same specialist, without a group.
        plan, _ = plan_create(
            district=side.district,
            actor=side.intervention_specialist,
            student=student,
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
            baseline_probes=[(START - dt.timedelta(days=2), 10), (START - dt.timedelta(days=1), 12)],
        )
    page.set_viewport_size(WIDTHS[width])

    # 1. Home: today's group, not yet logged; one click logs it, everyone present.
    sign_in(page, live_server, side.intervention_specialist)  # lands on My day, axe-scanned
    row = page.locator("#groups-today").get_by_role("row", name=re.compile(group.name))
    follow(page, row.get_by_role("button", name=re.compile("Log today, everyone present")))
    expect(page.get_by_role("status")).to_contain_text("today's session logged, everyone present")
    expect(row).to_contain_text("Logged")

    # 2. The one-to-one plan is among the probes due; its session is logged with a probe, mistyped
    # (14 for 41: the digits swapped).
    due = page.get_by_role("listitem").filter(has_text="math").filter(has=page.get_by_role("link", name=str(student)))
    follow(page, due.get_by_role("link", name=str(student)))
    expect(page).to_have_url(re.compile(rf"/interventions/plans/{plan.pk}/$"))
    follow(page, page.get_by_role("link", name="One-to-one sessions"))
    expect(page.get_by_label("Date")).to_have_value(WEDNESDAY.isoformat())
    expect(page.get_by_label("Minutes")).to_have_value("25")
    page.get_by_label("Probe score (optional)").fill("14")
    follow(page, page.get_by_role("button", name="Log session"))
    history = page.locator("#one-to-one-history tbody tr")
    expect(history).to_have_count(1)
    expect(history.first).to_contain_text("Present")
    expect(history.first).to_contain_text("14")

    # 3. Back on the plan: the probe is in the table and on the graph; it is corrected with a reason.
    follow(page, page.get_by_role("navigation", name="breadcrumb").get_by_role("link"))
    with tenant_context(side.district):
        probe = Probe.objects.get(plan=plan, is_baseline=False)
    expect(page.locator("#probe-table")).to_contain_text("14")
    before = _points(page)
    assert len(before) == 1
    follow(page, page.locator(f"#probe-table a[href='/interventions/probes/{probe.pk}/']"))
    page.get_by_label("Score").fill("41")
    follow(page, page.get_by_role("button", name="Save correction"), status=200)
    # No reason: refused beside the field, nothing changed.
    expect(page.locator("#id_reason_error")).to_contain_text("Say why the probe is changed")
    page.get_by_label("Score").fill("41")
    page.get_by_label("Why is it changed?").fill("the digits were swapped")
    follow(page, page.get_by_role("button", name="Save correction"))
    expect(page.get_by_role("status").first).to_contain_text("Probe corrected")
    expect(page).to_have_url(re.compile(rf"/interventions/plans/{plan.pk}/$"))
    expect(page.locator("#probe-table")).to_contain_text("41")
    after = _points(page)
    assert len(after) == 1 and after != before, "the graph still draws the mistyped score"
    assert float(after[0]) < float(before[0])  # a higher score sits higher on the graph (smaller y)

    with tenant_context(side.district):
        assert InterventionSession.objects.filter(district=side.district, group=group, date=WEDNESDAY).count() == 1
        assert InterventionSession.objects.filter(district=side.district, plan=plan, date=WEDNESDAY).count() == 1
        probe.refresh_from_db()
        assert probe.score == 41 and probe.session_id is not None
        event = AuditEvent.objects.get(district=side.district, verb="probe.update", object_id=probe.pk)
        assert event.changes["before"]["score"] == 14
        assert event.changes["after"]["score"] == 41
        assert event.changes["reason"] == "the digits were swapped"
