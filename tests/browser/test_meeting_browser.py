"""A team runs a meeting end to end in the browser: builds the agenda, walks three
items (intensify, exit, a referral blocked by the fidelity gate and then overridden),
closes the meeting, and gets the recap PDF. Every page is scanned with axe-core."""

from __future__ import annotations

import datetime as dt
import io

import pytest
from django.utils import timezone
from playwright.sync_api import expect
from pypdf import PdfReader

from interventions.models import Meeting, TierPlacement
from interventions.services import plan_create
from mtss.tenancy import tenant_context
from tests import factories as f
from tests.browser.conftest import follow, screenshot, sign_in, visit
from tests.interventions.test_meetings import _scenario
from tests.program import START, program  # noqa: F401  (fixture)

pytestmark = pytest.mark.browser


def _open_item(page, student):
    follow(page, page.locator("#agenda").get_by_role("link", name=f"{student.last_name}, {student.display_first_name}"))


def _decide(page, kind_label, notes=""):
    page.get_by_label(kind_label).check()
    if notes:
        page.get_by_label("Notes").fill(notes)
    follow(page, page.get_by_role("button", name="Save the decision"))


def test_a_team_runs_a_meeting_end_to_end(page, live_server, program):  # noqa: F811
    side, plans, meeting = _scenario(program)
    with tenant_context(side.district):
        # A student with a plan but no sessions logged yet: the fidelity gate will block a referral.
        newcomer = f.make_student(side.district, side.school, last_name="Zephyr", grade=3)
        plan_create(
            district=side.district,
            actor=None,
            student=newcomer,
            area="reading",
            tier=2,
            intervention=program["intervention"],
            provider=side.intervention_specialist,
            start_date=START,
            expected_end_date=START + dt.timedelta(weeks=12),
            goal_measure="R-CBM WRC",
            goal_target=90,
            goal_target_date=START + dt.timedelta(weeks=12),
            sessions_per_week=4,
            minutes_per_session=30,
            baseline_probes=[(START - dt.timedelta(days=d), 40) for d in (3, 2, 1)],
        )
    sign_in(page, live_server, side.principal)
    visit(page, f"/interventions/meetings/{meeting.pk}/")
    follow(page, page.get_by_role("button", name="Add the students the rules say are due"))
    expect(page.locator("#agenda > li")).to_have_count(4)

    flat, at_goal = plans[0].student, plans[1].student
    _open_item(page, flat)
    expect(page.locator("#recommendation")).to_contain_text("Intensify")
    page.get_by_label("Action item", exact=True).fill("Write the Tier III plan")
    page.get_by_label("Owner").select_option(label=side.intervention_specialist.get_full_name())
    page.get_by_label("Due").fill((timezone.localdate() + dt.timedelta(days=7)).isoformat())
    _decide(page, "Intensify (next tier)", "No growth after 10 weeks of Tier II")
    expect(page.locator("#saved-decision")).to_contain_text("Intensify")
    screenshot(page, "meeting-item")

    visit(page, f"/interventions/meetings/{meeting.pk}/")
    _open_item(page, at_goal)
    expect(page.locator("#recommendation")).to_contain_text("Exit")
    _decide(page, "Exit intervention", "Goal met three times in a row")
    expect(page.locator("#saved-decision")).to_contain_text("Exit")

    visit(page, f"/interventions/meetings/{meeting.pk}/")
    _open_item(page, newcomer)
    expect(page.locator("#fidelity-gate")).to_contain_text("cannot show non-response yet")
    _decide(page, "Refer for a special-education evaluation", "Parent request")
    expect(page.get_by_role("alert")).to_be_visible()
    expect(page.locator(".errorlist")).to_contain_text("give the reason")
    page.get_by_label("Reason to decide despite the fidelity gate").fill(
        "The parent asked for an evaluation in writing"
    )
    follow(page, page.get_by_role("button", name="Save the decision"))
    expect(page.locator("#saved-decision")).to_contain_text("Refer")

    visit(page, f"/interventions/meetings/{meeting.pk}/")
    # Closing is confirmed on its own page, which says what will happen (issue 13).
    follow(page, page.get_by_role("button", name="Close the meeting…"))
    expect(page.locator("#decisions-heading")).to_have_text("3 decisions will take effect")
    follow(page, page.get_by_role("button", name="Confirm: close the meeting"))
    expect(page.get_by_role("status")).to_contain_text("3 decisions took effect")
    expect(page.locator("#meeting-status")).to_have_text("Closed")
    screenshot(page, "meeting")

    with tenant_context(side.district):
        open_tiers = {
            p.student_id: (p.tier, p.meeting_id)
            for p in TierPlacement.objects.filter(district=side.district, end_date__isnull=True)
        }
        assert Meeting.objects.get(pk=meeting.pk).status == "closed"
    assert open_tiers[flat.pk] == (3, meeting.pk)
    assert open_tiers[at_goal.pk] == (1, meeting.pk)
    assert open_tiers[newcomer.pk][0] == 2  # services continue while the evaluation is decided

    recap = page.request.get(f"{live_server.url}/interventions/meetings/{meeting.pk}/recap.pdf", timeout=60_000)
    assert recap.status == 200 and recap.headers["content-type"] == "application/pdf"
    text = " ".join(
        "\n".join(p.extract_text() for p in PdfReader(io.BytesIO(recap.body())).pages).replace("-\n", "-").split()
    )
    for expected in (
        "Intensify (next tier)",
        "Exit intervention",
        "Refer for a special-education evaluation",
        "The parent asked for an evaluation in writing",
        "Write the Tier III plan",
    ):
        assert expected in text


def _close_confirmation_with_attendance(page, live_server, program, width):  # noqa: F811
    from tests.interventions.test_meeting_followthrough import _decide
    from tests.interventions.test_meeting_followthrough import _scenario as _agenda_scenario

    side, plans, meeting = _agenda_scenario(program)
    _decide(side, meeting, plans)  # intensify plan 0, exit plan 1; plan 2 stays undiscussed
    with tenant_context(side.district):
        guardian = plans[0].student.guardians.get()
    page.set_viewport_size({"width": width, "height": 1000})
    sign_in(page, live_server, side.principal)
    visit(page, f"/interventions/meetings/{meeting.pk}/")
    page.get_by_label("Staff member", exact=True).select_option(label=side.psychologist.get_full_name())
    page.get_by_label("Role at the meeting").fill("School psychologist")
    follow(page, page.get_by_role("button", name="Add staff"))
    page.get_by_label("Parent or guardian of a student on the agenda").select_option(value=str(guardian.pk))
    follow(page, page.get_by_role("button", name="Add parent"))
    expect(page.locator("#attendees > li")).to_have_count(2)
    page.get_by_label(f"{guardian.first_name} {guardian.last_name}", exact=False).check()
    page.get_by_label("School psychologist", exact=False).check()
    follow(page, page.get_by_role("button", name="Save attendance"))
    expect(page.get_by_role("status")).to_contain_text("Attendance saved")

    follow(page, page.get_by_role("button", name="Close the meeting…"))
    expect(page.locator("#decisions-heading")).to_have_text("2 decisions will take effect")
    # Tier start and tier end, and one meeting-outcome letter: the intensified student's parent attended.
    expect(page.locator("#letters-heading")).to_have_text("3 letters to parents will be queued")
    expect(page.locator("#close-undiscussed > li")).to_have_count(1)
    page.get_by_label("Carry them to a new next meeting of this team").check()
    screenshot(page, f"meeting-close-{width}")
    follow(page, page.get_by_role("button", name="Confirm: close the meeting"))
    expect(page.get_by_role("status")).to_contain_text("2 decisions took effect")
    expect(page.locator("#meeting-status")).to_have_text("Closed")
    with tenant_context(side.district):
        nxt = Meeting.objects.exclude(pk=meeting.pk).get(district=side.district)
        assert list(nxt.items.values_list("student_id", flat=True)) == [plans[2].student_id]
    recap = page.request.get(f"{live_server.url}/interventions/meetings/{meeting.pk}/recap.pdf", timeout=60_000)
    text = " ".join("\n".join(p.extract_text() for p in PdfReader(io.BytesIO(recap.body())).pages).split())
    assert "None recorded" not in text
    assert f"{guardian.first_name} {guardian.last_name}" in text and "School psychologist" in text


def test_the_close_confirmation_with_attendance_at_desktop_width(page, live_server, program):  # noqa: F811
    _close_confirmation_with_attendance(page, live_server, program, 1280)


def test_the_close_confirmation_with_attendance_at_tablet_width(page, live_server, program):  # noqa: F811
    _close_confirmation_with_attendance(page, live_server, program, 768)
