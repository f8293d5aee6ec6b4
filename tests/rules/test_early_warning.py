"""The early-warning rules (mtss/rules/early_warning.py): pure, numbers in, explained finding out."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from mtss.policy.schema import GradingScale
from mtss.rules import early_warning as rules

THROUGH = dt.date(2026, 9, 30)


def test_chronic_absence_fires_at_exactly_the_threshold():
    finding = rules.chronic_absence(
        days_missed=3, days_enrolled=30, through=THROUGH, percent_missed=10.0, min_days_enrolled=10
    )
    assert finding.fired
    assert finding.explanation == (
        "missed 3 of 30 instructional days (10.0 %) through 2026-09-30; at or above the policy's 10 %"
    )
    below = rules.chronic_absence(
        days_missed=2.5, days_enrolled=30, through=THROUGH, percent_missed=10.0, min_days_enrolled=10
    )
    assert not below.fired and "missed 2.5 of 30" in below.explanation and "(8.3 %)" in below.explanation


def test_chronic_absence_does_not_judge_too_few_days():
    finding = rules.chronic_absence(
        days_missed=2, days_enrolled=4, through=THROUGH, percent_missed=10.0, min_days_enrolled=10
    )
    assert not finding.fired and "too few to judge" in finding.explanation


def test_behavior_counts_referrals_or_suspensions():
    args = dict(window_start=dt.date(2026, 8, 1), window_end=THROUGH, referrals_threshold=2, suspensions_threshold=1)
    assert not rules.behavior(office_referrals=1, suspensions=0, **args).fired
    suspended = rules.behavior(office_referrals=1, suspensions=1, **args)
    assert (
        suspended.fired and suspended.explanation == "1 suspensions (policy: 1 or more) from 2026-08-01 to 2026-09-30"
    )


def test_course_performance_failures_and_gpa():
    finding = rules.course_performance(
        failed_courses=["ENG9", "ALG1", "ALG1"], gpa=1.75, courses=6, failures_threshold=1, gpa_at_or_below=2.0
    )
    assert finding.fired
    assert finding.numbers["failed_courses"] == ["ALG1", "ENG9"]
    assert finding.explanation == (
        "failing 2 of 6 courses (ALG1, ENG9; policy: 1 or more) and grade point average 1.75 (policy: 2.00 or lower)"
    )
    assert not rules.course_performance(
        failed_courses=[], gpa=2.01, courses=6, failures_threshold=1, gpa_at_or_below=2.0
    ).fired


@pytest.mark.parametrize(
    ("mark", "points", "fails"),
    [("b+", "3.3", False), ("F", "0.0", True), ("89.9", "3.0", False), ("90%", "4.0", False), ("59", "0.0", True)],
)
def test_marks_on_the_default_scale(mark, points, fails):
    scale = GradingScale()
    value, failed, _letter = rules.grade_points(
        mark, letters=scale.letters, failing=scale.failing, percent_cuts=scale.percent_cuts
    )
    assert (value, failed) == (Decimal(points), fails)


@pytest.mark.parametrize("mark", ["E", "101", "-3", "A++", ""])
def test_a_mark_outside_the_scale_is_refused(mark):
    scale = GradingScale()
    with pytest.raises(rules.MarkError):
        rules.grade_points(mark, letters=scale.letters, failing=scale.failing, percent_cuts=scale.percent_cuts)
