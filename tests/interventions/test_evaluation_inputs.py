"""Norms, overrides, the school calendar and several measures reach every evaluation (issue 12)."""

import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from interventions import services
from interventions.models import InterventionSession, PlanMeasure, Probe
from interventions.selectors import evaluate_plans
from mtss.calendars.services import calendar_event_create
from mtss.tenancy import tenant_context
from screening.models import Measure, NormPoint, NormTable
from screening.services import catalog_ensure
from tests import factories as f
from tests.program import START

pytestmark = pytest.mark.django_db

# Hand-made grade-2 R-CBM norms (made up for the test): the 25th percentile is 40 in fall,
# 58 in winter, 76 in spring, so the growth cut in the fall is (58 - 40) / 18 = 1 word a week.
NORMS = {
    ("fall", 25): 40,
    ("fall", 50): 55,
    ("winter", 25): 58,
    ("winter", 50): 72,
    ("spring", 25): 76,
    ("spring", 50): 90,
}


def _norms(district, grade=2):
    with tenant_context(district):
        catalog_ensure(district=district)
        measure = Measure.objects.get(district=district, key="aimsweb-rcbm")
        table = NormTable.objects.create(
            district=district, measure=measure, kind="percentile", norm="national", name="Test R-CBM norms"
        )
        NormPoint.objects.bulk_create(
            NormPoint(district=district, table=table, grade=grade, season=season, percentile=pct, score=score)
            for (season, pct), score in NORMS.items()
        )


def _weekly_probes(program, plan, scores):
    side = program["side"]
    with tenant_context(side.district):
        services.probes_add(
            district=side.district,
            actor=None,
            plan=plan,
            probes=[(START + dt.timedelta(weeks=week + 1), score) for week, score in enumerate(scores)],
        )


def _finding(result, rule):
    return next(f for f in result.evaluation.findings if f.rule == rule)


def test_it_takes_the_criteria_from_the_districts_norm_table(program):
    side, plan = program["side"], program["plans"][0]
    _norms(side.district)
    _weekly_probes(program, plan, [38, 38, 39, 38, 39, 39, 38, 39])
    with tenant_context(side.district):
        result = evaluate_plans(district=side.district, plans=[plan], as_of=START + dt.timedelta(weeks=9))[plan.pk]
    finding = _finding(result, "dual_discrepancy")
    assert finding.status == "non_responder"
    assert finding.values["level_cut"] == 40 and finding.values["roi_cut"] == pytest.approx(1.0)
    assert "Test R-CBM norms, grade 2: level cut 40 = 25th percentile in fall" in finding.explanation


def test_the_plan_page_shows_the_dual_discrepancy_numbers(program, login):
    side, plan = program["side"], program["plans"][0]
    _norms(side.district)
    _weekly_probes(program, plan, [45, 47, 48, 50, 52, 53, 55, 57])
    response = login(side.intervention_specialist).get(reverse("plan_detail", args=[plan.pk]))
    text = response.content.decode()
    assert response.status_code == 200
    assert "Test R-CBM norms, grade 2" in text and "not checked" not in text


def test_a_plan_override_with_a_reason_replaces_the_norms(program, login):
    side, plan = program["side"], program["plans"][0]
    _norms(side.district)
    client = login(side.intervention_specialist)
    url = reverse("plan_detail", args=[plan.pk])
    refused = client.post(url, {"dd-dd_level_cut": "50", "dd-dd_growth_cut": "1.5", "dd-dd_override_reason": ""})
    assert refused.status_code == 200 and refused.context["criteria_form"].errors
    saved = client.post(
        url, {"dd-dd_level_cut": "50", "dd-dd_growth_cut": "1.5", "dd-dd_override_reason": "local norms for newcomers"}
    )
    assert saved.status_code == 302
    _weekly_probes(program, plan, [45, 46, 47, 48, 49, 50, 51, 52])
    with tenant_context(side.district):
        plan.refresh_from_db()
        result = evaluate_plans(district=side.district, plans=[plan], as_of=START + dt.timedelta(weeks=9))[plan.pk]
    finding = _finding(result, "dual_discrepancy")
    assert finding.values["level_cut"] == 50 and finding.values["roi_cut"] == 1.5
    assert "override: local norms for newcomers" in finding.explanation
    page = client.get(url).content.decode()
    assert "override: local norms for newcomers" in page


def test_without_norms_the_finding_says_so_and_links_the_catalog_for_admins(program, login):
    side, plan = program["side"], program["plans"][0]
    url = reverse("plan_detail", args=[plan.pk])
    catalog = reverse("screening_catalog")
    admin_page = login(side.district_admin).get(url).content.decode()
    assert "No percentile norms for aimsweb-rcbm, grade 2" in admin_page
    assert f'href="{catalog}"' in admin_page
    specialist_page = login(side.intervention_specialist).get(url).content.decode()
    assert "No percentile norms for aimsweb-rcbm, grade 2" in specialist_page
    assert f'href="{catalog}"' not in specialist_page


def test_a_plan_through_a_break_with_every_school_day_session_has_adequate_fidelity(world, program, login):
    side = program["side"]
    today = dt.date.today()
    start = today - dt.timedelta(days=today.weekday(), weeks=8)  # a Monday eight weeks ago
    break_first, break_last = start + dt.timedelta(weeks=3), start + dt.timedelta(weeks=4, days=4)
    with tenant_context(side.district):
        calendar_event_create(
            district=side.district,
            actor=None,
            kind="break",
            name="Winter break",
            start_date=break_first,
            end_date=break_last,
        )
        group = services.group_create(
            district=side.district,
            actor=None,
            school=side.school,
            provider=side.intervention_specialist,
            name="Break group",
            area="reading",
            tier=2,
            intervention=program["intervention"],
            sessions_per_week=4,
            minutes_per_session=30,
        )
        student = f.make_student(side.district, side.school, last_name="Gamma")
        plan, _ = services.plan_create(
            district=side.district,
            actor=None,
            student=student,
            area="reading",
            tier=2,
            intervention=program["intervention"],
            provider=side.intervention_specialist,
            group=group,
            start_date=start,
            expected_end_date=start + dt.timedelta(weeks=12),
            goal_measure="R-CBM WRC",
            goal_target=90,
            goal_target_date=start + dt.timedelta(weeks=12),
            sessions_per_week=4,
            minutes_per_session=30,
            baseline_probes=[(start - dt.timedelta(days=1), 40)],
        )
        week = start
        while week < today:
            services.group_log_week(district=side.district, actor=None, group=group, week_start=week)
            week += dt.timedelta(weeks=1)
        logged = set(InterventionSession.objects.filter(group=group).values_list("date", flat=True))
    assert logged and not any(break_first <= day <= break_last for day in logged)
    response = login(side.intervention_specialist).get(reverse("plan_detail", args=[plan.pk]))
    fidelity = _finding(response.context["result"], "fidelity")
    assert fidelity.status == "adequate", fidelity.explanation
    assert fidelity.values["sessions_pct"] >= 100  # every school-day session (a week in progress counts pro rata)


def test_log_this_week_uses_the_groups_own_days(program):
    side, group = program["side"], program["group"]
    with tenant_context(side.district):
        group.meeting_days = [1, 3]
        group.save()
        calendar_event_create(
            district=side.district,
            actor=None,
            kind="holiday",
            name="Holiday",
            start_date=START + dt.timedelta(days=3),
            end_date=START + dt.timedelta(days=3),
        )
        sessions = services.group_log_week(district=side.district, actor=None, group=group, week_start=START)
    assert [s.date for s in sessions] == [START + dt.timedelta(days=1)]  # Tuesday; Thursday is a holiday


def _second_measure(program, plan):
    side = program["side"]
    with tenant_context(side.district):
        measure = services.plan_measure_add(
            district=side.district,
            actor=None,
            plan=plan,
            measure="Daily behavior card %",
            goal_target=80,
            goal_target_date=START + dt.timedelta(weeks=12),
            baseline_probes=[(START - dt.timedelta(days=d), 50) for d in (3, 2, 1)],
        )
        services.probes_add(
            district=side.district,
            actor=None,
            plan=plan,
            measure=measure,
            probes=[(START + dt.timedelta(weeks=w), 50) for w in range(1, 9)],
        )
    return measure


def test_a_plan_with_two_measures_shows_both_and_combines_them(program, login):
    side, plan = program["side"], program["plans"][0]
    _weekly_probes(program, plan, [46, 50, 54, 58, 62, 66, 70, 74])  # on track
    measure = _second_measure(program, plan)
    with tenant_context(side.district):
        result = evaluate_plans(district=side.district, plans=[plan], as_of=START + dt.timedelta(weeks=9))[plan.pk]
        assert Probe.objects.filter(plan=plan, measure=measure).count() == 11
    assert [m.name for m in result.measures] == ["R-CBM WRC", "Daily behavior card %"]
    flat = result.measures[1].evaluation.recommendation
    assert flat in ("modify", "intensify", "low_fidelity")
    # Loudon's policy combines by "most_intensive": the flat behaviour card decides.
    assert result.combined.combine == "most_intensive"
    assert result.evaluation.recommendation == flat
    page = login(side.intervention_specialist).get(reverse("plan_detail", args=[plan.pk])).content.decode()
    assert f'data-measure="{measure.pk}"' in page and "Daily behavior card %" in page
    assert page.count("<svg") >= 2


def test_the_api_exposes_measures_and_takes_probes_per_measure(program, login):
    side, plan = program["side"], program["plans"][0]
    client = login(side.intervention_specialist)
    created = client.post(
        reverse("api_plan_measure_create", args=[plan.pk]),
        {
            "measure": "Daily behavior card %",
            "goal_target": 80,
            "goal_target_date": (START + dt.timedelta(weeks=12)).isoformat(),
            "baseline_probes": [{"date": (START - dt.timedelta(days=1)).isoformat(), "score": 50}],
        },
        content_type="application/json",
    )
    assert created.status_code == 201, created.content
    body = created.json()
    assert [m["measure"] for m in body["measures"]] == ["R-CBM WRC", "Daily behavior card %"]
    measure_id = body["measures"][1]["id"]
    probe = client.post(
        reverse("api_plan_probes", args=[plan.pk]),
        {"date": (START + dt.timedelta(weeks=1)).isoformat(), "score": 55, "measure": measure_id},
        content_type="application/json",
    )
    assert probe.status_code == 201 and probe.json()[0]["measure"] == measure_id
    bad = client.post(
        reverse("api_plan_probes", args=[plan.pk]),
        {"date": START.isoformat(), "score": 55, "measure": 999999},
        content_type="application/json",
    )
    assert bad.status_code == 400 and "measure" in bad.json()
    with tenant_context(side.district):
        assert PlanMeasure.objects.filter(plan=plan).count() == 1


def test_another_districts_plan_is_404_for_the_measures_route(world, program, login):
    plan = program["plans"][0]
    client = login(world.b.district_admin)
    response = client.post(
        reverse("api_plan_measure_create", args=[plan.pk]),
        {"measure": "x", "goal_target": 1, "goal_target_date": "2027-01-01"},
        content_type="application/json",
    )
    assert response.status_code == 404


def test_the_caseload_runs_the_same_queries_for_more_plans(program, login):
    side = program["side"]
    _norms(side.district)
    client = login(side.intervention_specialist)
    client.get(reverse("caseload"))  # warm caches (policy, session)
    with CaptureQueriesContext(connection) as few:
        assert client.get(reverse("caseload")).status_code == 200
    _second_measure(program, program["plans"][1])
    with tenant_context(side.district):
        for i in range(4):
            student = f.make_student(side.district, side.school, last_name=f"More{i}")
            services.plan_create(
                district=side.district,
                actor=None,
                student=student,
                area="reading",
                tier=2,
                intervention=program["intervention"],
                provider=side.intervention_specialist,
                group=None,
                start_date=START,
                expected_end_date=START + dt.timedelta(weeks=12),
                goal_measure="Maze",
                goal_target=20,
                goal_target_date=START + dt.timedelta(weeks=12),
                sessions_per_week=3,
                minutes_per_session=30,
                baseline_probes=[(START - dt.timedelta(days=1), 10)],
            )
    with CaptureQueriesContext(connection) as many:
        response = client.get(reverse("caseload"))
    assert response.status_code == 200 and len(response.context["rows"]) == 7
    assert len(many.captured_queries) == len(few.captured_queries)
