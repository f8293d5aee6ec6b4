"""Property-based tests (hypothesis) for the maths of the engine."""

from __future__ import annotations

from dataclasses import replace
from datetime import date, timedelta

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from scipy import stats

from mtss.rules.batch import cases_to_frames, evaluate_many
from mtss.rules.config import RuleConfig
from mtss.rules.engine import Case, Goal, Probe, baseline, evaluate, ols_trend, tukey_trend

START = date(2025, 1, 6)
scores = st.floats(min_value=0, max_value=300, allow_nan=False, allow_infinity=False)
slopes = st.floats(min_value=-20, max_value=20, allow_nan=False, allow_infinity=False)
# Distinct days since the plan start, sorted: uneven spacing comes for free.
day_sets = st.lists(st.integers(min_value=0, max_value=400), min_size=3, max_size=40, unique=True).map(sorted)


@given(day_sets, slopes, scores)
def test_a_perfect_line_returns_its_own_slope_with_ols(days, slope, intercept):
    x = [d / 7 for d in days]
    line = ols_trend(x, [intercept + slope * xi for xi in x])
    assert line.slope == pytest.approx(slope, abs=1e-9)
    assert line.intercept == pytest.approx(intercept, abs=1e-7)


@given(day_sets, slopes, scores, st.sampled_from(["cbm", "median_median"]))
def test_a_perfect_line_returns_its_own_slope_with_tukey(days, slope, intercept, variant):
    x = [d / 7 for d in days]
    line = tukey_trend(x, [intercept + slope * xi for xi in x], variant)
    assert line.slope == pytest.approx(slope, abs=1e-9)
    assert line.intercept == pytest.approx(intercept, abs=1e-7)


@given(
    st.lists(st.tuples(st.integers(-30, 0), scores), min_size=1, max_size=12),
    st.integers(1, 6),
    st.randoms(use_true_random=False),
)
def test_baseline_ignores_the_order_of_the_probes(pairs, k, rng):
    probes = [Probe(START + timedelta(days=d), s) for d, s in pairs]
    shuffled = list(probes)
    rng.shuffle(shuffled)
    assert baseline(shuffled, k) == baseline(probes, k)


@given(st.lists(scores, min_size=1, max_size=9))
def test_baseline_of_k_same_day_probes_is_their_median(values):
    probes = [Probe(START, v) for v in values]
    assert baseline(probes, len(values)) == pytest.approx(float(np.median(values)))


@given(day_sets, st.lists(scores, min_size=40, max_size=40))
def test_ols_agrees_with_scipy_and_numpy(days, ys):
    x = [d / 7 for d in days]
    y = ys[: len(x)]
    line = ols_trend(x, y)
    reference = stats.linregress(x, y)
    slope, intercept = np.polyfit(x, y, 1)
    scale = max(1.0, max(abs(v) for v in y))
    assert line.slope == pytest.approx(reference.slope, abs=1e-9 * scale)
    assert line.slope == pytest.approx(slope, abs=1e-7 * scale)
    assert line.intercept == pytest.approx(reference.intercept, abs=1e-7 * scale)


@given(day_sets, slopes, st.integers(-500, 500))
def test_the_slope_does_not_depend_on_the_calendar(days, slope, shift_days):
    x = [d / 7 for d in days]
    y = [30 + slope * xi for xi in x]
    moved = [(d + shift_days) / 7 for d in days]
    assert ols_trend(moved, y).slope == pytest.approx(ols_trend(x, y).slope, abs=1e-9)


def _case(points, base, target, weeks, direction):
    return Case(
        start=START,
        as_of=START + timedelta(days=max(d for d, _ in points)),
        goal=Goal(target_date=START + timedelta(weeks=weeks), target=target, direction=direction),
        baseline_probes=tuple(Probe(START - timedelta(days=i), b) for i, b in enumerate(base)),
        probes=tuple(Probe(START + timedelta(days=d), s) for d, s in points),
    )


points_strategy = st.lists(st.tuples(st.integers(0, 120), st.integers(0, 100)), min_size=1, max_size=20)


@given(
    points_strategy,
    st.lists(st.integers(0, 100), min_size=1, max_size=5),
    st.integers(0, 100),
    st.integers(1, 30),
    st.booleans(),
)
def test_a_descending_goal_mirrors_an_ascending_one(points, base, target, weeks, dd_decides):
    # Negating every score and flipping the direction must give the same statuses (RULES.md 1.5: reversed).
    up = replace(_case(points, base, target, weeks, "up"), level_cut=50.0, roi_cut=1.0)
    down = replace(
        _case([(d, -s) for d, s in points], [-b for b in base], -target, weeks, "down"), level_cut=-50.0, roi_cut=-1.0
    )
    config = RuleConfig(min_weeks=0, four_point_min_points=4, trend_min_points=4, dd_decides=dd_decides)
    a, b = evaluate(config, up), evaluate(config, down)
    assert a.statuses == b.statuses
    assert a.recommendation == b.recommendation


@given(
    points_strategy,
    st.lists(st.integers(0, 100), min_size=1, max_size=5),
    st.integers(0, 100),
    st.integers(1, 30),
    st.sampled_from(["up", "down"]),
    st.booleans(),
)
@settings(max_examples=60, suppress_health_check=[HealthCheck.too_slow], deadline=None)
def test_batch_agrees_with_the_engine_on_any_small_case(points, base, target, weeks, direction, dd_decides):
    case = _case(points, base, target, weeks, direction)
    case = replace(case, level_cut=50.0, roi_cut=1.0)
    config = RuleConfig(
        min_weeks=1, four_point_min_points=4, trend_min_points=4, trend_method="tukey", dd_decides=dd_decides
    )
    frame = evaluate_many({"c": config}, *cases_to_frames({1: ("c", case)}), case.as_of)
    evaluation = evaluate(config, case)
    row = frame.loc[1]
    assert row["recommendation"] == evaluation.recommendation
    for finding in evaluation.findings[:-1]:
        assert row[f"status_{finding.rule}"] == finding.status
