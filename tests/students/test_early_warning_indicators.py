"""The early-warning computation (issue 17, item 2): set-based over the district, explained flags
with the numbers, recomputation clears what no longer fires, and the meeting agenda shows the flag.

Hand-computed: the factories' school year runs 2026-08-01 to 2027-06-30 and the students entered on
Saturday 2026-08-15, so from Monday 17 August to Wednesday 30 September there are 33 weekdays; Labor
Day (7 September) is a holiday: 32 instructional days.
"""

from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse
from django.utils import timezone

from interventions.meetings.services import agenda_build, meeting_create
from interventions.models import AgendaItem
from mtss.calendars.models import CalendarEvent
from mtss.models import SchoolYear
from mtss.tenancy import tenant_context
from students.early_warning.indicators import indicators_refresh
from students.early_warning.models import IncidentAction
from students.models import (
    AttendanceDay,
    BehaviorIncident,
    CourseGrade,
    EarlyWarningFlag,
    EarlyWarningSnapshot,
    IncidentType,
)

pytestmark = pytest.mark.django_db

AS_OF = dt.date(2026, 9, 30)
ABSENT = [dt.date(2026, 9, d) for d in (1, 2, 3, 4)]


def _setup(side):
    s1, s2, s3, _s4 = side.students
    district = side.district
    with tenant_context(district):
        CalendarEvent.objects.create(
            district=district,
            kind=CalendarEvent.Kind.HOLIDAY,
            name="Labor Day",
            start_date=dt.date(2026, 9, 7),
            end_date=dt.date(2026, 9, 7),
        )
        rows = [
            # s1: 4 absences on school days, one on Labor Day (not a school day: not counted).
            *[(s1, day, "absent_unexcused", 1) for day in ABSENT],
            (s1, dt.date(2026, 9, 7), "absent_unexcused", 1),
            # s2: 2 absences and two half days: 3 days of 32 = 9.4 %, below 10 %.
            (s2, ABSENT[0], "absent_excused", 1),
            (s2, ABSENT[1], "absent_unexcused", 1),
            (s2, ABSENT[2], "partial", 0.5),
            (s2, ABSENT[3], "partial", 0.5),
            # The last day recorded: the count runs to here.
            (s3, AS_OF, "present", 0),
        ]
        AttendanceDay.objects.bulk_create(
            AttendanceDay(district=district, student=s, school=s.school, date=day, status=status, absent_share=share)
            for s, day, status, share in rows
        )
        fight = IncidentType.objects.create(district=district, code="fight", name="Fighting")
        for n, (student, action) in enumerate(
            [(s3, IncidentAction.OFFICE_REFERRAL), (s3, IncidentAction.OFFICE_REFERRAL), (s2, IncidentAction.NONE)]
        ):
            BehaviorIncident.objects.create(
                district=district,
                student=student,
                school=student.school,
                occurred_on=dt.date(2026, 9, 10 + n),
                incident_type=fight,
                action=action,
                reference=f"I{n}",
            )
        year = SchoolYear.objects.get(district=district)
        for code, mark, points, failed in [("ALG1", "F", 0, True), ("ENG9", "B", 3, False)]:
            CourseGrade.objects.create(
                district=district,
                student=s2,
                school=s2.school,
                school_year=year,
                term="Q1",
                course_code=code,
                mark=mark,
                grade_points=points,
                failed=failed,
                credits_attempted=1,
            )


def _flags(side):
    with tenant_context(side.district):
        return {
            (f.student_id, f.indicator): f
            for f in EarlyWarningFlag.objects.filter(district=side.district).select_related("student")
        }


def test_it_flags_by_the_policy_and_explains_with_the_numbers(world):
    side = world.a
    s1, s2, s3, _ = side.students
    _setup(side)
    result = indicators_refresh(district=side.district, as_of=AS_OF)
    assert result.attendance_through == AS_OF
    assert result.students == 4
    flags = _flags(side)
    assert set(flags) == {(s1.pk, "attendance"), (s3.pk, "behavior"), (s2.pk, "course_performance")}
    attendance = flags[(s1.pk, "attendance")]
    assert attendance.explanation == (
        "missed 4 of 32 instructional days (12.5 %) through 2026-09-30; at or above the policy's 10 %"
    )
    assert attendance.numbers["days_missed"] == 4 and attendance.numbers["days_enrolled"] == 32
    assert attendance.status == EarlyWarningFlag.Status.OPEN
    assert flags[(s3.pk, "behavior")].explanation == (
        "2 office referrals (policy: 2 or more) from 2026-08-01 to 2026-09-30"
    )
    course = flags[(s2.pk, "course_performance")]
    assert course.explanation.startswith("failing 1 of 2 courses (ALG1; policy: 1 or more)")
    assert "grade point average 1.50 (policy: 2.00 or lower)" in course.explanation
    # The other district's data is not touched (and it has none).
    assert _flags(world.b) == {}
    with tenant_context(side.district):
        snapshot = EarlyWarningSnapshot.objects.get(
            district=side.district, school=side.school, indicator="attendance", computed_on=AS_OF
        )
    assert (snapshot.flagged, snapshot.enrolled) == (1, 3)


def test_a_recomputation_clears_what_no_longer_fires_and_keeps_the_teams_decision(world):
    side = world.a
    s1, s2, s3, _ = side.students
    _setup(side)
    indicators_refresh(district=side.district, as_of=AS_OF)
    with tenant_context(side.district):
        EarlyWarningFlag.objects.filter(student=s3).update(status=EarlyWarningFlag.Status.DISMISSED)
        # The SIS corrects two of s1's absences to present: 2 of 32 = 6.3 %.
        AttendanceDay.objects.filter(student=s1, date__in=ABSENT[:2]).update(status="present", absent_share=0)
    result = indicators_refresh(district=side.district, as_of=AS_OF)
    assert result.cleared == 1
    flags = _flags(side)
    assert flags[(s1.pk, "attendance")].status == EarlyWarningFlag.Status.CLEARED
    assert flags[(s1.pk, "attendance")].cleared_on == AS_OF
    assert flags[(s3.pk, "behavior")].status == EarlyWarningFlag.Status.DISMISSED
    # Absent again: the flag reopens for the team.
    with tenant_context(side.district):
        AttendanceDay.objects.filter(student=s1, date__in=ABSENT[:2]).update(status="absent_unexcused", absent_share=1)
    indicators_refresh(district=side.district, as_of=AS_OF)
    assert _flags(side)[(s1.pk, "attendance")].status == EarlyWarningFlag.Status.OPEN


def test_the_policy_threshold_decides(world):
    from mtss.policy import preset_data
    from mtss.services import policy_version_create

    side = world.a
    s1, s2, *_ = side.students
    _setup(side)
    data = preset_data("loudon-county-tn")
    data["early_warning"] = {"attendance": {"percent_missed": 9.0}}
    with tenant_context(side.district):
        policy_version_create(
            district=side.district, actor=None, data=data, effective_from=dt.date(2026, 8, 1), note="test"
        )
    indicators_refresh(district=side.district, as_of=AS_OF)
    flags = _flags(side)
    # s2: 3 of 32 = 9.4 %, now at or above 9 %.
    assert "missed 3 of 32 instructional days (9.4 %)" in flags[(s2.pk, "attendance")].explanation


def test_the_meeting_agenda_shows_the_attendance_flag_with_its_reason_and_numbers(world, login):
    side = world.a
    s1 = side.students[0]
    _setup(side)
    indicators_refresh(district=side.district, as_of=AS_OF)
    with tenant_context(side.district):
        meeting = meeting_create(
            district=side.district,
            actor=side.principal,
            school=side.school,
            team_type="s_team",
            starts_at=timezone.make_aware(dt.datetime(2026, 10, 1, 15, 0)),
        )[0]
        agenda_build(district=side.district, actor=side.principal, meeting=meeting)
        item = AgendaItem.objects.get(meeting=meeting, student=s1)
    (reason,) = [r for r in item.reasons if r["code"] == "early_warning_attendance"]
    assert reason["text"] == (
        "Early warning, chronic absence: missed 4 of 32 instructional days (12.5 %) through 2026-09-30; "
        "at or above the policy's 10 %."
    )
    page = login(side.principal).get(reverse("meeting_detail", args=[meeting.pk]))
    assert page.status_code == 200
    assert "missed 4 of 32 instructional days (12.5 %)" in page.content.decode()
