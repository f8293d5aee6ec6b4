"""The specialist's pages: log a group session, the plan page, the caseload."""

import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from interventions.models import Attendance, InterventionSession, Probe
from interventions.services import probes_add
from mtss.tenancy import tenant_context
from tests.program import START

pytestmark = pytest.mark.django_db


def _session_post(program, day, **overrides):
    data = {"date": day.isoformat(), "minutes": 30, "note": ""}
    for plan in program["plans"]:
        data[f"att_{plan.pk}"] = "present"
        data[f"probe_{plan.pk}"] = ""
    data.update(overrides)
    return data


def test_a_normal_session_is_logged_with_the_defaults(program, login):
    client = login(program["side"].intervention_specialist)
    url = reverse("group_detail", args=[program["group"].pk])
    page = client.get(url)
    assert page.status_code == 200
    form = page.context["form"]
    assert form["minutes"].value() == 30 and form["date"].value() == timezone.localdate()
    response = client.post(url, _session_post(program, START + dt.timedelta(days=1)))
    assert response.status_code == 302
    with tenant_context(program["side"].district):
        assert Attendance.objects.filter(status="present").count() == 3


def test_attendance_and_probe_scores_are_saved(program, login):
    plans = program["plans"]
    client = login(program["side"].intervention_specialist)
    data = _session_post(
        program,
        START + dt.timedelta(days=1),
        **{f"att_{plans[1].pk}": "student_absent", f"probe_{plans[0].pk}": "48.5"},
    )
    assert client.post(reverse("group_detail", args=[program["group"].pk]), data).status_code == 302
    with tenant_context(program["side"].district):
        assert Probe.objects.get(is_baseline=False).score == 48.5
        assert Attendance.objects.get(plan=plans[1]).status == "student_absent"


def test_a_bad_session_shows_field_messages_and_keeps_the_input(program, login):
    plans = program["plans"]
    client = login(program["side"].intervention_specialist)
    data = _session_post(
        program, START + dt.timedelta(days=1), minutes="600", note="kept note", **{f"probe_{plans[0].pk}": "51"}
    )
    response = client.post(reverse("group_detail", args=[program["group"].pk]), data)
    assert response.status_code == 200
    assert "minutes" in response.context["form"].errors
    body = response.content.decode()
    assert "kept note" in body and 'value="51"' in body
    with tenant_context(program["side"].district):
        assert not InterventionSession.objects.exists()


def test_a_duplicate_session_is_refused_with_a_friendly_message(program, login):
    client = login(program["side"].intervention_specialist)
    url = reverse("group_detail", args=[program["group"].pk])
    day = START + dt.timedelta(days=1)
    client.post(url, _session_post(program, day))
    response = client.post(url, _session_post(program, day))
    assert response.status_code == 200
    assert "already logged" in str(response.context["form"].errors["date"])


def test_log_this_week_from_the_page(program, login):
    client = login(program["side"].intervention_specialist)
    response = client.post(reverse("group_log_week", args=[program["group"].pk]), {"week_start": START.isoformat()})
    assert response.status_code == 302
    with tenant_context(program["side"].district):
        assert InterventionSession.objects.count() == 4


def test_only_the_provider_principal_or_admin_can_log(program, login):
    url = reverse("group_detail", args=[program["group"].pk])
    teacher = login(program["side"].teacher)
    assert teacher.get(url).status_code == 404  # not their group: looks missing
    principal = login(program["side"].principal)
    assert principal.post(url, _session_post(program, START + dt.timedelta(days=1))).status_code == 302


def test_the_plan_page_shows_the_graph_findings_and_takes_probes(program, login):
    plan = program["plans"][0]
    client = login(program["side"].intervention_specialist)
    url = reverse("plan_detail", args=[plan.pk])
    one = client.post(url, {"one-date": (START + dt.timedelta(days=7)).isoformat(), "one-score": "45"})
    assert one.status_code == 302
    bulk = client.post(
        url, {"bulk-lines": "\n".join(f"{(START + dt.timedelta(weeks=w)).isoformat()}, {44 + w}" for w in range(2, 8))}
    )
    assert bulk.status_code == 302
    page = client.get(url)
    body = page.content.decode()
    assert "<svg" in body and 'role="img"' in body
    assert body.count("<circle") >= 7
    result = page.context["result"]
    assert result.evaluation.roi is not None and result.evaluation.recommendation
    assert {f.rule for f in result.evaluation.findings} >= {"four_point", "trend", "fidelity"}
    assert result.policy_label == "loudon-county-tn@1"


def test_bulk_probe_lines_with_mistakes_name_the_line(program, login):
    plan = program["plans"][0]
    client = login(program["side"].intervention_specialist)
    response = client.post(reverse("plan_detail", args=[plan.pk]), {"bulk-lines": "2026-09-14, 45\nnot a date, 4"})
    assert response.status_code == 200
    assert "Line 2" in str(response.context["bulk_form"].errors)
    assert "not a date, 4" in response.content.decode()


def test_the_caseload_lists_the_specialists_plans_in_constant_queries(program, login):
    side = program["side"]
    client = login(side.intervention_specialist)
    with CaptureQueriesContext(connection) as few:
        response = client.get(reverse("caseload"))
    assert {row.plan.pk for row in response.context["rows"]} == {p.pk for p in program["plans"]}
    with tenant_context(side.district):
        for plan in program["plans"]:
            probes_add(
                district=side.district,
                actor=None,
                plan=plan,
                probes=[(START + dt.timedelta(weeks=w), 40 + w) for w in range(1, 6)],
            )
        # Another tier, area and grade: still one policy look-up for the page.
        from interventions.services import plan_create
        from tests import factories as f

        student = f.make_student(side.district, side.school, grade=4)
        plan_create(
            district=side.district,
            actor=None,
            student=student,
            area="reading",
            tier=3,
            intervention=program["intervention"],
            provider=side.intervention_specialist,
            start_date=START,
            expected_end_date=START + dt.timedelta(weeks=10),
            goal_measure="wrc",
            goal_target=70,
            goal_target_date=START + dt.timedelta(weeks=10),
            sessions_per_week=5,
            minutes_per_session=60,
        )
    with CaptureQueriesContext(connection) as more:
        client.get(reverse("caseload"))
    assert len(more) == len(few)


def test_the_caseload_sorts_and_filters(program, login):
    client = login(program["side"].intervention_specialist)
    rows = client.get(reverse("caseload"), {"sort": "next_probe", "flag": "overdue"}).context["rows"]
    assert all(row.probe_overdue for row in rows)
    assert client.get(reverse("caseload"), {"tier": 3}).context["rows"] == []


def test_a_teacher_sees_only_own_students_plans(program, login):
    from students.services import student_grant_access

    side = program["side"]
    with tenant_context(side.district):
        student_grant_access(district=side.district, user=side.teacher, student_ids=[program["plans"][1].student_id])
    rows = login(side.teacher).get(reverse("my_students")).context["rows"]
    assert [row.plan.pk for row in rows] == [program["plans"][1].pk]


def test_the_student_record_shows_the_plans(program, login):
    plan = program["plans"][0]
    response = login(program["side"].principal).get(reverse("student_detail", args=[plan.student_id]))
    assert [p.pk for p, _, _ in response.context["plans"]] == [plan.pk]


def test_the_group_page_shows_sessions_logged_by_an_import_or_a_job(program, login):
    from interventions.services import session_log

    side = program["side"]
    with tenant_context(side.district):
        session_log(
            district=side.district,
            actor=None,
            group=program["group"],
            date=START + dt.timedelta(days=1),
            minutes=30,
            attendance={},
        )
    response = login(side.intervention_specialist).get(reverse("group_detail", args=[program["group"].pk]))
    assert response.status_code == 200
    assert len(response.context["history"]) == 1


def test_a_specialist_creates_a_group_and_adds_a_plan_within_the_policy_limit(program, login):
    from interventions.models import InterventionGroup
    from interventions.services import plan_create
    from tests import factories as f

    side = program["side"]
    client = login(side.intervention_specialist)
    data = {
        "name": "Tier 3 decoding",
        "school": side.school.pk,
        "provider": side.intervention_specialist.pk,
        "area": "reading",
        "tier": 3,
        "intervention": program["intervention"].pk,
        "sessions_per_week": 5,
        "minutes_per_session": 60,
    }
    bad = client.post(reverse("group_list"), dict(data, minutes_per_session=600))
    assert bad.status_code == 200 and "minutes_per_session" in bad.context["form"].errors
    assert client.post(reverse("group_list"), data).status_code == 302
    with tenant_context(side.district):
        group = InterventionGroup.objects.get(name="Tier 3 decoding")
        students = [f.make_student(side.district, side.school) for _ in range(4)]
        plans = [
            plan_create(
                district=side.district,
                actor=None,
                student=s,
                area="reading",
                tier=3,
                intervention=program["intervention"],
                provider=side.intervention_specialist,
                start_date=START,
                expected_end_date=START + dt.timedelta(weeks=10),
                goal_measure="wrc",
                goal_target=70,
                goal_target_date=START + dt.timedelta(weeks=10),
                sessions_per_week=5,
                minutes_per_session=60,
            )[0]
            for s in students
        ]
    url = reverse("group_detail", args=[group.pk])
    for plan in plans[:3]:
        assert client.post(url, {"plan": plan.pk}).status_code == 302
    refused = client.post(url, {"plan": plans[3].pk})  # Loudon Tier III: at most 3 per group
    assert refused.status_code == 200
    assert "at most 3" in str(refused.context["member_form"].errors)
