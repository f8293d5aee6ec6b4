"""“My day”: each role's home page (reports/my_day.py, issue 14 item 3), the groups that meet
today (interventions.selectors.groups_on), the one-click log, and a query count that does not
grow with the data."""

from __future__ import annotations

import datetime as dt
from html import unescape

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from interventions.meetings.selectors import open_tasks_for
from interventions.meetings.services import meeting_create
from interventions.models import ActionItem, InterventionGroup, InterventionSession, TierPlacement
from interventions.selectors import cycle_meeting_days, groups_on, needing_plan
from interventions.services import group_create, session_log
from mtss.calendars.models import DayCycle
from mtss.calendars.services import calendar_event_create
from mtss.models import AccessLog, SchoolYear
from mtss.tenancy import tenant_context
from notifications.models import NoticeStatus
from reports.my_day import my_day
from students.models import ImportRun
from tests import factories as f
from tests.notifications.helpers import sample_notice
from tests.program import START

WEDNESDAY = START + dt.timedelta(weeks=4, days=2)  # 2026-10-07: the group meets Monday to Thursday
FRIDAY = WEDNESDAY + dt.timedelta(days=2)


@pytest.fixture
def on_wednesday(monkeypatch):
    monkeypatch.setattr(timezone, "localdate", lambda *args, **kwargs: WEDNESDAY)
    return WEDNESDAY


def _member(side, role):
    return f.membership_of(side.users[role], side.district)


def _day(side, role, today=WEDNESDAY):
    with tenant_context(side.district):
        return my_day(district=side.district, membership=_member(side, role), today=today)


def _notice(district, student, period_key="sample"):
    return sample_notice(
        district=district,
        student=student,
        letter_type="placement_start",
        language="en",
        period_key=period_key,
        save=True,
    )


# --- selectors -------------------------------------------------------------------------------


def test_a_group_meets_on_its_weekdays_on_school_days_only(program):
    side, group = program["side"], program["group"]
    with tenant_context(side.district):
        (wednesday,) = groups_on(district=side.district, groups=[group], day=WEDNESDAY)
        (friday,) = groups_on(district=side.district, groups=[group], day=FRIDAY)
        assert wednesday.meets and not wednesday.logged
        assert not friday.meets  # four sessions a week: Monday to Thursday
        calendar_event_create(
            district=side.district,
            actor=None,
            kind="holiday",
            name="Fall day",
            start_date=WEDNESDAY,
            end_date=WEDNESDAY,
        )
        (closed,) = groups_on(district=side.district, groups=[group], day=WEDNESDAY)
        assert closed.school_closed and not closed.meets


def test_a_group_with_meeting_days_meets_on_those(program):
    side, group = program["side"], program["group"]
    with tenant_context(side.district):
        InterventionGroup.objects.filter(pk=group.pk).update(meeting_days=[4])  # Fridays only
        group.refresh_from_db()
        assert [d.meets for d in groups_on(district=side.district, groups=[group], day=WEDNESDAY)] == [False]
        assert [d.meets for d in groups_on(district=side.district, groups=[group], day=FRIDAY)] == [True]


def test_a_group_dosed_per_day_cycle_meets_on_its_cycle_days(program):
    assert cycle_meeting_days(3, 6) == {1, 3, 5}
    assert cycle_meeting_days(2, 6) == {1, 4}
    side = program["side"]
    with tenant_context(side.district):
        year = SchoolYear.objects.get(district=side.district, name="2026-2027")  # the world's
        # Cycle day 1 on Monday START: the Wednesday four weeks on is instructional day 23, cycle day 5.
        DayCycle.objects.create(district=side.district, school_year=year, length=6, first_day=START)
        group = group_create(
            district=side.district,
            actor=side.district_admin,
            school=side.school,
            provider=side.intervention_specialist,
            name="Cycle group",
            area="math",
            tier=2,
            sessions_per_cycle=3,
            cycle_days=6,
            minutes_per_session=30,
        )
        rows = {d: groups_on(district=side.district, groups=[group], day=d)[0].meets for d in (WEDNESDAY, FRIDAY)}
    assert rows == {WEDNESDAY: True, FRIDAY: True}  # cycle days 5 and 1
    with tenant_context(side.district):
        thursday = WEDNESDAY + dt.timedelta(days=1)  # cycle day 6
        assert not groups_on(district=side.district, groups=[group], day=thursday)[0].meets


def test_needing_plan_lists_placements_without_an_active_plan(program):
    side = program["side"]
    with tenant_context(side.district):
        math = TierPlacement.objects.create(
            district=side.district, student=side.students[0], area="math", tier=2, start_date=START
        )
        rows = list(needing_plan(district=side.district, membership=_member(side, "intervention_specialist")))
        assert [(p.student_id, p.area) for p in rows] == [(side.students[0].pk, "math")]  # reading has its plan
        assert rows[0].placement_id == math.pk
        assert list(needing_plan(district=side.district, membership=_member(side, "teacher"))) == []  # not theirs


def test_open_tasks_are_the_users_not_done_ones_by_due_date(program):
    side = program["side"]
    specialist = side.intervention_specialist
    with tenant_context(side.district):
        meeting = meeting_create(
            district=side.district, actor=None, school=side.school, team_type="s_team", starts_at=timezone.now()
        )[0]
        later = ActionItem.objects.create(
            district=side.district, meeting=meeting, description="Call home", owner=specialist, due_date=FRIDAY
        )
        sooner = ActionItem.objects.create(
            district=side.district, meeting=meeting, description="Probe", owner=specialist, due_date=WEDNESDAY
        )
        ActionItem.objects.create(
            district=side.district,
            meeting=meeting,
            description="Done",
            owner=specialist,
            due_date=START,
            done_at=timezone.now(),
        )
        ActionItem.objects.create(
            district=side.district, meeting=meeting, description="Not mine", owner=side.principal, due_date=START
        )
        assert list(open_tasks_for(district=side.district, user=specialist)) == [sooner, later]


# --- each role's day ---------------------------------------------------------------------------


def test_a_specialists_day(program):
    side = program["side"]
    day = _day(side, "intervention_specialist")
    assert [d.group.pk for d in day.groups] == [program["group"].pk]
    assert not day.groups[0].logged
    # No progress probe since the plans started four weeks ago: all three are overdue.
    assert {r.plan.pk for r in day.probes_due.rows} == {p.pk for p in program["plans"]}
    assert {r.kind: r.count for r in day.reminders}["overdue_probes"] == 3
    assert day.needing_plan.total == 0
    assert day.fidelity_exceptions is None and day.imports is None and day.in_intervention is None
    with tenant_context(side.district):
        session_log(
            district=side.district,
            actor=side.intervention_specialist,
            group=program["group"],
            date=START + dt.timedelta(weeks=4),
            minutes=30,
            attendance={},
        )
    assert _day(side, "intervention_specialist", today=FRIDAY).groups == []  # Friday: no group meets


def test_a_principals_day(program):
    side = program["side"]
    with tenant_context(side.district):
        meeting_create(
            district=side.district,
            actor=None,
            school=side.school,
            team_type="s_team",
            starts_at=timezone.make_aware(dt.datetime.combine(WEDNESDAY + dt.timedelta(days=1), dt.time(9))),
        )
    day = _day(side, "principal")
    assert day.groups is None and day.probes_due is None
    # No session logged in four weeks: every plan is below the fidelity threshold.
    assert {r.plan.pk for r in day.fidelity_exceptions.rows} == {p.pk for p in program["plans"]}
    assert day.meetings.total == 1
    assert day.overdue_reviews is not None


def test_a_teachers_day_lists_their_students_in_intervention(program):
    from students.services import student_grant_access

    side = program["side"]
    with tenant_context(side.district):
        student_grant_access(district=side.district, user=side.teacher, student_ids=[side.students[0].pk])
    day = _day(side, "teacher")
    assert [student.pk for student, _rows in day.in_intervention.rows] == [side.students[0].pk]
    assert day.groups is None and day.fidelity_exceptions is None


def test_a_district_admins_day(program):
    side = program["side"]
    with tenant_context(side.district):
        ImportRun.objects.create(
            district=side.district,
            kind="scores",
            format="csv",
            file_name="fall.csv",
            started_at=timezone.now(),
            status="partial",
            error_count=2,
        )
        failed = _notice(side.district, side.students[0])
        type(failed).objects.filter(pk=failed.pk).update(status=NoticeStatus.FAILED)
        _notice(side.district, side.students[1], period_key="other")  # has an address: fine
    day = _day(side, "district_admin")
    assert [n.pk for n in day.notices.rows] == [failed.pk]
    assert [r.file_name for r in day.imports] == ["fall.csv"]
    assert len(day.policy_versions) == 1 and day.policy_current_id == day.policy_versions[0].pk
    assert day.groups is None and day.fidelity_exceptions is None


# --- the page ------------------------------------------------------------------------------------


def test_the_home_page_shows_todays_group_and_logs_it_in_one_click(program, login, on_wednesday):
    side, group = program["side"], program["group"]
    client = login(side.intervention_specialist)
    body = unescape(client.get(reverse("home")).content.decode())
    assert "Today's groups" in body and group.name in body
    log_url = reverse("group_log_today", kwargs={"group_id": group.pk})
    assert log_url in body
    response = client.post(log_url, follow=True)
    assert response.redirect_chain[-1][0] == reverse("home")
    assert "today's session logged, everyone present" in unescape(response.content.decode())
    with tenant_context(side.district):
        session = InterventionSession.objects.get(district=side.district, group=group, date=WEDNESDAY)
        assert session.minutes == 30 and session.attendance.count() == 3
    assert reverse("session_edit", kwargs={"session_id": session.pk}) in response.content.decode()
    # A second click logs nothing twice.
    again = client.post(log_url, follow=True).content.decode()
    assert "already logged" in again
    with tenant_context(side.district):
        assert InterventionSession.objects.filter(district=side.district, group=group, date=WEDNESDAY).count() == 1


def test_log_today_is_post_only_and_not_for_other_districts(program, world, login, on_wednesday):
    group = program["group"]
    url = reverse("group_log_today", kwargs={"group_id": group.pk})
    assert login(program["side"].intervention_specialist).get(url).status_code == 405
    assert login(world.b.intervention_specialist).post(url).status_code == 404
    assert login(program["side"].teacher).post(url).status_code == 404


def test_the_group_list_says_which_groups_meet_today(program, login, on_wednesday):
    body = login(program["side"].intervention_specialist).get(reverse("group_list")).content.decode()
    assert "Meets today" in body and "not logged yet" in body


def test_the_home_page_logs_the_students_it_names(program, login, on_wednesday):
    side = program["side"]
    login(side.intervention_specialist).get(reverse("home"))
    with tenant_context(side.district):
        entry = AccessLog.objects.get(district=side.district, what="my day")
    assert set(entry.student_ids) == {p.student_id for p in program["plans"]}


@pytest.mark.parametrize("role", ["intervention_specialist", "principal", "teacher", "district_admin"])
def test_the_home_page_runs_a_fixed_number_of_queries(program, login, on_wednesday, role):
    from students.services import student_grant_access

    side = program["side"]
    with tenant_context(side.district):  # the small size already has a plan in every list
        student_grant_access(district=side.district, user=side.teacher, student_ids=[side.students[0].pk])
    client = login(side.users[role])
    client.get(reverse("home"))  # warm the per-process caches (policy document)
    with CaptureQueriesContext(connection) as small:
        assert client.get(reverse("home")).status_code == 200
    _grow(program)
    with CaptureQueriesContext(connection) as large:
        assert client.get(reverse("home")).status_code == 200
    assert len(large.captured_queries) == len(small.captured_queries), "\n".join(
        q["sql"][:300] for q in large.captured_queries
    )


def _grow(program):
    """More of everything a home page lists: groups, plans, placements without plans, tasks, notices."""
    from interventions.services import plan_create
    from students.services import student_grant_access

    side = program["side"]
    with tenant_context(side.district):
        meeting = meeting_create(
            district=side.district, actor=None, school=side.school, team_type="s_team", starts_at=timezone.now()
        )[0]
        for i in range(4):
            student = f.make_student(side.district, side.school, last_name=f"Grow{i}")
            student_grant_access(district=side.district, user=side.teacher, student_ids=[student.pk])
            group = group_create(
                district=side.district,
                actor=side.district_admin,
                school=side.school,
                provider=side.intervention_specialist,
                name=f"Group {i}",
                area="reading",
                tier=2,
                sessions_per_week=4,
                minutes_per_session=30,
            )
            plan_create(
                district=side.district,
                actor=side.intervention_specialist,
                student=student,
                area="reading",
                tier=2,
                intervention=program["intervention"],
                provider=side.intervention_specialist,
                group=group,
                start_date=START,
                expected_end_date=START + dt.timedelta(weeks=12),
                goal_measure="R-CBM WRC",
                goal_target=90,
                goal_target_date=START + dt.timedelta(weeks=12),
                sessions_per_week=4,
                minutes_per_session=30,
            )
            TierPlacement.objects.create(district=side.district, student=student, area="math", tier=2, start_date=START)
            for owner in (side.intervention_specialist, side.principal, side.teacher, side.district_admin):
                ActionItem.objects.create(
                    district=side.district, meeting=meeting, description=f"Task {i}", owner=owner, due_date=FRIDAY
                )
            failed = _notice(side.district, student, period_key=f"grow-{i}")
            type(failed).objects.filter(pk=failed.pk).update(status=NoticeStatus.FAILED)
