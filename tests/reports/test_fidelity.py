"""The principal's fidelity dashboard: every number against the hand-computed case
(tests/reports/cases.py), the drill-downs behind them, who may see what, bad input."""

from __future__ import annotations

import csv
import datetime as dt
import io

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from mtss.tenancy import tenant_context
from reports import selectors
from tests import factories as f
from tests.reports.cases import access_logs


def _url(case, **params):
    query = {"start": case["start"].isoformat(), "end": case["end"].isoformat(), **params}
    return reverse("reports_fidelity", kwargs={"school_id": case["school"].pk}), query


def _rows(fidelity, **kwargs):
    side = fidelity["side"]
    membership = f.membership_of(side.principal, side.district)
    with tenant_context(side.district):
        return selectors.fidelity_plans(
            district=side.district,
            membership=membership,
            school=fidelity["school"],
            start=fidelity["start"],
            end=fidelity["end"],
            **kwargs,
        )


def _by_plan(rows, fidelity):
    ids = {plan.pk: name for name, plan in fidelity["plans"].items()}
    return {ids[r.plan_id]: r for r in rows}


def test_it_counts_each_plans_sessions_and_minutes_as_computed_by_hand(fidelity):
    rows = _by_plan(_rows(fidelity), fidelity)
    assert set(rows) == {"P1", "P2", "P3", "P4"}  # not the completed plan, not the other school's
    expected = {  # planned, attended (full length), short, held minutes, attended minutes, meets 80 %
        "P1": (16, 14, 2, 460, 460, True),
        "P2": (16, 11, 2, 460, 370, False),
        "P3": (20, 17, 0, 1020, 1020, True),
        "P4": (16, 2, 0, 60, 60, False),
    }
    for name, (planned, attended, short, held, minutes, meets) in expected.items():
        row = rows[name]
        assert row.planned_sessions == pytest.approx(planned), name
        assert (row.attended_sessions, row.short_sessions, row.held_minutes, row.attended_minutes) == (
            attended,
            short,
            held,
            minutes,
        ), name
        assert row.meets_threshold is meets, name
    assert rows["P2"].sessions_pct == pytest.approx(68.75)
    assert rows["P2"].exposure_pct == pytest.approx(370 / 480 * 100)
    assert rows["P2"].dosage_pct == pytest.approx(460 / 480 * 100)


def test_the_headline_numbers_and_the_engine_flags(fidelity):
    rows = _rows(fidelity)
    headline = selectors.fidelity_headline(rows)
    assert headline["plans"] == 4
    assert headline["planned_sessions"] == pytest.approx(68)
    assert headline["attended_sessions"] == 44
    assert (headline["held_minutes"], headline["attended_minutes"]) == (2000, 1910)
    assert headline["planned_minutes"] == pytest.approx(2640)
    assert (headline["meeting"], headline["applicable"]) == (2, 4)
    assert (headline["pm_compliant"], headline["pm_judged"]) == (1, 4)
    assert headline["probe_overdue"] == 3
    assert headline["idle"] == 1
    assert headline["review_due"] == 0
    by = _by_plan(rows, fidelity)
    assert by["P1"].next_probe == fidelity["start"] + dt.timedelta(days=28)
    assert [n for n, r in by.items() if r.idle] == ["P4"]


def test_reviews_fall_due_after_nine_weeks(fidelity):
    side = fidelity["side"]
    membership = f.membership_of(side.principal, side.district)
    with tenant_context(side.district):
        rows = selectors.fidelity_plans(
            district=side.district,
            membership=membership,
            school=fidelity["school"],
            start=fidelity["start"],
            end=fidelity["start"] + dt.timedelta(days=70),
        )
    assert sum(1 for r in rows if r.review_due) == 4  # Loudon: the S-Team reviews after 9 weeks


def test_the_breakdowns_by_interventionist_tier_and_subgroup(fidelity):
    rows = _rows(fidelity)
    by_provider = {g.label: g for g in selectors.group_plans(rows, "provider")}
    assert set(by_provider) == {"Alex Archer", "Robin Bell"}
    archer = by_provider["Alex Archer"]
    assert (archer.n, archer.total("attended_sessions"), archer.total("planned_sessions")) == (3, 27, 48)
    by_tier = {g.key: g for g in selectors.group_plans(rows, "tier")}
    assert (by_tier["3"].total("attended_sessions"), by_tier["3"].total("planned_sessions")) == (17, 20)
    by_subgroup = {g.key: g for g in selectors.group_plans(rows, "subgroup")}
    assert set(by_subgroup) == {"english_learner", "disability_iep", "none"}
    assert by_subgroup["none"].total("attended_sessions") == 13
    assert by_subgroup["none"].total("planned_sessions") == pytest.approx(32)


def test_the_page_shows_the_numbers_with_n_and_greys_small_shares(fidelity, login):
    client = login(fidelity["side"].principal)
    url, query = _url(fidelity)
    response = client.get(url, query)
    assert response.status_code == 200
    summary = response.context["tables"]["summary"]
    first = summary.rows[0]
    assert (first[1].text, first[2].text, first[3].text) == ("44", "68.0", "65%")  # 44 / 68 = 64.7 %
    threshold = summary.rows[3]
    assert threshold[1].text == "2" and threshold[2].text == "4"
    assert threshold[3].muted and threshold[3].text == "too few to judge"  # 4 plans < 10
    html = response.content.decode()
    assert "too few to judge" in html
    breakdown = response.context["tables"]["by_provider"]
    archer = next(row for row in breakdown.rows if row[0].text == "Alex Archer")
    assert archer[4].text == "56%"  # 27 / 48
    bell = next(row for row in breakdown.rows if row[0].text == "Robin Bell")
    assert bell[4].text == "85%"  # 17 / 20
    assert 'role="img"' in html and "threshold 80%" in html  # the chart, with its threshold line
    # Aggregates only: no student list, so no access-log row for the page.
    assert not access_logs(fidelity["side"].district, action="list")


def test_every_number_links_to_the_plans_behind_it(fidelity, login):
    client = login(fidelity["side"].principal)
    url, query = _url(fidelity, by="subgroup")
    response = client.get(url, query)
    table = response.context["tables"]["by_subgroup"]
    none_row = next(row for row in table.rows if row[0].text == "No subgroup flag")
    assert none_row[4].text == "41%"  # 13 / 32
    drill = client.get(none_row[1].href)
    assert drill.status_code == 200
    plans = drill.context["tables"]["plans"]
    assert sorted(row[0].text.split(",")[0] for row in plans.rows) == ["Baker", "Diaz"]
    sessions = drill.context["tables"]["sessions"]
    assert len(sessions.rows) == 16 + 2  # Baker's 16 group sessions in the range, Diaz's 2
    # Drill-down pages list students: one access-log row with exactly those students.
    [entry] = access_logs(fidelity["side"].district, action="list")
    assert set(entry.student_ids) == {fidelity["plans"]["P2"].student_id, fidelity["plans"]["P4"].student_id}
    # Headline numbers link to their plans: below threshold, no recent session.
    summary = client.get(url, query).context["tables"]["summary"]
    below = client.get(summary.rows[3][3].href).context["tables"]["plans"]
    assert sorted(row[0].text.split(",")[0] for row in below.rows) == ["Baker", "Diaz"]
    idle = client.get(summary.rows[7][1].href).context["tables"]["plans"]
    assert [row[0].text.split(",")[0] for row in idle.rows] == ["Diaz"]
    plan_link = idle.rows[0][0].href
    assert plan_link == reverse("plan_detail", kwargs={"plan_id": fidelity["plans"]["P4"].pk})
    assert client.get(plan_link).status_code == 200


def test_the_breakdown_exports_as_csv(fidelity, login):
    client = login(fidelity["side"].principal)
    url, query = _url(fidelity)
    response = client.get(url, {**query, "export": "by-provider", "format": "csv"})
    assert response.status_code == 200
    assert response["Content-Disposition"].startswith('attachment; filename="by-provider-')
    rows = list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode("utf-8-sig"))))
    assert rows[0][:5] == ["Interventionist", "Plans", "Sessions planned", "Sessions attended", "Sessions delivered %"]
    archer = next(r for r in rows if r[0] == "Alex Archer")
    assert archer[1:5] == ["3", "48.0", "27", "56.2"]
    [log] = access_logs(fidelity["side"].district, action="export")
    assert log.student_ids == [] and "by-provider" in log.what  # aggregates: logged, with no student in them


def test_the_query_count_does_not_grow_with_the_plans(fidelity, login):
    client = login(fidelity["side"].principal)
    url, query = _url(fidelity)
    client.get(url, query)
    with CaptureQueriesContext(connection) as small:
        client.get(url, query)
    side = fidelity["side"]
    from interventions.models import Plan
    from interventions.services import plan_create

    with tenant_context(side.district):
        for i in range(6):
            student = f.make_student(side.district, side.school, last_name=f"Extra{i}", grade=2, homeless=True)
            plan_create(
                district=side.district,
                actor=None,
                student=student,
                area="reading",
                tier=2,
                intervention=fidelity["interventions"]["Lexia"],
                provider=fidelity["specialists"]["B"],
                start_date=fidelity["start"],
                expected_end_date=fidelity["start"] + dt.timedelta(weeks=18),
                goal_measure="R-CBM WRC",
                goal_target=90,
                goal_target_date=fidelity["start"] + dt.timedelta(weeks=18),
                sessions_per_week=4,
                minutes_per_session=30,
                baseline_probes=[(fidelity["start"] - dt.timedelta(days=1), 40)],
            )
        assert Plan.objects.filter(district=side.district).count() >= 12
    with CaptureQueriesContext(connection) as large:
        response = client.get(url, query)
    assert response.context["headline"]["plans"] == 10
    assert len(large) == len(small)


@pytest.mark.parametrize("role", ["teacher", "intervention_specialist", "counselor", "read_only", "psychologist"])
def test_other_roles_get_404(fidelity, login, role):
    client = login(fidelity["side"].users[role])
    url, query = _url(fidelity)
    assert client.get(url, query).status_code == 404


def test_a_principal_of_another_school_gets_404_and_a_district_admin_sees_any(fidelity, world, login):
    side = fidelity["side"]
    other_principal = f.make_member(side.district, "principal", schools=[side.other_school], username="principal-2")
    url, query = _url(fidelity)
    assert login(other_principal).get(url, query).status_code == 404
    assert login(side.district_admin).get(url, query).status_code == 200
    assert login(world.b.principal).get(url, query).status_code == 404  # another district's school


@pytest.mark.parametrize(
    "params, field",
    [
        ({"start": "2026-13-01"}, "start"),
        ({"start": "2026-10-10", "end": "2026-10-01"}, "end"),
        ({"idle_days": "0"}, "idle_days"),
        ({"by": "shoe_size"}, "by"),
        ({"start": "2020-01-01", "end": "2026-01-01"}, "start"),
    ],
)
def test_bad_filters_answer_400_naming_the_field_and_keep_what_was_typed(fidelity, login, params, field):
    client = login(fidelity["side"].principal)
    url = reverse("reports_fidelity", kwargs={"school_id": fidelity["school"].pk})
    response = client.get(url, params)
    assert response.status_code == 400
    form = response.context["form"]
    assert field in form.errors
    for key, value in params.items():
        assert form[key].value() == value
    assert f'id="id_{field}_error"' in response.content.decode()


def test_a_bad_drill_down_link_answers_400(fidelity, login):
    client = login(fidelity["side"].principal)
    url = reverse("reports_fidelity_plans", kwargs={"school_id": fidelity["school"].pk})
    assert client.get(url, {"metric": "everything"}).status_code == 400
    assert client.get(url, {"metric": "all", "by": "colour"}).status_code == 400
    unknown_export = client.get(url, {"metric": "all", "export": "plans", "format": "ods"})
    assert unknown_export.status_code == 400
