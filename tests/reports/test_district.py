"""The district dashboard: tiers against 80/15/5, movement, effectiveness with n and
without over-claiming, gaps by subgroup, screening participation; the snapshot job."""

from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse
from django.utils import timezone

from interventions.models import Intervention, Plan, TierPlacement
from mtss.models import SchoolYear
from mtss.tenancy import tenant_context
from reports import selectors
from reports.models import PlanEvaluation
from tests import factories as f
from tests.reports.cases import load_policy

D = dt.date


@pytest.fixture
def district(world):
    """District A, year 2026-2027. The elementary school: the world's 3 students + 9 = 12;
    the middle school: 1. Placements (open ones make today's tier):

    | student | placements                                        | counts as                 |
    | S1 (EL) | T2 from 2026-09-10, open                          | entry                     |
    | S2 (EL) | T2 2026-09-10..10-31, T3 from 11-01, open         | entry, move up            |
    | S3      | T3 2025-10-01..2026-10-15, T2 from 10-16, open    | move down                 |
    | S4      | T2 2026-09-01..10-20                              | entry, exit               |
    | S5      | T2 2025-09-01..2026-09-30                         | exit                      |
    Today: elementary 9 / 2 / 1 of 12 (75 / 16.7 / 8.3 %); the middle school 1 / 0 / 0.
    Year: entries 3, exits 2, up 1, down 1.
    Effectiveness snapshot: Fundations 12 plans, 9 responding, 2 not, 1 not judged -> 9 / 11 = 82 %;
    growth/goal ratios 0.5 x3, 1 x5, 1.5 x3, 2 x... (median 100 %). Lexia 3 plans: too few.
    """
    side = world.a
    load_policy(side)
    with tenant_context(side.district):
        year = SchoolYear.objects.get(district=side.district, name="2026-2027")
    kids = [
        f.make_student(side.district, side.school, last_name=f"S{i}", english_learner=i in (1, 2)) for i in range(1, 10)
    ]
    s = {i: kids[i - 1] for i in range(1, 10)}
    rows = [
        (1, 2, D(2026, 9, 10), None),
        (2, 2, D(2026, 9, 10), D(2026, 10, 31)),
        (2, 3, D(2026, 11, 1), None),
        (3, 3, D(2025, 10, 1), D(2026, 10, 15)),
        (3, 2, D(2026, 10, 16), None),
        (4, 2, D(2026, 9, 1), D(2026, 10, 20)),
        (5, 2, D(2025, 9, 1), D(2026, 9, 30)),
    ]
    with tenant_context(side.district):
        TierPlacement.objects.bulk_create(
            [
                TierPlacement(district=side.district, student=s[i], area="reading", tier=t, start_date=a, end_date=b)
                for i, t, a, b in rows
            ]
        )
        fundations = Intervention.objects.create(district=side.district, name="Fundations", area="reading")
        lexia = Intervention.objects.create(district=side.district, name="Lexia", area="reading")
    # Twelve Fundations plans (the nine and the world's three students), three Lexia plans (S6-S8 again).
    students = kids + side.students[:3] + kids[5:8]
    roi = [1, 1, 1, 2, 2, 2, 2, 2, 3, 3, 3, 4]
    responses = ["responding"] * 9 + ["not_responding"] * 2 + [""]
    now = timezone.now()
    evaluations = []
    with tenant_context(side.district):
        for i, student in enumerate(students):
            intervention = fundations if i < 12 else lexia
            plan = Plan.objects.create(
                district=side.district,
                student=student,
                area="reading",
                tier=2,
                intervention=intervention,
                provider=side.intervention_specialist,
                start_date=D(2026, 9, 1),
                expected_end_date=D(2027, 1, 1),
                goal_measure="ORF",
                goal_target=80,
                goal_target_date=D(2027, 1, 1),
                sessions_per_week=4,
                minutes_per_session=30,
            )
            evaluations.append(
                PlanEvaluation(
                    district=side.district,
                    plan=plan,
                    student=student,
                    school=side.school,
                    intervention=intervention,
                    tier=2,
                    area="reading",
                    as_of=D(2026, 11, 20),
                    computed_at=now,
                    recommendation="continue" if i < 12 and responses[i] == "responding" else "modify",
                    response=responses[i] if i < 12 else "responding",
                    roi=float(roi[i]) if i < 12 else 1.0,
                    goal_roi=2.0,
                )
            )
        PlanEvaluation.objects.bulk_create(evaluations)
    return {"side": side, "year": year, "s": s}


def _dashboard(district, login, **params):
    # The page reads the nightly snapshot of its counts: take it now.
    from reports.services import dashboard_refresh

    with tenant_context(district["side"].district):
        dashboard_refresh(district=district["side"].district)
    response = login(district["side"].district_admin).get(
        reverse("reports_district"), {"year": district["year"].pk, **params}
    )
    assert response.status_code == 200
    return response


def test_tiers_by_school_against_80_15_5(district, login):
    response = _dashboard(district, login)
    table = response.context["tables"]["tiers"]
    rows = {row[0].text: row for row in table.rows}
    elementary = rows[district["side"].school.name]
    assert [c.text for c in elementary[1:8]] == ["12", "9", "75%", "2", "17%", "1", "8%"]
    assert elementary[8].text == "-5.0"  # 75 % in Tier 1: 5 points below the guideline
    middle = rows[district["side"].other_school.name]
    assert middle[1].text == "1" and middle[3].text == "too few to judge" and middle[3].muted
    assert rows["All schools"][1].text == "13"
    assert 'id="tier-chart"' in response.content.decode()


def test_movement_between_tiers_over_the_year(district):
    side = district["side"]
    membership = f.membership_of(side.district_admin, side.district)
    with tenant_context(side.district):
        movement = selectors.tier_movement(
            district=side.district, membership=membership, year=district["year"], area=None
        )
    total = movement["total"]
    assert (total.entries, total.exits, total.up, total.down) == (3, 2, 1, 1)
    english = movement["subgroups"]["english_learner"]
    assert (english.entries, english.up) == (2, 1)


def test_effectiveness_shows_n_and_refuses_small_n(district, login):
    table = _dashboard(district, login).context["tables"]["effectiveness"]
    rows = {row[0].text: row for row in table.rows}
    fundations = rows["Fundations"]
    assert [c.text for c in fundations[1:5]] == ["12", "11", "9", "82%"]
    assert fundations[5].text == "12"  # plans with growth data
    assert (fundations[6].text, fundations[7].text, fundations[8].text) == ("2.00", "2.00", "100%")
    lexia = rows["Lexia"]
    assert lexia[2].text == "3" and lexia[4].text == "too few to judge" and lexia[8].text == "too few to judge"


def test_a_district_administrator_reads_the_groups_stored_with_the_snapshot(district, login):
    """Grouping 80,000 snapshot rows per view took about a second at 400,000 students: the groups are
    stored with the snapshot (EffectSummary), the same numbers as grouping live, and the page reads them
    without touching the snapshot rows. A principal's narrower view still groups live."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from reports.models import EffectSummary
    from reports.selectors import effect_summaries

    side = district["side"]
    live = _dashboard(district, login).context["tables"]
    with tenant_context(side.district):
        EffectSummary.objects.bulk_create(
            effect_summaries(district=side.district, as_of=D(2026, 11, 20), computed_at=timezone.now())
        )
        # Per area and across areas: "" and the policy's areas (reading has the plans).
        assert {"", "reading"} <= set(EffectSummary.objects.filter(group="all").values_list("area", flat=True))
        assert EffectSummary.objects.get(group="all", area="reading").plans == 15
    with CaptureQueriesContext(connection) as queries:
        stored = _dashboard(district, login).context["tables"]
    assert not [q for q in queries if "reports_planevaluation" in q["sql"]]
    for key in ("effectiveness", "gaps"):
        assert [[c.text for c in row] for row in stored[key].rows] == [[c.text for c in row] for row in live[key].rows]
    # The stored rows are the district's: a changed snapshot row shows only after the next refresh.
    with tenant_context(side.district):
        PlanEvaluation.objects.filter(district=side.district).update(response="not_responding")
    again = _dashboard(district, login).context["tables"]["effectiveness"]
    assert {row[0].text: row[4].text for row in again.rows}["Fundations"] == "82%"


def test_gaps_by_subgroup_stand_beside_all_students(district, login):
    table = _dashboard(district, login).context["tables"]["gaps"]
    rows = {row[0].text: row for row in table.rows}
    everyone = rows["All students"]
    assert everyone[1].text == "13" and everyone[2].text == "23%"  # 3 of 13 in Tier 2 or 3
    assert everyone[3].text == "23.1"  # 3 entries per 13 students
    assert (everyone[4].text, everyone[5].text, everyone[6].text) == ("15.4", "7.7", "7.7")  # 2 exits, 1 up, 1 down
    assert everyone[7].text == "14" and everyone[8].text == "86%"  # Fundations 9 of 11 + Lexia 3 of 3 = 12 of 14
    english = rows["English learner"]
    assert english[1].text == "2" and english[2].text == "too few to judge"


def test_screening_participation_per_window(district, login):
    from screening.models import Assessment, Measure, Score, ScreeningWindow

    side = district["side"]
    with tenant_context(side.district):
        assessment = Assessment.objects.create(district=side.district, key="aimsweb", name="aimswebPlus")
        measure = Measure.objects.create(
            district=side.district, assessment=assessment, key="orf", name="ORF", subject="reading", score_type="raw"
        )
        window = ScreeningWindow.objects.create(
            district=side.district,
            school_year=district["year"],
            season="fall",
            start_date=D(2026, 9, 1),
            end_date=D(2026, 9, 30),
        )
        for student in list(district["s"].values())[:5]:
            Score.objects.create(
                district=side.district,
                student=student,
                measure=measure,
                window=window,
                school=side.school,
                grade=2,
                test_date=D(2026, 9, 15),
                score=40,
            )
    table = _dashboard(district, login).context["tables"]["participation"]
    first = table.rows[0]
    assert [c.text for c in first] == ["Fall 2026-2027", "All schools", "13", "5", "38%"]


def test_only_district_administrators_open_it(district, login, world):
    for role in ("principal", "teacher", "intervention_specialist", "psychologist", "counselor", "read_only"):
        assert login(district["side"].users[role]).get(reverse("reports_district")).status_code == 404, role
    response = login(world.b.district_admin).get(reverse("reports_district"))
    assert response.status_code == 200
    assert "Fundations" not in response.content.decode()  # district B sees nothing of district A


def test_an_unknown_area_answers_400(district, login):
    response = login(district["side"].district_admin).get(reverse("reports_district"), {"area": "astrology"})
    assert response.status_code == 400
    assert "astrology" in response.content.decode()


def test_the_snapshot_job_evaluates_every_active_plan(program):
    """reports.services.evaluations_refresh: one row per active plan with the engine's verdict."""
    from interventions.selectors import evaluate_plans
    from reports.services import evaluations_refresh

    side = program["side"]
    with tenant_context(side.district):
        count = evaluations_refresh(district=side.district, as_of=D(2026, 11, 20))
        assert count == 3
        rows = {e.plan_id: e for e in PlanEvaluation.objects.filter(district=side.district)}
        plans = list(Plan.objects.filter(district=side.district).select_related("student", "placement"))
        engine = evaluate_plans(district=side.district, plans=plans, as_of=D(2026, 11, 20))
        for plan in plans:
            assert rows[plan.pk].recommendation == engine[plan.pk].evaluation.recommendation
            assert rows[plan.pk].response == ""  # no probes yet: not judged
        assert evaluations_refresh(district=side.district, as_of=D(2026, 11, 20)) == 3  # replaced, not added
        assert PlanEvaluation.objects.filter(district=side.district).count() == 3
        # The district-wide groups are stored with the snapshot, replaced with it.
        from reports.models import EffectSummary

        assert EffectSummary.objects.get(district=side.district, group="all", area="").plans == 3


def test_recompute_now_queues_the_job(district, login, monkeypatch):
    calls = []
    from reports import tasks

    # Staff actions publish through mtss.jobs.enqueue (no result wait, no publish retry).
    monkeypatch.setattr(tasks.refresh_evaluations, "apply_async", lambda args, **options: calls.append(tuple(args)))
    client = login(district["side"].district_admin)
    response = client.post(reverse("reports_refresh"))
    assert response.status_code == 302
    assert calls == [(district["side"].district.pk, district["side"].district_admin.pk)]
    assert client.get(reverse("reports_refresh")).status_code == 405


def test_the_tier_chart_of_many_schools_keeps_those_furthest_below_the_guideline():
    """1,000 schools drew 1,001 bars no one reads (and 0.2 s of SVG per view): past CHART_SCHOOLS the
    chart keeps the schools with the smallest Tier 1 share that have enough students to judge."""
    from types import SimpleNamespace

    few = [(SimpleNamespace(name=f"S{i}"), {1: 8, 2: 1, 3: 1}) for i in range(selectors.CHART_SCHOOLS)]
    assert selectors.schools_to_chart(few, min_n=10) == few
    many = [(SimpleNamespace(name=f"S{i:02}"), {1: 100 - i, 2: i, 3: 0}) for i in range(40)]
    many.append((SimpleNamespace(name="tiny"), {1: 0, 2: 3, 3: 0}))  # 3 students: too few to judge
    charted = selectors.schools_to_chart(many, min_n=10)
    assert [s.name for s, _ in charted] == [f"S{i:02}" for i in range(39, 9, -1)]
