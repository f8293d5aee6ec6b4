"""Issue 14: the score import refuses "inf", "nan" and out-of-range scores with the one score rule
(screening/scores.py) every other entry path uses; "Start a plan" marks a review item only when
the plan is saved."""

from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse
from rest_framework.test import APIClient

from interventions.models import Intervention, Plan
from mtss.tenancy import tenant_context
from screening.models import ReviewItem, Score
from screening.scores import ScoreRange, score_problem
from students.models import ImportRun
from tests.screening.test_import_rules import count_scores, ready, run_import, write  # noqa: F401
from tests.screening.test_pages import screened  # noqa: F401


def test_the_score_rule():
    maze = ScoreRange(0, 100, "Maze")
    assert score_problem("52", maze) is None and score_problem(52.5, maze) is None
    assert score_problem("inf", maze) == "“inf” is not a number"
    assert score_problem(float("nan"), maze) == "“nan” is not a number"
    assert score_problem(True, maze) == "“True” is not a number"
    assert score_problem(999999999, maze) == "999999999 is outside the range of Maze (0..100)"
    assert score_problem(-1, ScoreRange(0, None, "Lexile")) == "-1 is outside the range of Lexile (0..)"


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("bad", "reason"),
    [
        ("inf", "'inf' is not a number"),
        ("nan", "'nan' is not a number"),
        ("999999999", "999999999 is outside the range of aimswebPlus Maze (0..100)"),
    ],
)
def test_an_imported_file_with_inf_nan_or_a_huge_score_is_refused_by_line(ready, tmp_path, bad, reason):  # noqa: F811
    side, mapping, _ = ready
    s = side.students
    path = write(
        tmp_path,
        [
            [s[0].local_id, "9/14/2026", "aimsweb-maze", "6", "9"],
            [s[1].local_id, "9/15/2026", "aimsweb-maze", bad, "40"],
        ],
    )
    run = run_import(side, path, mapping)
    assert run.status == ImportRun.Status.REFUSED
    assert {"file": "scores.csv", "line": 3, "column": "Score", "reason": reason} in run.errors
    assert count_scores(side) == 0


@pytest.mark.django_db
@pytest.mark.parametrize("bad", ["inf", "nan", 999999999])
def test_the_score_api_refuses_them(ready, bad):  # noqa: F811
    side, _, _ = ready
    api = APIClient()
    api.force_login(side.district_admin)
    item = {"student_local_id": side.students[0].local_id, "measure": "aimsweb-maze", "date": "2026-09-14"}
    item["score"] = bad
    response = api.post("/api/v1/scores/", {"scores": [item]}, format="json")
    assert response.status_code == 400, response.content
    assert "not a number" in str(response.data) or "outside the range" in str(response.data)
    with tenant_context(side.district):
        assert not Score.objects.filter(district=side.district).exists()


@pytest.mark.django_db
def test_start_a_plan_marks_the_item_only_when_the_plan_is_saved(screened, client):  # noqa: F811
    side, window = screened
    with tenant_context(side.district):
        item = ReviewItem.objects.filter(district=side.district, status="open").order_by("student_id").first()
        intervention = Intervention.objects.create(
            district=side.district,
            name="Read Well",
            area="reading",
            tiers=[2],
            sessions_per_week=4,
            minutes_per_session=30,
        )
    client.force_login(side.principal)
    response = client.post(f"/screening/review/{item.pk}/", {"action": "plan"})
    form_url = reverse("plan_create", args=[item.student_id]) + f"?review_item={item.pk}"
    assert response["Location"] == form_url
    opened = client.get(form_url)
    assert opened.status_code == 200  # the form is opened, then abandoned
    # The measure is one of the policy's (the plan form offers choices, not free text).
    measures = [value for value, _label in _flat(opened.context["form"].fields["goal_measure"].choices) if value]
    with tenant_context(side.district):
        item.refresh_from_db()
        assert item.status == "open"
    start = dt.date(2026, 9, 21)
    plan = {
        "area": "reading",
        "tier": 2,
        "intervention": intervention.pk,
        "provider": side.intervention_specialist.pk,
        "sessions_per_week": 4,
        "minutes_per_session": 30,
        "start_date": start.isoformat(),
        "expected_end_date": (start + dt.timedelta(weeks=10)).isoformat(),
        "goal_measure": measures[0],
        "goal_target": 20,
        "goal_target_date": (start + dt.timedelta(weeks=10)).isoformat(),
        "goal_direction": "up",
    }
    response = client.post(form_url, plan)
    assert response.status_code == 302, response.context["form"].errors if response.context else response
    with tenant_context(side.district):
        item.refresh_from_db()
        assert item.status == "plan_started" and item.decided_by_id == side.principal.pk
        assert Plan.objects.filter(district=side.district, student_id=item.student_id).count() == 1


def _flat(choices):
    """Form choices, option groups flattened."""
    for value, label in choices:
        if isinstance(label, (list, tuple)):
            yield from label
        else:
            yield value, label
