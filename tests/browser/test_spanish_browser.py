"""The staff UI in Spanish (issue 14, scope 8): a specialist and a district administrator switch
to Spanish with the language switcher in the footer, then the key pages show no English UI
label from a list of the labels those pages carry in English, and axe finds no serious or
critical violation. Names from the data (students, the group, the intervention) stay as they are.
"""

from __future__ import annotations

import re

import pytest
from django.urls import reverse
from playwright.sync_api import expect

from mtss.policy import preset_data
from tests.browser.conftest import follow, sign_in, visit
from tests.interventions.test_meetings import _scenario

pytestmark = pytest.mark.browser

# Labels these pages show in English (headings, navigation, table headers, buttons, messages).
ENGLISH = [
    "Caseload",
    "My caseload",
    "Students",
    "Screening",
    "Reports",
    "Parent notices",
    "Sign out",
    "Skip to main content",
    "Language",
    "Today is",
    "Today's groups",
    "Log session",
    "Probes due",
    "Reviews due",
    "Students who need a plan",
    "Your tasks",
    "Next probe due",
    "Progress monitoring",
    "Baseline",
    "Goal",
    "Aim line",
    "Observed rate of improvement",
    "What the data say",
    "Add a probe",
    "Save probe",
    "Add several probes",
    "Change the plan",
    "End the plan",
    "Recent sessions",
    "Tier placements",
    "Intervention plans",
    "Screening history",
    "Guardians and contacts",
    "Enrolment history",
    "Attendees",
    "Action items",
    "Start the meeting",
    "Add a student",
    "Close the meeting",
    "Risk levels",
    "Review queue",
    "Screening window",
    "Notice",
    "Status",
    "Filter",
    "Search",
    "Save",
    "Cancel",
    "Edit",
    "Delete",
    "Date",
    "Minutes",
    "Sessions",
    "Tier",
    "School year",
    "not enough data yet",
    "per week",
    "Student",
    "Meeting",
    "Decision",
    "Fidelity",
]
_PATTERN = re.compile(r"(?<![\w-])(" + "|".join(map(re.escape, sorted(ENGLISH, key=len, reverse=True))) + r")(?![\w-])")


@pytest.fixture
def scene(program):
    side, plans, meeting = _scenario(program)
    return {"side": side, "plans": plans, "meeting": meeting, "group": program["group"]}


def _to_spanish(page):
    """The footer's language switcher, as a person uses it."""
    page.get_by_label("Language").select_option("es")
    follow(page, page.get_by_role("button", name="Change"))
    expect(page.locator("html")).to_have_attribute("lang", "es")


def _english_on(page, data_names: list[str]) -> list[str]:
    text = page.locator("body").inner_text()
    for name in data_names:  # the data's own words are not UI labels
        text = text.replace(name, " ")
    return sorted(set(_PATTERN.findall(text)))


def _check(page, urls, data_names):
    found = {}
    for url in urls:
        visit(page, url)  # status 200 and axe
        expect(page.locator("html")).to_have_attribute("lang", "es")
        english = _english_on(page, data_names)
        if english:
            found[url] = english
    assert not found, f"English UI labels on Spanish pages: {found}"


def _data_names(scene) -> list[str]:
    side, plans = scene["side"], scene["plans"]
    names = [scene["group"].name, plans[0].intervention.name, side.school.name, side.district.name]
    for plan in plans:
        student = plan.student
        names += [student.full_name, f"{student.last_name}, {student.display_first_name}", student.last_name]
    names += [p.goal_measure for p in plans]
    # The district's policy is the district's own text (here Loudon's, in English).
    policy = preset_data("loudon-county-tn")
    names += [m["title"] for m in policy.get("meetings", []) if m.get("title")]
    names += [t["name"] for t in policy.get("teams", []) if t.get("name")]
    return sorted(set(names), key=len, reverse=True)


def test_a_specialist_works_in_spanish(scene, page, live_server):
    sign_in(page, live_server, scene["side"].intervention_specialist)
    _to_spanish(page)
    expect(page.get_by_role("navigation", name="Principal")).to_be_visible()
    plan = scene["plans"][0]
    # The agenda's reasons are written when the agenda is built, in the language of whoever builds
    # it: here the specialist, in Spanish.
    visit(page, reverse("meeting_detail", args=[scene["meeting"].pk]))
    follow(page, page.get_by_role("button", name="Agregar a los estudiantes que indican las reglas"))
    expect(page.locator(".reasons li").first).to_be_visible()
    _check(
        page,
        [
            reverse("home"),
            reverse("caseload"),
            reverse("group_detail", args=[scene["group"].pk]),
            reverse("plan_detail", args=[plan.pk]),
            reverse("student_detail", args=[plan.student_id]),
            reverse("meeting_detail", args=[scene["meeting"].pk]),
        ],
        _data_names(scene),
    )


def test_a_district_administrator_works_in_spanish(scene, page, live_server):
    sign_in(page, live_server, scene["side"].district_admin)
    _to_spanish(page)
    _check(
        page,
        [reverse("home"), reverse("screening"), reverse("notice_list"), reverse("student_list")],
        _data_names(scene),
    )
