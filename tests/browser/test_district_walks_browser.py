"""Issue 13, "Done when": each district's process walked through the UI as its own staff, at
desktop and tablet width, every page scanned with axe-core. (Ohio's walk is
test_rimp_browser.py, LAUSD's PDSA cycle test_referral_pdsa_browser.py.)

- Loudon County: the fall screening letter to an at-risk family (the daily job after the window
  closes), then an S-Team meeting scheduled on the meetings page, whose agenda invites the family,
  a decision, the close, and the outcome letter.
- Holland Patent: an SBIT meeting intensifies one student and ends another's services; the start
  notice (change of tier) and the end notice carry the contents 8 NYCRR 100.2(ii) requires.
"""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from interventions.services import probes_add
from mtss.models import SchoolYear
from mtss.policy import preset_data
from mtss.services import policy_version_create
from mtss.tenancy import tenant_context
from notifications.models import Notice
from notifications.services import screening_letters_create
from screening.models import Assessment, Measure, Score, ScreeningWindow
from tests.browser.conftest import follow, sign_in, visit
from tests.interventions.test_meetings import _deliver
from tests.program import START, program  # noqa: F401  (fixture)

pytestmark = pytest.mark.browser
WIDTHS = [1280, 768]


def _progress(program):  # noqa: F811
    """Plan 0 flat (not responding), plan 1 at goal (ready to exit), plan 2 on track."""
    side, plans = program["side"], program["plans"]
    with tenant_context(side.district):
        _deliver(program)
        for plan, start, step in ((plans[0], 42, 0), (plans[1], 60, 4), (plans[2], 42, 4)):
            probes_add(
                district=side.district,
                actor=None,
                plan=plan,
                probes=[
                    (START + dt.timedelta(weeks=w, days=1), start + step * w + (w % 2 if not step else 0))
                    for w in range(1, 11)
                ],
            )
    return side, plans


def _schedule(page, side, team_label):
    """The meetings page's form: a meeting tomorrow afternoon; lands on the new meeting."""
    visit(page, "/interventions/meetings/")
    page.get_by_label("School").select_option(label=side.school.name)
    page.get_by_label("Team").select_option(label=team_label)
    tomorrow = timezone.localdate() + dt.timedelta(days=1)
    page.get_by_label("Date and time").fill(f"{tomorrow.isoformat()}T15:30")
    page.get_by_label("Place").fill("Library")
    page.get_by_label("Purpose").fill("Review of the students in intervention")
    follow(page, page.get_by_role("button", name="Schedule"))  # lands on the new meeting
    follow(page, page.get_by_role("button", name="Add the students the rules say are due"))


def _open_item(page, student):
    follow(page, page.locator("#agenda").get_by_role("link", name=f"{student.last_name}, {student.display_first_name}"))


def _decide(page, kind_label, notes):
    page.get_by_label(kind_label).check()
    page.get_by_label("Notes").fill(notes)
    follow(page, page.get_by_role("button", name="Save the decision"))


def _close(page, meeting_url):
    visit(page, meeting_url)
    follow(page, page.get_by_role("button", name="Close the meeting…"))
    follow(page, page.get_by_role("button", name="Confirm: close the meeting"))
    expect(page.locator("#meeting-status")).to_have_text("Closed")


def _letters(page, student):
    visit(page, f"/notices/students/{student.pk}/")
    return page.locator("#student-notices")


@pytest.mark.parametrize("width", WIDTHS)
def test_loudon_screening_letter_s_team_invitation_decision_outcome_letter(page, live_server, program, width):  # noqa: F811
    side, plans = _progress(program)
    at_goal = plans[1].student
    with tenant_context(side.district):
        year = SchoolYear.objects.get(district=side.district)
        window = ScreeningWindow.objects.create(
            district=side.district,
            school_year=year,
            season="fall",
            start_date=dt.date(2026, 9, 1),
            end_date=dt.date(2026, 9, 20),
        )
        assessment = Assessment.objects.create(district=side.district, name="aimsweb Plus")
        measure = Measure.objects.create(
            district=side.district, assessment=assessment, name="R-CBM", subject="reading", score_type="raw"
        )
        Score.objects.create(
            district=side.district,
            student=at_goal,
            measure=measure,
            window=window,
            school=at_goal.school,
            grade=at_goal.grade,
            test_date=dt.date(2026, 9, 10),
            score=41,
            percentile=12,
            tier=2,
        )
        # The daily job after the window closes (notifications.tasks): below the 25th percentile,
        # the family gets Loudon's at-risk letter.
        assert screening_letters_create(district=side.district, window=window) == 1

    page.set_viewport_size({"width": width, "height": 900})
    sign_in(page, live_server, side.principal)
    expect(_letters(page, at_goal)).to_contain_text("Screening results")

    _schedule(page, side, "S-Team")
    meeting_url = page.url
    expect(_letters(page, at_goal)).to_contain_text("Meeting invitation")

    visit(page, meeting_url)
    _open_item(page, at_goal)
    expect(page.locator("#recommendation")).to_contain_text("Exit")
    _decide(page, "Exit intervention", "Goal met three times in a row")
    _close(page, meeting_url)

    letters = _letters(page, at_goal)
    expect(letters).to_contain_text("Meeting outcome")
    follow(page, letters.locator("tr", has_text="Meeting outcome").get_by_role("link").first)
    expect(page.locator("main")).to_contain_text(at_goal.last_name)
    with tenant_context(side.district):
        kinds = set(Notice.objects.filter(district=side.district, student=at_goal).values_list("trigger", flat=True))
    assert {"screening_at_risk", "meeting_scheduled", "meeting_outcome", "tier_end"} <= kinds


@pytest.mark.parametrize("width", WIDTHS)
def test_holland_patent_start_and_end_notices_with_the_required_contents(page, live_server, program, width):  # noqa: F811
    side, plans = _progress(program)
    with tenant_context(side.district):
        policy_version_create(
            district=side.district,
            actor=None,
            data=preset_data("holland-patent-ny"),
            effective_from=dt.date(2026, 8, 2),
            note="Holland Patent's notices",
        )
    flat, at_goal = plans[0].student, plans[1].student
    page.set_viewport_size({"width": width, "height": 900})
    sign_in(page, live_server, side.principal)
    _schedule(page, side, "SBIT (school-based intervention team)")
    meeting_url = page.url
    _open_item(page, flat)
    _decide(page, "Intensify (next tier)", "No growth after 10 weeks of Tier II")
    visit(page, meeting_url)
    _open_item(page, at_goal)
    _decide(page, "Exit intervention", "Goal met three times in a row; the teacher recommends ending the services")
    _close(page, meeting_url)

    # The start notice: every block 100.2(ii) requires, under its heading.
    letters = _letters(page, flat)
    row = letters.locator("tr", has_text="Change of tier").or_(letters.locator("tr", has_text="Start of services"))
    follow(page, row.first.get_by_role("link").first)
    visit(page, page.url.split("?")[0] + "?lang=en")  # the family reads it in Spanish; staff preview it in English
    main = page.locator("main")
    for heading in (
        "The services",
        "Why these services",
        "If the expected levels are not reached",
        "How we measure progress",
        "How we help your child learn faster",
        "Your right to request an evaluation",
    ):
        expect(main).to_contain_text(heading)

    letters = _letters(page, at_goal)
    follow(page, letters.locator("tr", has_text="End of services").get_by_role("link").first)
    visit(page, page.url.split("?")[0] + "?lang=en")
    main = page.locator("main")
    for heading in ("Why the services end", "Levels reached", "The teacher's recommendation"):
        expect(main).to_contain_text(heading)
    expect(main).to_contain_text("the teacher recommends ending the services")
