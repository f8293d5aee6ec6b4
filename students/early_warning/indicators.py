"""The nightly early-warning computation: set-based SQL over the district, pure rules, stored flags.

Never per student: a fixed number of queries for the whole district, however many students.

1. The school calendar becomes a small working table of instructional days (one "variant"
   per distinct calendar: most schools share the district's; a school with its own closures
   gets its own), each day numbered, so a student's instructional days enrolled is two index
   look-ups (`n` at the last day minus `n` before the first day).
2. One query per indicator aggregates the year's records per student: days missed on
   instructional days (attendance on a day without school does not count), referrals and
   suspensions in the policy's window, failed courses and the credit-weighted GPA.
3. The pure rules (mtss/rules/early_warning.py) decide each student's flags and write the
   explanation with the numbers.
4. The flags that fired are staged and upserted in one statement; flags that no longer fire
   are marked cleared in another. A daily snapshot of the counts feeds the dashboard's trend.

Chronic absence counts to the last day attendance was recorded for the district (not to
today), so a file imported weekly does not make every student look present on the days
the file has not reached yet.
"""

from __future__ import annotations

import datetime as dt
import json
from collections import Counter, defaultdict
from dataclasses import dataclass, field

from django.db import connection, transaction
from django.utils import timezone

from mtss.calendars.selectors import non_instructional_by_school
from mtss.models import District, School, SchoolYear
from mtss.policy.schema import EarlyWarning
from mtss.rules import early_warning as rules
from mtss.rules.calendar import WEEKDAY_NAMES
from mtss.selectors import policy_document
from mtss.tenancy import tenant_context
from students.early_warning.models import (
    REFERRAL_ACTIONS,
    SUSPENSION_ACTIONS,
    EarlyWarningFlag,
    EarlyWarningSnapshot,
)
from students.early_warning.staging import Stage, as_date, execute, fetchall

DAY_STAGE = "ew_day"
SCHOOL_STAGE = "ew_school"
FIRED_STAGE = "ew_fired"


@dataclass
class RefreshResult:
    school_year: str = ""
    students: int = 0
    flagged: Counter = field(default_factory=Counter)
    cleared: int = 0
    attendance_through: dt.date | None = None
    seconds: float = 0.0


def school_year_for(*, district: District, as_of: dt.date) -> SchoolYear | None:
    years = SchoolYear.objects.filter(district=district)
    return (
        years.filter(start_date__lte=as_of, end_date__gte=as_of).order_by("-start_date").first()
        or years.filter(start_date__lte=as_of).order_by("-start_date").first()
    )


def _policy(district: District, as_of: dt.date) -> tuple[EarlyWarning, tuple[int, ...]]:
    _version, policy = policy_document(district=district, as_of=as_of)
    if policy is None:
        return EarlyWarning(), (0, 1, 2, 3, 4)
    weekdays = tuple(WEEKDAY_NAMES.index(name) for name in policy.calendar.instructional_weekdays)
    return policy.early_warning, weekdays


def _stage_calendar(district: District, year: SchoolYear, weekdays: tuple[int, ...]) -> tuple[Stage, Stage]:
    """The instructional days of each distinct school calendar, numbered 1, 2, 3 ..."""
    school_ids = list(School.objects.filter(district=district).values_list("pk", flat=True))
    off = non_instructional_by_school(
        district=district, school_ids=school_ids, start=year.start_date, end=year.end_date
    )
    variants: dict[frozenset, int] = {}
    days = Stage(DAY_STAGE, [("variant", "integer"), ("day", "date"), ("n", "integer")])
    schools = Stage(SCHOOL_STAGE, [("school_id", "bigint"), ("variant", "integer"), ("total", "integer")])
    days.__enter__()
    schools.__enter__()
    totals: dict[int, int] = {}
    for school_id in school_ids:
        dates = off[school_id]
        if dates not in variants:
            variant = variants[dates] = len(variants) + 1
            day, n = year.start_date, 0
            while day <= year.end_date:
                if day.weekday() in weekdays and day not in dates:
                    n += 1
                    days.add((variant, day, n))
                day += dt.timedelta(days=1)
            totals[variant] = n
        schools.add((school_id, variants[dates], totals[variants[dates]]))
    days.done()
    schools.done()
    execute(f"CREATE INDEX {DAY_STAGE}_idx ON {DAY_STAGE} (variant, day)")
    return days, schools


def _attendance_rows(district: District, year: SchoolYear, as_of: dt.date, through: dt.date | None):
    """(student, school, grade, days enrolled, days missed) for every student enrolled this year."""
    upto = through or as_of
    sql = f"""
        SELECT s.id, s.school_id, s.grade,
          CASE WHEN s.entry_date <= %s AND (s.exit_date IS NULL OR s.exit_date >= %s)
            THEN (SELECT max(d.n) FROM {DAY_STAGE} d WHERE d.variant = sv.variant AND d.day <= %s)
            ELSE COALESCE((SELECT max(d.n) FROM {DAY_STAGE} d WHERE d.variant = sv.variant AND d.day <=
                   CASE WHEN s.exit_date IS NOT NULL AND s.exit_date < %s THEN s.exit_date ELSE %s END), 0)
               - COALESCE((SELECT max(d.n) FROM {DAY_STAGE} d WHERE d.variant = sv.variant AND d.day <
                   CASE WHEN s.entry_date > %s THEN s.entry_date ELSE %s END), 0)
          END AS enrolled,
          COALESCE(ab.missed, 0) AS missed
        FROM students_student s
        JOIN {SCHOOL_STAGE} sv ON sv.school_id = s.school_id
        LEFT JOIN (
          SELECT a.student_id, sum(a.absent_share) AS missed
          FROM students_attendanceday a
          JOIN {SCHOOL_STAGE} sa ON sa.school_id = a.school_id
          JOIN {DAY_STAGE} d ON d.variant = sa.variant AND d.day = a.date
          WHERE a.district_id = %s AND a.date >= %s AND a.date <= %s AND a.absent_share > 0
          GROUP BY a.student_id
        ) ab ON ab.student_id = s.id
        WHERE s.district_id = %s AND s.entry_date <= %s AND (s.exit_date IS NULL OR s.exit_date >= %s)
    """
    start = year.start_date
    params = [start, upto, upto, upto, upto, start, start, district.pk, start, upto, district.pk, as_of, start]
    return fetchall(sql, params)


def _behavior_counts(district: District, start: dt.date, end: dt.date) -> dict[int, tuple[int, int]]:
    referrals = ", ".join(f"'{a.value}'" for a in REFERRAL_ACTIONS)
    suspensions = ", ".join(f"'{a.value}'" for a in SUSPENSION_ACTIONS)
    rows = fetchall(
        f"""SELECT student_id,
                   sum(CASE WHEN action IN ({referrals}) THEN 1 ELSE 0 END),
                   sum(CASE WHEN action IN ({suspensions}) THEN 1 ELSE 0 END)
            FROM students_behaviorincident
            WHERE district_id = %s AND occurred_on >= %s AND occurred_on <= %s
            GROUP BY student_id""",
        [district.pk, start, end],
    )
    return {student: (int(r or 0), int(s or 0)) for student, r, s in rows}


def _course_numbers(district: District, year: SchoolYear) -> tuple[dict, dict[int, list[str]]]:
    """Per student: (courses, credit-weighted GPA) and the codes of the courses failed this year."""
    rows = fetchall(
        """SELECT student_id, count(DISTINCT course_code),
                  sum(grade_points * CASE WHEN credits_attempted > 0 THEN credits_attempted ELSE 1 END)
                  / sum(CASE WHEN credits_attempted > 0 THEN credits_attempted ELSE 1 END)
           FROM students_coursegrade WHERE district_id = %s AND school_year_id = %s
           GROUP BY student_id""",
        [district.pk, year.pk],
    )
    numbers = {student: (int(courses), None if gpa is None else float(gpa)) for student, courses, gpa in rows}
    failed: dict[int, list[str]] = defaultdict(list)
    for student, code in fetchall(
        """SELECT DISTINCT student_id, course_code FROM students_coursegrade
           WHERE district_id = %s AND school_year_id = %s AND failed""",
        [district.pk, year.pk],
    ):
        failed[student].append(code)
    return numbers, failed


def _attendance_through(district: District, year: SchoolYear, as_of: dt.date) -> dt.date | None:
    (value,) = fetchall(
        "SELECT max(date) FROM students_attendanceday WHERE district_id = %s AND date >= %s AND date <= %s",
        [district.pk, year.start_date, min(as_of, year.end_date)],
    )[0]
    return as_date(value) if value is not None else None


def indicators_refresh(*, district: District, as_of: dt.date | None = None) -> RefreshResult:
    """Recompute the district's early-warning flags for the school year of `as_of` (default today)."""
    import time

    started = time.monotonic()
    as_of = as_of or timezone.localdate()
    result = RefreshResult()
    with tenant_context(district), transaction.atomic():
        year = school_year_for(district=district, as_of=as_of)
        if year is None:
            return result
        as_of = min(as_of, year.end_date)
        result.school_year = year.name
        policy, weekdays = _policy(district, as_of)
        days, schools = _stage_calendar(district, year, weekdays)
        through = _attendance_through(district, year, as_of)
        result.attendance_through = through
        students = _attendance_rows(district, year, as_of, through)
        result.students = len(students)
        behavior_rule = policy.behavior
        window_start = max(year.start_date, as_of - dt.timedelta(days=behavior_rule.window_days - 1))
        behavior = _behavior_counts(district, window_start, as_of) if behavior_rule.enabled else {}
        courses, failed = _course_numbers(district, year) if policy.course_performance.enabled else ({}, {})

        fired = Stage(
            FIRED_STAGE,
            [
                ("student_id", "bigint"),
                ("school_id", "bigint"),
                ("indicator", "varchar(20)"),
                ("explanation", "text"),
                ("numbers", "text"),
            ],
        )
        fired.__enter__()
        flagged: Counter = Counter()
        enrolled: Counter = Counter()
        absence = policy.attendance
        course_rule = policy.course_performance
        for student_id, school_id, grade, days_enrolled, missed in students:
            enrolled[(school_id, grade)] += 1
            findings = []
            if absence.enabled and through is not None:
                findings.append(
                    rules.chronic_absence(
                        days_missed=float(missed or 0),
                        days_enrolled=int(days_enrolled or 0),
                        through=through,
                        percent_missed=absence.percent_missed,
                        min_days_enrolled=absence.min_days_enrolled,
                    )
                )
            if student_id in behavior:
                referrals, suspensions = behavior[student_id]
                findings.append(
                    rules.behavior(
                        office_referrals=referrals,
                        suspensions=suspensions,
                        window_start=window_start,
                        window_end=as_of,
                        referrals_threshold=behavior_rule.office_referrals,
                        suspensions_threshold=behavior_rule.suspensions,
                    )
                )
            if student_id in courses:
                count, gpa = courses[student_id]
                findings.append(
                    rules.course_performance(
                        failed_courses=failed.get(student_id, []),
                        gpa=gpa,
                        courses=count,
                        failures_threshold=course_rule.failures,
                        gpa_at_or_below=course_rule.gpa_at_or_below,
                    )
                )
            for finding in findings:
                if finding.fired:
                    flagged[(school_id, grade, finding.indicator)] += 1
                    result.flagged[finding.indicator] += 1
                    fired.add(
                        (student_id, school_id, finding.indicator, finding.explanation, json.dumps(finding.numbers))
                    )
        fired.done()
        # Clearing looks each stored flag up here. The flags table may have no statistics yet
        # (written earlier in this transaction, or never analysed), and the planner then loops
        # over this table per flag: minutes at 20,000 students without the index (issue 16).
        execute(f"CREATE INDEX {FIRED_STAGE}_idx ON {FIRED_STAGE} (student_id, indicator)")
        _store_flags(district, year, as_of)
        result.cleared = _clear_flags(district, year, as_of)
        _store_snapshot(district, year, as_of, flagged, enrolled)
        fired.drop()
        days.drop()
        schools.drop()
    result.seconds = time.monotonic() - started
    return result


def _store_flags(district: District, year: SchoolYear, as_of: dt.date) -> None:
    as_json = "::jsonb" if connection.vendor == "postgresql" else ""
    table = EarlyWarningFlag._meta.db_table
    cleared, open_ = EarlyWarningFlag.Status.CLEARED.value, EarlyWarningFlag.Status.OPEN.value
    # A cleared flag that fires again is open again (the team looks anew); a reviewed or
    # dismissed one keeps the team's decision and gets the new numbers.
    execute(
        f"""INSERT INTO {table} (district_id, student_id, school_id, school_year_id, indicator, status,
                explanation, numbers, first_flagged_on, computed_on)
            SELECT %s, student_id, school_id, %s, indicator, '{open_}', explanation, numbers{as_json}, %s, %s
            FROM {FIRED_STAGE} WHERE true
            ON CONFLICT (district_id, school_year_id, student_id, indicator) DO UPDATE SET
              school_id = excluded.school_id, explanation = excluded.explanation, numbers = excluded.numbers,
              computed_on = excluded.computed_on, cleared_on = NULL,
              first_flagged_on = CASE WHEN {table}.status = '{cleared}' THEN excluded.first_flagged_on
                                 ELSE {table}.first_flagged_on END,
              status = CASE WHEN {table}.status = '{cleared}' THEN '{open_}' ELSE {table}.status END""",
        [district.pk, year.pk, as_of, as_of],
    )


def _clear_flags(district: District, year: SchoolYear, as_of: dt.date) -> int:
    table = EarlyWarningFlag._meta.db_table
    return execute(
        f"""UPDATE {table} SET status = %s, cleared_on = %s
            WHERE district_id = %s AND school_year_id = %s AND status <> %s
              AND NOT EXISTS (SELECT 1 FROM {FIRED_STAGE} f
                              WHERE f.student_id = {table}.student_id AND f.indicator = {table}.indicator)""",
        [EarlyWarningFlag.Status.CLEARED, as_of, district.pk, year.pk, EarlyWarningFlag.Status.CLEARED],
    )


def _store_snapshot(district, year, as_of, flagged: Counter, enrolled: Counter) -> None:
    EarlyWarningSnapshot.objects.filter(district=district, school_year=year, computed_on=as_of).delete()
    EarlyWarningSnapshot.objects.bulk_create(
        [
            EarlyWarningSnapshot(
                district=district,
                school_year=year,
                school_id=school_id,
                grade=grade,
                indicator=indicator,
                computed_on=as_of,
                flagged=flagged[(school_id, grade, indicator)],
                enrolled=count,
            )
            for (school_id, grade), count in enrolled.items()
            for indicator in rules.INDICATORS
        ],
        batch_size=2000,
    )
