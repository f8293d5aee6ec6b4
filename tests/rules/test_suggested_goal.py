"""A new plan's suggested goal from the norms (mtss/rules/norms.py suggested_goal; issue 14, item 4)."""

import datetime as dt

import pytest

from mtss.rules.norms import NormPoint, suggested_goal

# Made-up grade-2 norms: the 25th percentile is 40 in fall, 58 in winter, 76 in spring.
POINTS = [
    NormPoint(2, "fall", 25, 40),
    NormPoint(2, "fall", 50, 55),
    NormPoint(2, "winter", 25, 58),
    NormPoint(2, "winter", 50, 72),
    NormPoint(2, "spring", 25, 76),
]
START = dt.date(2026, 9, 14)
NINE_WEEKS = START + dt.timedelta(weeks=9)  # 2026-11-16, still fall


def test_a_student_below_the_benchmark_gets_the_benchmark_as_goal():
    goal = suggested_goal(POINTS, grade=2, baseline=30, start=START, goal_date=NINE_WEEKS, table_name="T norms")
    assert goal.rule == "benchmark" and goal.target == 40
    assert goal.roi == pytest.approx(10 / 9) and goal.weeks == 9
    assert "40 is the 25th percentile of T norms, grade 2, in fall" in goal.source
    assert "1.11 per week over 9 weeks" in goal.source


def test_a_goal_date_in_winter_takes_the_winter_benchmark():
    goal = suggested_goal(POINTS, grade=2, baseline=30, start=START, goal_date=dt.date(2027, 1, 25))
    assert goal.rule == "benchmark" and goal.target == 58


def test_a_student_at_the_benchmark_grows_at_the_norm_rate():
    # (58 - 40) / 18 weeks = 1 word a week, from the fall: 45 + 9 x 1 = 54.
    goal = suggested_goal(POINTS, grade=2, baseline=45, start=START, goal_date=NINE_WEEKS, table_name="T norms")
    assert goal.rule == "norm_growth" and goal.target == 54 and goal.roi == pytest.approx(1.0)
    assert "plus 1 per week" in goal.source and "25th percentile of T norms, fall to winter" in goal.source


def test_no_norms_for_the_grade_no_goal():
    assert suggested_goal(POINTS, grade=3, baseline=30, start=START, goal_date=NINE_WEEKS) is None
    assert suggested_goal(POINTS, grade=2, baseline=30, start=START, goal_date=START) is None
