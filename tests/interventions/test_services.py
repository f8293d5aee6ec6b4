"""Plans, groups, session logs and probes: validation, policy checks, audit trail."""

import datetime as dt

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

from interventions.models import Attendance, InterventionSession, Plan, PlanPhase, Probe, TierPlacement
from interventions.selectors import plan_result
from interventions.services import (
    group_add_plan,
    group_log_week,
    plan_change_phase,
    plan_create,
    probes_add,
    session_delete,
    session_log,
    session_update,
)
from mtss.models import AuditEvent
from mtss.tenancy import tenant_context
from tests import factories as f
from tests.program import START

pytestmark = pytest.mark.django_db


def _in(side):
    return tenant_context(side.district)


def test_a_plan_opens_a_placement_and_phase_one(program):
    side, plan = program["side"], program["plans"][0]
    with _in(side):
        assert TierPlacement.objects.get(student=plan.student, end_date__isnull=True).tier == 2
        assert PlanPhase.objects.get(plan=plan).number == 1
        assert Probe.objects.filter(plan=plan, is_baseline=True).count() == 3


def test_a_plan_says_where_dosage_falls_short_of_the_policy(program):
    side = program["side"]
    with _in(side):
        _, warnings = plan_create(
            district=side.district,
            actor=None,
            student=side.students[3],
            area="reading",
            tier=3,
            intervention=program["intervention"],
            provider=side.district_admin,
            start_date=START,
            expected_end_date=START + dt.timedelta(weeks=10),
            goal_measure="maze",
            goal_target=20,
            goal_target_date=START + dt.timedelta(weeks=10),
            sessions_per_week=3,
            minutes_per_session=30,
        )
    # Loudon Tier III: 60 minutes, 5 sessions a week (002_...).
    assert len(warnings) == 2
    assert "5 sessions a week" in warnings[0] and "this schedule gives 3" in warnings[0]
    assert "60 minutes" in warnings[1]


def test_the_group_size_limit_comes_from_the_policy(program):
    side, group = program["side"], program["group"]
    with _in(side):
        extra = [f.make_student(side.district, side.school) for _ in range(3)]
        added = 0
        with pytest.raises(ValidationError) as caught:
            for student in extra:
                plan, _ = plan_create(
                    district=side.district,
                    actor=None,
                    student=student,
                    area="reading",
                    tier=2,
                    intervention=program["intervention"],
                    provider=side.intervention_specialist,
                    start_date=START,
                    expected_end_date=START + dt.timedelta(weeks=8),
                    goal_measure="wrc",
                    goal_target=80,
                    goal_target_date=START + dt.timedelta(weeks=8),
                    sessions_per_week=4,
                    minutes_per_session=30,
                )
                group_add_plan(district=side.district, actor=None, group=group, plan=plan)
                added += 1
    assert added == 2  # Loudon: "maximum of 5 students per group" in Tier II
    assert "at most 5" in str(caught.value)


def test_a_provider_from_another_school_is_refused(program):
    side = program["side"]
    with _in(side):
        outsider = f.make_member(side.district, "intervention_specialist", schools=[side.other_school])
        with pytest.raises(ValidationError) as caught:
            plan_create(
                district=side.district,
                actor=None,
                student=side.students[0],
                area="reading",
                tier=2,
                intervention=program["intervention"],
                provider=outsider,
                start_date=START,
                expected_end_date=START + dt.timedelta(weeks=8),
                goal_measure="wrc",
                goal_target=80,
                goal_target_date=START + dt.timedelta(weeks=8),
                sessions_per_week=4,
                minutes_per_session=30,
            )
    assert "does not work at" in str(caught.value.message_dict["provider"])


def test_logging_a_session_records_attendance_and_probes(program):
    side, group, plans = program["side"], program["group"], program["plans"]
    with _in(side):
        session = session_log(
            district=side.district,
            actor=side.intervention_specialist,
            group=group,
            date=START + dt.timedelta(days=1),
            minutes=30,
            attendance={plans[1].pk: "student_absent"},
            probe_scores={plans[0].pk: "47"},
        )
        statuses = dict(Attendance.objects.filter(session=session).values_list("plan_id", "status"))
        assert statuses == {plans[0].pk: "present", plans[1].pk: "student_absent", plans[2].pk: "present"}
        assert Probe.objects.get(session=session).score == 47


@pytest.mark.parametrize(
    "kwargs, field",
    [
        ({"minutes": 0}, "minutes"),
        ({"minutes": 600}, "minutes"),
        ({"date": dt.date(2099, 1, 1)}, "date"),
        ({"date": START - dt.timedelta(days=7)}, "date"),
        ({"probe_scores": {"STRANGER": 5}}, "attendance"),
    ],
)
def test_bad_session_input_names_the_field_and_saves_nothing(program, kwargs, field):
    side, group = program["side"], program["group"]
    args = {"date": START + dt.timedelta(days=1), "minutes": 30, "attendance": {}}
    args.update(kwargs)
    if args.get("probe_scores") == {"STRANGER": 5}:
        args["probe_scores"] = {side.students[3].pk * 1000: 5}
    with _in(side):
        with pytest.raises(ValidationError) as caught:
            session_log(district=side.district, actor=None, group=group, **args)
        assert field in caught.value.message_dict
        assert InterventionSession.objects.count() == 0


def test_a_probe_for_an_absent_student_is_refused(program):
    side, group, plans = program["side"], program["group"], program["plans"]
    with _in(side):
        with pytest.raises(ValidationError) as caught:
            session_log(
                district=side.district,
                actor=None,
                group=group,
                date=START + dt.timedelta(days=1),
                minutes=30,
                attendance={plans[0].pk: "student_absent"},
                probe_scores={plans[0].pk: 50},
            )
    assert "not present" in str(caught.value.message_dict["probes"])


def test_a_cancelled_session_may_have_zero_minutes(program):
    side, group, plans = program["side"], program["group"], program["plans"]
    with _in(side):
        session = session_log(
            district=side.district,
            actor=None,
            group=group,
            date=START + dt.timedelta(days=2),
            minutes=0,
            attendance={p.pk: "cancelled" for p in plans},
        )
    assert session.minutes == 0


def test_a_duplicate_session_gets_a_friendly_message_and_the_database_refuses_it_too(program):
    side, group = program["side"], program["group"]
    day = START + dt.timedelta(days=1)
    with _in(side):
        session_log(
            district=side.district, actor=side.intervention_specialist, group=group, date=day, minutes=30, attendance={}
        )
        with pytest.raises(ValidationError) as caught:
            session_log(
                district=side.district, actor=side.district_admin, group=group, date=day, minutes=30, attendance={}
            )
        assert "already logged" in str(caught.value.message_dict["date"])
        with pytest.raises(IntegrityError), transaction.atomic():
            InterventionSession.objects.create(
                district=side.district, group=group, provider=group.provider, date=day, minutes=30
            )


def test_edits_and_deletions_keep_an_audit_trail(program):
    side, group, plans = program["side"], program["group"], program["plans"]
    with _in(side):
        session = session_log(
            district=side.district,
            actor=None,
            group=group,
            date=START + dt.timedelta(days=1),
            minutes=30,
            attendance={},
            probe_scores={plans[0].pk: 45},
        )
        session_update(
            district=side.district,
            actor=side.district_admin,
            session=session,
            minutes=25,
            attendance={plans[2].pk: "student_absent"},
            note="fire drill",
        )
        update = AuditEvent.objects.get(verb="session.update")
        assert update.changes["before"]["minutes"] == 30 and update.changes["after"]["minutes"] == 25
        assert update.changes["after"]["attendance"][str(plans[2].pk)] == "student_absent"
        with pytest.raises(ValidationError):
            session_delete(district=side.district, actor=side.district_admin, session=session, reason=" ")
        session_delete(district=side.district, actor=side.district_admin, session=session, reason="wrong group")
        deleted = AuditEvent.objects.get(verb="session.delete")
        assert deleted.changes["minutes"] == 25 and deleted.changes["reason"] == "wrong group"
        assert deleted.changes["probes"] == [[plans[0].pk, 45.0]]
        assert not InterventionSession.objects.exists() and not Probe.objects.filter(is_baseline=False).exists()


def test_log_this_week_fills_the_scheduled_days_once(program):
    side, group = program["side"], program["group"]
    with _in(side):
        first = group_log_week(district=side.district, actor=None, group=group, week_start=START + dt.timedelta(days=2))
        again = group_log_week(district=side.district, actor=None, group=group, week_start=START)
    assert [s.date.weekday() for s in first] == [0, 1, 2, 3]  # four sessions a week, Monday to Thursday
    assert again == []


def test_probes_in_bulk_are_all_checked_before_any_is_saved(program):
    side, plan = program["side"], program["plans"][0]
    with _in(side):
        with pytest.raises(ValidationError) as caught:
            probes_add(
                district=side.district,
                actor=None,
                plan=plan,
                probes=[(START + dt.timedelta(days=7), 45), (dt.date(2099, 1, 1), 50), (START, "abc")],
            )
        messages = caught.value.message_dict["probes"]
        assert any("line 2" in m and "future" in m for m in messages)
        assert any("line 3" in m and "not a number" in m for m in messages)
        assert Probe.objects.filter(is_baseline=False).count() == 0


def test_a_phase_change_is_evaluated_on_its_own(program):
    side, plan = program["side"], program["plans"][0]
    with _in(side):
        probes_add(
            district=side.district,
            actor=None,
            plan=plan,
            probes=[(START + dt.timedelta(weeks=w), 42 + w) for w in range(1, 7)],
        )
        plan_change_phase(
            district=side.district,
            actor=None,
            plan=plan,
            start_date=START + dt.timedelta(weeks=7),
            reason="switch to a more intensive program",
            goal_target=95,
        )
        result = plan_result(
            district=side.district,
            plan=Plan.objects.select_related("student", "placement").get(pk=plan.pk),
            as_of=START + dt.timedelta(weeks=8),
        )
    assert result.phase.number == 2
    assert result.case.start == START + dt.timedelta(weeks=7)
    assert result.evaluation.baseline == 47  # median of the last three points before the new phase (46, 47, 48)
    assert result.policy_label == "loudon-county-tn@1"
