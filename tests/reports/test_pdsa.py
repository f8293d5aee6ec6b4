"""PDSA cycles (LAUSD, seed 000: "continuous improvement processes (PDSA) at all levels of the system"):
started from the intervention-effectiveness report, linked to interventions and groups, with the
Study before the Act (adopt, adapt, abandon); who may see and edit them."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from interventions.models import Intervention, InterventionGroup, PdsaCycle
from interventions.pdsa.services import pdsa_create, pdsa_update
from mtss.policy import preset_data
from mtss.services import policy_version_create
from mtss.tenancy import tenant_context
from tests.reports.test_district import _dashboard, district  # noqa: F401  (the hand-computed district)

pytestmark = pytest.mark.django_db
D = dt.date


def _lausd(side):
    with tenant_context(side.district):
        policy_version_create(
            district=side.district, actor=None, data=preset_data("lausd-secondary"), effective_from=D(2021, 8, 1)
        )


def _cycle(side, **values):
    defaults = dict(
        title="Fluency minutes",
        level="school",
        aim="80% of Tier 2 readers respond by February",
        change_idea="Add 10 minutes of repeated reading",
        measures="Share of judged plans responding; ORF growth",
        start_date=D(2026, 11, 2),
        study_date=D(2026, 12, 14),
    )
    with tenant_context(side.district):
        return pdsa_create(
            district=side.district, actor=side.intervention_specialist, school=side.school, **(defaults | values)
        )


def test_the_effectiveness_report_starts_a_cycle_with_its_baseline(district, login):  # noqa: F811
    side = district["side"]
    page = _dashboard(district, login).content.decode()
    assert "Start a PDSA cycle" not in page  # Loudon's policy does not use PDSA
    _lausd(side)
    with tenant_context(side.district):
        fundations = Intervention.objects.get(district=side.district, name="Fundations")
    page = _dashboard(district, login).content.decode()
    link = reverse("pdsa_create") + f"?intervention={fundations.pk}"
    assert link in page
    client = login(side.district_admin)
    form = client.get(link)
    assert form.status_code == 200 and "Improve Fundations" in form.content.decode()
    assert form.context["form"].initial["interventions"] == [fundations.pk]
    response = client.post(
        link,
        {
            "title": "Improve Fundations",
            "school": side.school.pk,
            "level": "school",
            "aim": "90% responding",
            "change_idea": "Smaller groups",
            "measures": "Share responding",
            "start_date": "2026-12-01",
            "study_date": "2027-01-15",
            "interventions": [fundations.pk],
            "from_intervention": fundations.pk,
        },
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    with tenant_context(side.district):
        cycle = PdsaCycle.objects.get(district=side.district)
        linked = list(cycle.interventions.values_list("name", flat=True))
    assert linked == ["Fundations"]
    # The report's numbers then (tests/reports/test_district.py: 12 plans, 11 judged, 9 responding, 82 %).
    assert (cycle.baseline["plans"], cycle.baseline["judged"], cycle.baseline["responding"]) == (12, 11, 9)
    assert cycle.baseline["share_responding"] == 81.8
    detail = client.get(reverse("pdsa_detail", args=[cycle.pk])).content.decode()
    assert "81.8%" in detail and "Open the intervention-effectiveness report" in detail


def test_a_cycle_decides_only_after_it_studies(world):
    side = world.a
    cycle = _cycle(side)
    assert cycle.stage == "plan" and cycle.owner == side.intervention_specialist
    with tenant_context(side.district):
        with pytest.raises(ValidationError) as error:
            pdsa_update(district=side.district, actor=side.intervention_specialist, cycle=cycle, decision="adopt")
        assert "what_was_learned" in error.value.message_dict
        cycle = pdsa_update(
            district=side.district,
            actor=side.intervention_specialist,
            cycle=cycle,
            what_happened="Ran for six weeks in two groups",
            what_was_learned="Growth doubled in the group with the extra minutes",
            decision="adopt",
        )
    assert cycle.stage == "act" and cycle.decided_at is not None


def test_bad_input_names_the_field(world):
    side = world.a
    with pytest.raises(ValidationError) as error:
        _cycle(side, aim=" ", study_date=D(2026, 10, 1))
    assert set(error.value.message_dict) == {"aim", "study_date"}
    with tenant_context(world.b.district):
        other_group = InterventionGroup.objects.create(
            district=world.b.district,
            school=world.b.school,
            provider=world.b.intervention_specialist,
            name="B group",
            area="reading",
            tier=2,
            sessions_per_week=3,
            minutes_per_session=30,
        )
    with pytest.raises(ValidationError) as error:
        _cycle(side, groups=[other_group])
    assert "groups" in error.value.message_dict


def test_who_sees_and_edits_a_cycle(world, login):
    side = world.a
    _lausd(side)
    cycle = _cycle(side)
    detail, edit = reverse("pdsa_detail", args=[cycle.pk]), reverse("pdsa_edit", args=[cycle.pk])
    # The school team reads and edits; read-only staff read; a teacher does not use the pages.
    for user in (side.principal, side.psychologist, side.counselor, side.intervention_specialist, side.district_admin):
        assert login(user).get(edit).status_code == 200, user
    assert login(side.read_only).get(detail).status_code == 200
    assert login(side.read_only).get(edit).status_code == 404
    assert login(side.teacher).get(detail).status_code == 404
    # Another district's member: 404, as for a missing cycle.
    assert login(world.b.district_admin).get(detail).status_code == 404
    # Editing through the page records the Study and the Act.
    response = login(side.principal).post(
        edit,
        {
            "title": cycle.title,
            "level": "school",
            "aim": cycle.aim,
            "change_idea": cycle.change_idea,
            "measures": cycle.measures,
            "start_date": "2026-11-02",
            "study_date": "2026-12-14",
            "what_was_learned": "No difference between the groups",
            "decision": "abandon",
        },
    )
    assert response.status_code == 302
    with tenant_context(side.district):
        cycle.refresh_from_db()
    assert cycle.decision == "abandon"
    listing = login(side.principal).get(reverse("pdsa_list")).content.decode()
    assert cycle.title in listing and "Abandon" in listing


def test_only_the_district_office_starts_a_district_wide_cycle(world, login):
    side = world.a
    _lausd(side)
    data = {
        "title": "District-wide",
        "level": "school",
        "aim": "a",
        "change_idea": "b",
        "measures": "c",
        "start_date": "2026-11-02",
        "study_date": "2026-12-14",
    }
    assert login(side.principal).post(reverse("pdsa_create"), data).status_code == 404
    assert login(side.district_admin).post(reverse("pdsa_create"), data).status_code == 302
    bad = login(side.principal).post(
        reverse("pdsa_create"), {**data, "school": side.school.pk, "study_date": "2026-10-01"}
    )
    assert bad.status_code == 400 and "on or after the start" in bad.content.decode()
