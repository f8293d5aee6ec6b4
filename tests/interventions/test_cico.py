"""Check-in/check-out: point-card setup, ratings (0-2, by period and goal), the day's percentage as
a probe, the behaviour decision rule on descending goals, the pages and the API."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse
from rest_framework.test import APIClient

from interventions.cico.models import PointCard, PointRating
from interventions.cico.services import RatingInput, point_card_rate, point_card_setup_save
from interventions.models import Probe
from interventions.selectors import plan_result
from interventions.services import plan_create, plan_measure_add, probes_add
from mtss.models import AuditEvent
from mtss.services import api_token_create
from mtss.tenancy import tenant_context
from tests.interventions.cico_fixtures import GOALS, PERIODS, START

pytestmark = pytest.mark.django_db
DAY = START + dt.timedelta(days=1)


def _rate(cico, cells, *, date=DAY, actor=None):
    side = cico["side"]
    with tenant_context(side.district):
        return point_card_rate(
            district=side.district,
            actor=actor or side.teacher,
            plan=cico["plan"],
            date=date,
            ratings=[RatingInput(period=p, goal=g, rating=r) for p, g, r in cells],
        )


# --- services -----------------------------------------------------------------------------------------


def test_it_totals_the_card_and_records_the_percentage_as_a_probe(cico):
    card = _rate(cico, [("Check-in", "Be safe", 2), ("Check-in", "Be respectful", 1), ("Period 1", "Be safe", 2)])
    # 5 of the 6 points possible for the three cells rated (Period 2 not rated yet): 83.3 %.
    assert (card.points_earned, card.points_possible, card.percent) == (5, 6, 83.3)
    with tenant_context(cico["side"].district):
        probe = Probe.objects.get(plan=cico["plan"], date=DAY)
        assert probe.score == 83.3 and probe.measure_id is None and card.probe_id == probe.pk
        assert AuditEvent.objects.filter(verb="point_card.rate", object_id=str(cico["plan"].pk)).count() == 1


def test_a_second_teacher_adds_a_period_and_a_corrected_tap_replaces_the_rating(cico):
    _rate(cico, [("Check-in", "Be safe", 2), ("Check-in", "Be respectful", 2)])
    card = _rate(cico, [("Period 1", "Be safe", 0), ("Period 1", "Be respectful", 1), ("Check-in", "Be safe", 1)])
    # Check-in 1+2, Period 1 0+1: 4 of 8 points.
    assert (card.points_earned, card.points_possible, card.percent) == (4, 8, 50.0)
    with tenant_context(cico["side"].district):
        assert PointRating.objects.filter(card=card).count() == 4
        assert list(Probe.objects.filter(plan=cico["plan"]).values_list("score", flat=True)) == [50.0]


@pytest.mark.parametrize("bad", [3, -1, 2.5, "two", True, None])
def test_ratings_outside_0_to_2_are_refused_and_nothing_is_written(cico, bad):
    with pytest.raises(ValidationError) as error:
        _rate(cico, [("Check-in", "Be safe", 2), ("Period 1", "Be safe", bad)])
    assert "Period 1, Be safe: give 0, 1 or 2 points" in str(error.value)
    with tenant_context(cico["side"].district):
        assert not PointCard.objects.exists() and not Probe.objects.filter(plan=cico["plan"]).exists()


def test_an_unknown_period_or_goal_is_refused_with_its_line(cico):
    side = cico["side"]
    with tenant_context(side.district), pytest.raises(ValidationError) as error:
        point_card_rate(
            district=side.district,
            actor=side.teacher,
            plan=cico["plan"],
            date=DAY,
            ratings=[
                RatingInput(period="Period 9", goal="Be safe", rating=1, line="line 1"),
                RatingInput(period="Period 1", goal="Be kind", rating=1, line="line 2"),
            ],
        )
    messages = error.value.message_dict["ratings"]
    assert messages == [
        "line 1: “Period 9” is not a period of this card.",
        "line 2: “Be kind” is not a goal of this card.",
    ]


def test_a_card_in_the_future_or_before_the_plan_is_refused(cico):
    for when, text in (
        (dt.date.today() + dt.timedelta(days=2), "is in the future"),
        (START - dt.timedelta(days=1), "before the plan started"),
    ):
        with pytest.raises(ValidationError, match=text):
            _rate(cico, [("Check-in", "Be safe", 2)], date=when)


def test_the_setup_belongs_to_behavior_plans_only(cico):
    side = cico["side"]
    with tenant_context(side.district):
        ela, _w = plan_create(
            district=side.district,
            actor=None,
            student=side.students[1],
            area="ela",
            tier=2,
            intervention=cico["intervention"],
            provider=side.intervention_specialist,
            start_date=START,
            expected_end_date=START + dt.timedelta(weeks=10),
            goal_measure="Words correct",
            goal_target=80,
            goal_target_date=START + dt.timedelta(weeks=10),
            sessions_per_week=3,
            minutes_per_session=30,
        )
        with pytest.raises(ValidationError, match="not a behavior area"):
            point_card_setup_save(district=side.district, actor=None, plan=ela, periods=PERIODS, goals=GOALS)
        with pytest.raises(ValidationError) as error:
            point_card_setup_save(
                district=side.district, actor=None, plan=cico["plan"], periods="\n \n", goals=["Be safe", "be safe"]
            )
        assert set(error.value.message_dict) == {"periods", "goals"}


def test_the_card_percentage_can_feed_a_further_measure(cico):
    side, plan = cico["side"], cico["plan"]
    with tenant_context(side.district):
        measure = plan_measure_add(
            district=side.district,
            actor=None,
            plan=plan,
            measure="CICO daily points %",
            goal_target=80,
            goal_target_date=plan.goal_target_date,
        )
        point_card_setup_save(
            district=side.district, actor=None, plan=plan, periods=PERIODS, goals=GOALS, measure=measure
        )
    _rate(cico, [("Check-in", "Be safe", 1)])
    with tenant_context(side.district):
        assert Probe.objects.get(plan=plan, date=DAY).measure_id == measure.pk


# --- the behaviour decision rule on descending goals ----------------------------------------------------


def _referrals_measure(cico, weekly: list[float]):
    """Office referrals per week (a descending goal: from about 5 down to 1 in 10 weeks)."""
    side, plan = cico["side"], cico["plan"]
    with tenant_context(side.district):
        measure = plan_measure_add(
            district=side.district,
            actor=None,
            plan=plan,
            measure="Office referrals per week",
            goal_target=1,
            goal_target_date=START + dt.timedelta(weeks=10),
            goal_direction="down",
            baseline_probes=[(START - dt.timedelta(days=d), v) for d, v in ((3, 5), (2, 4), (1, 5))],
        )
        if weekly:
            probes_add(
                district=side.district,
                actor=None,
                plan=plan,
                measure=measure,
                probes=[(START + dt.timedelta(weeks=i + 1), v) for i, v in enumerate(weekly)],
            )
        result = plan_result(district=side.district, plan=plan, as_of=START + dt.timedelta(weeks=len(weekly) + 1))
    return next(m for m in result.measures if m.measure is not None and m.measure.pk == measure.pk)


def test_referrals_staying_high_on_a_descending_goal_are_behind_after_three_points(cico):
    found = _referrals_measure(cico, [5, 6, 5])
    assert found.case.goal.direction == "down"
    # The behaviour rule (policy decision_rules.behavior: min 3 points, median and trend), not the
    # academic median rule's 6 points: three points are enough to decide.
    assert found.config.median_min_points == 3
    median = next(f for f in found.evaluation.findings if f.rule == "median_three")
    # Median 5 of the last three points is above the aim line (about 4.4 at week 3): behind.
    assert median.status == "behind", median.explanation
    trend = next(f for f in found.evaluation.findings if f.rule == "trend")
    assert trend.status == "behind", trend.explanation
    # No check-in sessions are logged in this fixture, so fidelity (not the student) is questioned first.
    assert found.evaluation.recommendation == "low_fidelity"


def test_referrals_falling_faster_than_the_aim_line_are_on_track(cico):
    found = _referrals_measure(cico, [3, 2, 1])
    median = next(f for f in found.evaluation.findings if f.rule == "median_three")
    assert median.status != "behind", median.explanation
    assert found.evaluation.recommendation not in ("modify", "intensify", "insufficient_data")


def test_two_points_are_not_enough_for_the_behaviour_rule(cico):
    found = _referrals_measure(cico, [6, 6])
    assert found.evaluation.recommendation == "insufficient_data"


# --- pages ----------------------------------------------------------------------------------------------


def test_a_teacher_rates_the_card_on_the_page(cico, login):
    side, plan = cico["side"], cico["plan"]
    client = login(side.teacher)
    url = reverse("point_card", args=[plan.pk]) + f"?date={DAY.isoformat()}"
    page = client.get(url)
    assert page.status_code == 200
    assert page.content.decode().count('type="radio"') == len(PERIODS) * len(GOALS) * 3
    response = client.post(url, {"date": DAY.isoformat(), "r_1_0": "2", "r_1_1": "1"})
    assert response.status_code == 302
    with tenant_context(side.district):
        card = PointCard.objects.get(plan=plan, date=DAY)
        assert (card.points_earned, card.points_possible) == (3, 4)
    assert "3 of 4 points (75.0 %)" in client.get(url).content.decode()


def test_the_page_refuses_a_rating_of_3_and_names_the_cell(cico, login):
    side, plan = cico["side"], cico["plan"]
    client = login(side.teacher)
    url = reverse("point_card", args=[plan.pk])
    response = client.post(url, {"date": DAY.isoformat(), "r_0_0": "2", "r_2_1": "3"})
    assert response.status_code == 200
    assert "Period 2, Be respectful: give 0, 1 or 2 points (not “3”)." in response.content.decode()
    with tenant_context(side.district):
        assert not PointCard.objects.exists()


def test_the_card_is_404_for_another_district_and_for_read_only(cico, login):
    world, plan = cico["world"], cico["plan"]
    url = reverse("point_card", args=[plan.pk])
    assert login(world.b.principal).get(url).status_code == 404
    # A read-only member sees the student but rates nothing.
    assert login(cico["side"].read_only).get(url).status_code == 404
    assert login(cico["side"].teacher).get(reverse("point_card_setup", args=[plan.pk])).status_code == 404


def test_the_specialist_sets_periods_and_goals(cico, login):
    side, plan = cico["side"], cico["plan"]
    client = login(side.intervention_specialist)
    url = reverse("point_card_setup", args=[plan.pk])
    response = client.post(
        url,
        {
            "periods": "Homeroom\nMath\nScience",
            "goals": "Be safe\nBe kind",
            "daily_goal_percent": "75",
            "parent_summary": "weekly",
        },
    )
    assert response.status_code == 302
    with tenant_context(side.district):
        plan.point_card_setup.refresh_from_db()
        assert plan.point_card_setup.periods == ["Homeroom", "Math", "Science"]
        assert plan.point_card_setup.daily_goal_percent == 75
        assert plan.point_card_setup.parent_summary == "weekly"
    assert 'id="point-card-link"' in client.get(reverse("plan_detail", args=[plan.pk])).content.decode()


# --- API ------------------------------------------------------------------------------------------------


def _api(user, district):
    with tenant_context(district):
        _token, key = api_token_create(district=district, user=user, name="test")
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {key}")
    return client


def test_the_api_records_a_card(cico):
    side, plan = cico["side"], cico["plan"]
    url = reverse("api_plan_point_cards", args=[plan.pk])
    body = {"date": DAY.isoformat(), "ratings": [{"period": "Period 2", "goal": "Be safe", "rating": 2}]}
    response = _api(side.teacher, side.district).post(url, body, format="json")
    assert response.status_code == 201, response.data
    assert response.data["percent"] == 100.0 and response.data["ratings"] == body["ratings"]
    listed = _api(side.intervention_specialist, side.district).get(url)
    assert [c["date"] for c in listed.data] == [DAY.isoformat()]


def test_the_api_refuses_ratings_outside_0_to_2_and_unknown_goals_by_line(cico):
    side, plan = cico["side"], cico["plan"]
    url = reverse("api_plan_point_cards", args=[plan.pk])
    body = {
        "date": DAY.isoformat(),
        "ratings": [
            {"period": "Period 2", "goal": "Be safe", "rating": 3},
            {"period": "Period 2", "goal": "Be quiet", "rating": 1},
        ],
    }
    response = _api(side.teacher, side.district).post(url, body, format="json")
    assert response.status_code == 400
    text = str(response.data)
    assert "line 1: Rating “3” for Period 2, Be safe: give 0, 1 or 2 points." in text
    assert "line 2: “Be quiet” is not a goal of this card." in text
    with tenant_context(side.district):
        assert not PointCard.objects.exists()


def test_the_api_answers_404_for_another_districts_plan_and_403_for_read_only(cico):
    world, plan = cico["world"], cico["plan"]
    url = reverse("api_plan_point_cards", args=[plan.pk])
    body = {"date": DAY.isoformat(), "ratings": [{"period": "Period 2", "goal": "Be safe", "rating": 2}]}
    assert _api(world.b.district_admin, world.b.district).post(url, body, format="json").status_code == 404
    assert _api(cico["side"].read_only, cico["side"].district).post(url, body, format="json").status_code == 403
