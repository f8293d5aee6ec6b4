"""Demo attendance, behaviour incidents and course grades (issue 17, item 6), set-based.

The school year to date of every demo district, with rates in the range public reports give
(README, "Early warning"): about a quarter of students chronically absent (US Department of
Education, chronic absenteeism 2021-22 to 2022-23: 25 to 28 %), a few percent with two or more
office referrals or a suspension, and 5 to 10 % of secondary students failing a course.

Generated in Python from a seeded random stream (deterministic), written through a staging
table and one INSERT ... SELECT per table (COPY on PostgreSQL), never a query per student.
Attendance is stored as exceptions only (absences, tardies, partial days), the way many
student information systems keep daily attendance. The indicators are then computed at
each month's end so the dashboard's trend has points, and once for `as_of`.
"""

from __future__ import annotations

import datetime as dt
import random
import zlib

from mtss.calendars.selectors import non_instructional_by_school
from mtss.models import District, SchoolYear
from students.early_warning.indicators import indicators_refresh, school_year_for
from students.early_warning.models import AttendanceStatus, IncidentAction, IncidentType
from students.early_warning.staging import Stage, execute
from students.models import Student

INCIDENT_TYPES = [
    ("disruption", "Disruption"),
    ("defiance", "Defiance or disrespect"),
    ("fighting", "Fighting"),
    ("bullying", "Bullying or harassment"),
    ("property", "Property damage"),
    ("substance", "Tobacco, vaping or other substances"),
]
LOCATIONS = ["Classroom", "Hallway", "Cafeteria", "Playground", "Bus", "Restroom", "Gym"]
COURSES = [
    ("ENG", "English"),
    ("MATH", "Mathematics"),
    ("SCI", "Science"),
    ("SOC", "Social studies"),
    ("PE", "Physical education"),
    ("ELEC", "Elective"),
]
MARKS = [("A", 4.0), ("B", 3.0), ("C", 2.0), ("D", 1.0), ("F", 0.0)]


def _absence_rate(rng: random.Random) -> float:
    """A student's share of days absent: most miss a few days, a long tail misses many."""
    roll = rng.random()
    if roll < 0.77:
        return rng.uniform(0.0, 0.08)
    if roll < 0.94:
        return rng.uniform(0.10, 0.20)
    return rng.uniform(0.20, 0.40)


def _school_days(district: District, year: SchoolYear, as_of: dt.date, school_ids: list[int]) -> dict[int, list]:
    off = non_instructional_by_school(district=district, school_ids=school_ids, start=year.start_date, end=as_of)
    days: dict[int, list[dt.date]] = {}
    for school_id in school_ids:
        day, found = year.start_date, []
        while day <= as_of:
            if day.weekday() < 5 and day not in off[school_id]:
                found.append(day)
            day += dt.timedelta(days=1)
        days[school_id] = found
    return days


def seed_early_warning_records(*, district: District, as_of: dt.date) -> dict:
    """The school year to date of daily attendance exceptions, incidents and course grades."""
    year = school_year_for(district=district, as_of=as_of)
    if year is None:
        return {}
    as_of = min(as_of, year.end_date)
    rng = random.Random(zlib.crc32(district.slug.encode()))
    students = list(
        Student.objects.filter(district=district, exit_date__isnull=True)
        .order_by("pk")
        .values_list("pk", "school_id", "grade", "entry_date")
    )
    days = _school_days(district, year, as_of, sorted({s[1] for s in students}))
    types = []
    for code, name in INCIDENT_TYPES:
        kind, _new = IncidentType.objects.get_or_create(district=district, code=code, defaults={"name": name})
        types.append(kind.pk)

    attendance = Stage(
        "demo_attendance",
        [
            ("student_id", "bigint"),
            ("school_id", "bigint"),
            ("day", "date"),
            ("status", "varchar(20)"),
            ("share", "numeric(3,2)"),
        ],
    )
    incidents = Stage(
        "demo_incidents",
        [
            ("reference", "varchar(100)"),
            ("student_id", "bigint"),
            ("school_id", "bigint"),
            ("day", "date"),
            ("type_id", "bigint"),
            ("location", "varchar(100)"),
            ("action", "varchar(30)"),
            ("suspension_days", "numeric(4,1)"),
        ],
    )
    grades = Stage(
        "demo_grades",
        [
            ("student_id", "bigint"),
            ("school_id", "bigint"),
            ("term", "varchar(40)"),
            ("course", "varchar(40)"),
            ("name", "varchar(200)"),
            ("mark", "varchar(10)"),
            ("points", "numeric(3,2)"),
            ("failed", "boolean"),
        ],
    )
    counts = {"attendance_days": 0, "incidents": 0, "course_grades": 0}
    terms = [("Q1", year.start_date + dt.timedelta(weeks=9))]
    if as_of >= year.start_date + dt.timedelta(weeks=18):
        terms.append(("Q2", year.start_date + dt.timedelta(weeks=18)))
    with attendance, incidents, grades:
        for student_id, school_id, grade, entry in students:
            school_days = [d for d in days[school_id] if d >= entry]
            rate = _absence_rate(rng)
            for day in school_days:
                roll = rng.random()
                if roll < rate:
                    status = (
                        AttendanceStatus.ABSENT_EXCUSED if rng.random() < 0.45 else AttendanceStatus.ABSENT_UNEXCUSED
                    )
                    attendance.add((student_id, school_id, day, status, 1))
                elif roll < rate + 0.03:
                    attendance.add((student_id, school_id, day, AttendanceStatus.TARDY, 0))
                elif roll < rate + 0.035:
                    attendance.add((student_id, school_id, day, AttendanceStatus.PARTIAL, 0.5))
            # Behaviour: most students none; older students a little more often.
            risk = 0.04 + 0.01 * max(0, grade - 5) + (0.08 if rate > 0.15 else 0)
            n = 0
            while school_days and rng.random() < risk and n < 6:
                n += 1
                roll = rng.random()
                action = (
                    IncidentAction.NONE
                    if roll < 0.35
                    else IncidentAction.OFFICE_REFERRAL
                    if roll < 0.85
                    else IncidentAction.IN_SCHOOL_SUSPENSION
                    if roll < 0.95
                    else IncidentAction.OUT_OF_SCHOOL_SUSPENSION
                )
                suspended = (
                    rng.choice([1, 1, 2, 3])
                    if action in (IncidentAction.IN_SCHOOL_SUSPENSION, IncidentAction.OUT_OF_SCHOOL_SUSPENSION)
                    else 0
                )
                incidents.add(
                    (
                        f"demo-{student_id}-{n}",
                        student_id,
                        school_id,
                        rng.choice(school_days),
                        rng.choice(types),
                        rng.choice(LOCATIONS),
                        action,
                        suspended,
                    )
                )
            # Course grades: secondary grades only (elementary report cards are standards-based).
            if grade >= 6:
                ability = rng.gauss(3.0, 0.6) - (0.6 if rate > 0.15 else 0)
                for term, ends in terms:
                    if ends > as_of:
                        continue
                    for code, name in COURSES:
                        points = max(0.0, min(4.0, round(ability + rng.gauss(0, 0.6))))
                        mark, value = next(m for m in MARKS if m[1] <= points)
                        grades.add(
                            (student_id, school_id, term, f"{code}{grade}", f"{name} {grade}", mark, value, mark == "F")
                        )
        for stage in (attendance, incidents, grades):
            stage.done()
        counts["attendance_days"] = execute(
            """INSERT INTO students_attendanceday (district_id, student_id, school_id, date, status, absent_share)
               SELECT %s, student_id, school_id, day, status, share FROM demo_attendance WHERE true
               ON CONFLICT (district_id, student_id, date) DO NOTHING""",
            [district.pk],
        )
        counts["incidents"] = execute(
            """INSERT INTO students_behaviorincident (district_id, reference, student_id, school_id, occurred_on,
                   incident_type_id, location, action, suspension_days)
               SELECT %s, reference, student_id, school_id, day, type_id, location, action, suspension_days
               FROM demo_incidents WHERE true ON CONFLICT (district_id, reference) DO NOTHING""",
            [district.pk],
        )
        counts["course_grades"] = execute(
            """INSERT INTO students_coursegrade (district_id, student_id, school_id, school_year_id, term,
                   course_code, course_name, mark, grade_points, failed, credits_attempted, credits_earned)
               SELECT %s, student_id, school_id, %s, term, course, name, mark, points, failed, 0.25,
                   CASE WHEN failed THEN 0 ELSE 0.25 END
               FROM demo_grades WHERE true
               ON CONFLICT (district_id, student_id, school_year_id, term, course_code) DO NOTHING""",
            [district.pk, year.pk],
        )
    return counts


def seed_early_warning_flags(*, district: District, as_of: dt.date) -> dict:
    """The indicators at each month's end so far (the dashboard's trend), then at `as_of`.

    Run after `seed_early_warning_records` has been committed and analysed: the computation
    aggregates the year's records, and the planner needs their statistics (demo/districts.py).
    """
    year = school_year_for(district=district, as_of=as_of)
    if year is None:
        return {}
    as_of = min(as_of, year.end_date)
    day = dt.date(year.start_date.year, year.start_date.month, 1)
    while True:
        day = (day.replace(day=28) + dt.timedelta(days=4)).replace(day=1)  # the next month's first day
        month_end = day - dt.timedelta(days=1)
        if month_end >= as_of:
            break
        indicators_refresh(district=district, as_of=month_end)
    result = indicators_refresh(district=district, as_of=as_of)
    return {"early_warning_flags": sum(result.flagged.values())}
