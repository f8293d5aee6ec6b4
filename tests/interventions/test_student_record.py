"""The student record shows the screening history and each plan's progress graph (issue 14, item 7)."""

from __future__ import annotations

import datetime as dt
from html import unescape

from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from interventions.services import plan_create
from mtss.models import SchoolYear
from mtss.tenancy import tenant_context
from screening.models import Assessment, Measure, Score, ScreeningWindow
from tests.program import START


def _score(side, student, *, season, score, percentile, risk, tier, test_date):
    year = SchoolYear.objects.get(district=side.district, name="2026-2027")
    assessment, _ = Assessment.objects.get_or_create(district=side.district, key="aimsweb", name="aimswebPlus")
    measure, _ = Measure.objects.get_or_create(
        district=side.district,
        assessment=assessment,
        key="orf",
        defaults={"name": "Oral Reading Fluency", "subject": "reading", "score_type": "raw"},
    )
    window, _ = ScreeningWindow.objects.get_or_create(
        district=side.district,
        school_year=year,
        season=season,
        defaults={"start_date": test_date - dt.timedelta(days=5), "end_date": test_date + dt.timedelta(days=5)},
    )
    return Score.objects.create(
        district=side.district,
        student=student,
        measure=measure,
        window=window,
        school=student.school,
        grade=student.grade,
        test_date=test_date,
        score=score,
        percentile=percentile,
        area="reading",
        tier=tier,
        risk_label=risk,
    )


def test_the_record_shows_screening_scores_by_window_with_risk(program, login):
    side = program["side"]
    student = side.students[0]
    with tenant_context(side.district):
        _score(side, student, season="fall", score=38, percentile=12, risk="At risk", tier=2, test_date=START)
        _score(
            side,
            student,
            season="winter",
            score=61,
            percentile=30,
            risk="Some risk",
            tier=2,
            test_date=START.replace(month=12),
        )
    response = login(side.principal).get(reverse("student_detail", args=[student.pk]))
    assert [(s.window.season, s.score) for s in response.context["scores"]] == [("winter", 61), ("fall", 38)]
    body = unescape(response.content.decode())
    assert "Screening history" in body and "Oral Reading Fluency" in body
    assert "At risk" in body and "Some risk" in body and "Fall 2026-2027" in body


def test_the_record_draws_each_plans_graph(program, login):
    side = program["side"]
    plan = program["plans"][0]
    response = login(side.principal).get(reverse("student_detail", args=[plan.student_id]))
    assert [p.pk for p, _svg in response.context["plan_charts"]] == [plan.pk]
    body = response.content.decode()
    assert f'id="plan-graph-{plan.pk}"' in body
    assert "<svg" in body.split(f'id="plan-graph-{plan.pk}"')[1]


def test_a_record_without_scores_says_so(world, login):
    body = login(world.a.principal).get(reverse("student_detail", args=[world.a.students[0].pk])).content.decode()
    assert "No screening score on record." in body
    assert "Progress graphs" not in body


def test_the_record_runs_a_fixed_number_of_queries_as_plans_grow(program, login):
    side = program["side"]
    student = side.students[0]
    client = login(side.principal)
    url = reverse("student_detail", args=[student.pk])
    client.get(url)
    with CaptureQueriesContext(connection) as small:
        client.get(url)
    with tenant_context(side.district):
        _score(side, student, season="fall", score=38, percentile=12, risk="At risk", tier=2, test_date=START)
        for area in ("math", "writing"):
            plan_create(
                district=side.district,
                actor=side.intervention_specialist,
                student=student,
                area=area,
                tier=2,
                intervention=program["intervention"],
                provider=side.intervention_specialist,
                start_date=START,
                expected_end_date=START + dt.timedelta(weeks=12),
                goal_measure="R-CBM WRC",
                goal_target=30,
                goal_target_date=START + dt.timedelta(weeks=12),
                sessions_per_week=3,
                minutes_per_session=30,
            )
    with CaptureQueriesContext(connection) as large:
        response = client.get(url)
    assert len(response.context["plan_charts"]) == 3
    assert len(large.captured_queries) == len(small.captured_queries)
