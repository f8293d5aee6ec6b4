"""Unit tests for every rule of the engine (RULES.md sections 1 and 3), edges included."""

from __future__ import annotations

from dataclasses import replace
from datetime import date, timedelta

import numpy as np
import pytest
from scipy import stats

from mtss.rules.config import RuleConfig
from mtss.rules.engine import (
    Case,
    Goal,
    Probe,
    Session,
    aim_line,
    baseline,
    data_points,
    evaluate,
    goal_line,
    ols_trend,
    planned_dosage,
    scheduled_sessions,
    tukey_groups,
    tukey_trend,
    weekdays_between,
)

START = date(2025, 1, 6)  # a Monday


def day(n: int) -> date:
    return START + timedelta(days=n)


def weekly(scores, first_week: int = 1) -> tuple[Probe, ...]:
    return tuple(Probe(day(7 * (first_week + i)), score) for i, score in enumerate(scores))


def sessions(n: int, minutes: int = 30, status: str = "delivered", every: int = 1, first: int = 0):
    return tuple(Session(day(first + i * every), minutes, status) for i in range(n))


def make_case(probes=(), base=(40, 40, 40), target=60.0, weeks=10, direction="up", as_of_days=None, **kwargs) -> Case:
    """Baseline 40 and goal 60 over 10 weeks: the aim line is 40 + 2x."""
    last = max((p.date for p in probes), default=START)
    as_of = day(as_of_days) if as_of_days is not None else max(last, day(21))
    goal = kwargs.pop("goal", None) or Goal(target_date=day(7 * weeks), target=target, direction=direction)
    return Case(
        start=START,
        as_of=as_of,
        goal=goal,
        baseline_probes=tuple(Probe(day(-3 + i), s) for i, s in enumerate(base)),
        probes=tuple(probes),
        **kwargs,
    )


CONFIG = RuleConfig()


# --- baseline (RULES.md 1.1) ---------------------------------------------------------------


def test_it_takes_the_median_of_the_first_k_baseline_probes():
    # IRIS worked example: 7, 5, 8 -> 7
    assert baseline([Probe(day(0), 7), Probe(day(1), 5), Probe(day(2), 8)]) == 7


def test_it_uses_only_the_first_k_probes_by_date():
    probes = [Probe(day(5), 100), Probe(day(0), 7), Probe(day(1), 5), Probe(day(2), 8)]
    assert baseline(probes, k=3) == 7
    assert baseline(probes, k=4) == 7.5  # even k: mean of the two middle values


def test_baseline_with_fewer_probes_than_k_uses_what_there_is_and_none_without():
    assert baseline([Probe(day(0), 12)], k=3) == 12
    assert baseline([], k=3) is None


def test_baseline_ties_on_one_day_do_not_depend_on_listing_order():
    a = [Probe(day(0), 10), Probe(day(0), 30), Probe(day(0), 20), Probe(day(1), 5)]
    assert baseline(a, k=2) == baseline(list(reversed(a)), k=2) == 15


def test_a_case_without_baseline_probes_is_insufficient_data():
    result = evaluate(CONFIG, make_case(weekly([50] * 8), base=()))
    assert result.recommendation == "insufficient_data"
    assert result.finding("baseline").status == "insufficient_data"
    assert result.baseline is None and result.goal_roi is None


def test_baseline_probes_after_as_of_are_ignored():
    case = make_case(weekly([50] * 8))
    case = replace(case, baseline_probes=(Probe(day(-1), 40), Probe(case.as_of + timedelta(days=1), 99)))
    assert evaluate(CONFIG, case).baseline == 40


# --- goal and aim line (1.2, 1.3) --------------------------------------------------------


def test_benchmark_goal_gives_goal_roi_over_the_weeks():
    # NWEA/NCII worked example: (90 - 35) / 20 = 2.75
    goal = Goal(target_date=day(140), target=90)
    assert goal_line(35, goal, START) == (90, 2.75)


def test_roi_goal_gives_the_goal_score():
    # graphprogress worked example: 20 + 1.5 x 36 = 74
    goal = Goal(target_date=day(36 * 7), roi=1.5)
    assert goal_line(20, goal, START) == (74, 1.5)


def test_goal_date_not_after_start_is_invalid():
    assert goal_line(20, Goal(target_date=START, target=50), START) is None
    result = evaluate(CONFIG, make_case(weekly([50] * 8), weeks=0))
    assert result.finding("goal").status == "invalid"
    assert result.recommendation == "insufficient_data"


def test_a_goal_needs_exactly_one_of_target_and_roi():
    with pytest.raises(ValueError):
        Goal(target_date=day(10))
    with pytest.raises(ValueError):
        Goal(target_date=day(10), target=5, roi=1)


def test_aim_line_runs_from_baseline():
    assert aim_line(40, 2, 0) == 40
    assert aim_line(40, 2, 3.5) == 47


# --- data points --------------------------------------------------------------------------


def test_probes_before_the_plan_start_and_after_as_of_are_not_data_points():
    probes = [Probe(day(-7), 10), Probe(day(7), 20), Probe(day(60), 30)]
    points = data_points(probes, START, day(30))
    assert points.scores == (20,)
    assert points.excluded_before_start == 1 and points.excluded_after_as_of == 1


def test_several_probes_on_one_day_are_one_data_point_with_their_median():
    probes = [Probe(day(7), 10), Probe(day(7), 30), Probe(day(7), 14), Probe(day(14), 5), Probe(day(14), 6)]
    points = data_points(probes, START, day(30))
    assert points.scores == (14, 5.5)
    assert points.x == (1.0, 2.0)
    assert points.same_day_merged == 3


def test_several_probes_on_one_day_count_once_toward_the_minimum():
    probes = [Probe(day(7 * w), 30) for w in (1, 2, 3)] * 2  # 6 probes, 3 days
    result = evaluate(CONFIG, make_case(probes))
    assert result.n_points == 3
    assert result.finding("four_point").status == "insufficient_data"


# --- OLS and Tukey trends (1.6.1, 1.6.3) -----------------------------------------------------


def test_ols_matches_scipy_on_uneven_spacing():
    x = [0.3, 1.0, 2.7, 3.1, 6.0, 6.4, 9.9]
    y = [12, 15, 13, 19, 24, 22, 31]
    line = ols_trend(x, y)
    reference = stats.linregress(x, y)
    assert line.slope == pytest.approx(reference.slope, rel=1e-12)
    assert line.intercept == pytest.approx(reference.intercept, rel=1e-12)


def test_ols_needs_two_distinct_x():
    assert ols_trend([1.0], [3.0]) is None
    assert ols_trend([1.0, 1.0], [3.0, 4.0]) is None


def test_tukey_groups_follow_the_extra_point_convention():
    assert tukey_groups(9) == (3, 3, 3)
    assert tukey_groups(10) == (3, 4, 3)  # one extra point: middle group
    assert tukey_groups(11) == (4, 3, 4)  # two extra points: one to each end


def test_tukey_uses_median_score_and_middle_time_of_the_outer_thirds():
    # First third: the experts123 example 33, 45, 36 -> median 36 at the middle (2nd) point.
    x = [1, 2, 3, 4, 5, 6, 7, 8, 9]
    y = [33, 45, 36, 40, 41, 42, 50, 44, 47]
    line = tukey_trend(x, y)
    assert line.slope == pytest.approx((47 - 36) / (8 - 2))
    assert line.intercept == pytest.approx(36 - line.slope * 2)


def test_median_median_variant_keeps_the_slope_and_slides_the_line():
    x = [1, 2, 3, 4, 5, 6, 7, 8, 9]
    y = [33, 45, 36, 40, 41, 60, 50, 44, 47]
    cbm = tukey_trend(x, y, "cbm")
    resistant = tukey_trend(x, y, "median_median")
    assert resistant.slope == cbm.slope
    expected = ((36 - cbm.slope * 2) + (41 - cbm.slope * 5) + (47 - cbm.slope * 8)) / 3
    assert resistant.intercept == pytest.approx(expected)


def test_roi_is_reported_from_three_points_with_the_configured_method():
    result = evaluate(CONFIG, make_case(weekly([41, 43, 45])))
    assert result.roi == pytest.approx(2.0)
    assert evaluate(CONFIG, make_case(weekly([41, 43]))).roi is None
    tukey = evaluate(RuleConfig(trend_method="tukey"), make_case(weekly([41, 50, 45, 47])))
    assert tukey.roi == pytest.approx((47 - 41) / 3)


# --- four-point rule (1.5) ---------------------------------------------------------------


def test_four_points_below_the_aim_line_is_behind():
    # aim line 40 + 2x; weeks 1..6 -> 42..52
    result = evaluate(CONFIG, make_case(weekly([42, 44, 41, 39, 44, 40])))
    finding = result.finding("four_point")
    assert finding.status == "behind"
    assert finding.values["scores"] == [41, 39, 44, 40]
    assert finding.values["aim"] == pytest.approx([46, 48, 50, 52])
    assert "4 consecutive points below the aim line: 41, 39, 44, 40 < 46, 48, 50, 52" in finding.explanation


def test_four_points_above_the_aim_line_is_ahead():
    result = evaluate(CONFIG, make_case(weekly([42, 44, 50, 52, 54, 56])))
    assert result.finding("four_point").status == "ahead"


def test_a_point_exactly_on_the_aim_line_is_neither_above_nor_below():
    # weeks 3..6 aim = 46, 48, 50, 52: the third point ties the line.
    result = evaluate(CONFIG, make_case(weekly([42, 44, 40, 41, 50, 45])))
    assert result.finding("four_point").status == "mixed"


def test_ties_on_the_aim_line_survive_floating_point():
    # Goal 40 -> 50 over 3 weeks: aim at day 2 is 40 + 10/3 * 2/7, not exactly representable.
    probes = [Probe(day(d), 40 + 10 / 21 * d) for d in (2, 9, 16, 23)]
    case = make_case(probes, target=50, weeks=3, as_of_days=23)
    config = RuleConfig(four_point_min_points=4, min_weeks=0)
    assert evaluate(config, case).finding("four_point").status == "mixed"


def test_tolerance_widens_the_line():
    probes = weekly([42, 44, 45.5, 47.5, 49.5, 51.5])  # 0.5 under the line
    assert evaluate(CONFIG, make_case(probes)).finding("four_point").status == "behind"
    config = RuleConfig(four_point_tolerance=0.5)
    assert evaluate(config, make_case(probes)).finding("four_point").status == "mixed"


def test_four_point_rule_is_reversed_for_descending_goals():
    # Errors from 40 down to 20 in 10 weeks: aim 40 - 2x. Points above the line are behind.
    behind = make_case(weekly([38, 36, 37, 36, 35, 34]), target=20, direction="down")
    ahead = make_case(weekly([38, 36, 30, 28, 26, 24]), target=20, direction="down")
    assert evaluate(CONFIG, behind).finding("four_point").status == "behind"
    assert "above the aim line of a descending goal" in evaluate(CONFIG, behind).finding("four_point").explanation
    assert evaluate(CONFIG, ahead).finding("four_point").status == "ahead"


def test_four_point_rule_needs_six_points_and_three_weeks():
    five = make_case(weekly([30, 30, 30, 30, 30]))
    assert evaluate(CONFIG, five).finding("four_point").status == "insufficient_data"
    assert "needs 6" in evaluate(CONFIG, five).finding("four_point").explanation
    # Six daily points inside two weeks: enough points, not enough weeks of instruction.
    daily = make_case([Probe(day(d), 30) for d in range(1, 7)], as_of_days=13)
    finding = evaluate(CONFIG, daily).finding("four_point")
    assert finding.status == "insufficient_data" and "weeks of instruction" in finding.explanation


def test_three_point_variant():
    config = RuleConfig(four_point_n=3, four_point_min_points=3)
    assert evaluate(config, make_case(weekly([30, 31, 32]))).finding("four_point").status == "behind"


# --- trend rule (1.6) ------------------------------------------------------------------


def test_flatter_trend_is_behind_steeper_is_ahead_parallel_is_on_track():
    flat = make_case(weekly([42, 43, 44, 45, 46, 47, 48, 49]))  # 1/week vs 2/week
    steep = make_case(weekly([43, 46, 49, 52, 55, 58, 61, 64]))  # 3/week
    parallel = make_case(weekly([40, 42.1, 44, 46.2, 48, 50, 52.1, 54]))
    assert evaluate(CONFIG, flat).finding("trend").status == "behind"
    assert evaluate(CONFIG, steep).finding("trend").status == "ahead"
    assert evaluate(CONFIG, parallel).finding("trend").status == "on_track"


def test_parallel_band_is_the_larger_of_absolute_and_relative_tolerance():
    probes = weekly([42 + 1.6 * i for i in range(8)])  # 1.6/week against 2.0/week
    assert evaluate(CONFIG, make_case(probes)).finding("trend").status == "behind"  # band 0.2
    aimsweb = RuleConfig(parallel_tolerance_abs=0.5)
    finding = evaluate(aimsweb, make_case(probes)).finding("trend")
    assert finding.status == "on_track" and finding.values["tolerance"] == 0.5


def test_trend_exactly_on_the_band_edge_is_on_track():
    probes = weekly([40 + 2.5 * i for i in range(1, 9)])  # 2.5 - 2.0 = 0.5 = band
    finding = evaluate(RuleConfig(parallel_tolerance_abs=0.5), make_case(probes)).finding("trend")
    assert finding.status == "on_track"


def test_trend_rule_is_reversed_for_descending_goals():
    falling_slowly = make_case(weekly([39, 38, 37, 36, 35, 34, 33, 32]), target=20, direction="down")
    assert evaluate(CONFIG, falling_slowly).finding("trend").status == "behind"
    falling_fast = make_case(weekly([37, 34, 31, 28, 25, 22, 19, 16]), target=20, direction="down")
    assert evaluate(CONFIG, falling_fast).finding("trend").status == "ahead"


def test_trend_rule_needs_eight_points():
    assert evaluate(CONFIG, make_case(weekly([42] * 7))).finding("trend").status == "insufficient_data"


def test_trend_uses_uneven_spacing_in_weeks():
    probes = [Probe(day(d), 40 + 2 * d / 7) for d in (3, 5, 12, 13, 20, 34, 40, 41)]
    result = evaluate(CONFIG, make_case(probes))
    assert result.roi == pytest.approx(2.0)
    assert result.finding("trend").status == "on_track"


# --- dual discrepancy (1.7) -------------------------------------------------------------


def dd_case(scores, level_cut=62, roi_cut=1.1, **kwargs):
    return make_case(weekly(scores), level_cut=level_cut, roi_cut=roi_cut, **kwargs)


def test_dual_discrepancy_needs_both_level_and_growth_below():
    low_and_flat = dd_case([40, 40, 41, 41, 42, 42, 43, 43])
    low_but_growing = dd_case([40, 42, 44, 46, 48, 50, 52, 54])
    high_but_flat = dd_case([70, 70, 70, 70, 70, 70, 70, 70])
    assert evaluate(CONFIG, low_and_flat).finding("dual_discrepancy").status == "non_responder"
    assert evaluate(CONFIG, low_but_growing).finding("dual_discrepancy").status == "adequate"
    assert evaluate(CONFIG, high_but_flat).finding("dual_discrepancy").status == "adequate"


def test_either_below_is_the_stricter_combination():
    config = RuleConfig(dd_combine="either_below")
    assert (
        evaluate(config, dd_case([40, 42, 44, 46, 48, 50, 52, 54])).finding("dual_discrepancy").status
        == "non_responder"
    )


def test_dual_discrepancy_level_is_the_median_of_the_last_points():
    finding = evaluate(CONFIG, dd_case([40, 40, 41, 41, 42, 70, 43, 43])).finding("dual_discrepancy")
    assert finding.values["level"] == 43
    one = evaluate(RuleConfig(dd_level_points=1), dd_case([40, 40, 41, 41, 42, 42, 43, 80]))
    assert one.finding("dual_discrepancy").values["level"] == 80


def test_level_at_criterion_is_not_below():
    finding = evaluate(CONFIG, dd_case([62] * 8)).finding("dual_discrepancy")
    assert finding.values["level_below"] is False and finding.status == "adequate"


def test_dual_discrepancy_without_norms_is_not_applicable_and_config_cuts_are_a_fallback():
    assert evaluate(CONFIG, make_case(weekly([40] * 8))).finding("dual_discrepancy").status == "not_applicable"
    config = RuleConfig(dd_level_cut=62, dd_roi_cut=1.1)
    assert evaluate(config, make_case(weekly([40] * 8))).finding("dual_discrepancy").status == "non_responder"


def test_dual_discrepancy_for_descending_goals():
    # Error counts: level above the cut and falling slower than the cut is discrepant.
    case = dd_case([30, 30, 29, 29, 29, 28, 28, 28], level_cut=20, roi_cut=-1.0, target=10, direction="down")
    assert evaluate(CONFIG, case).finding("dual_discrepancy").status == "non_responder"


# --- goal met --------------------------------------------------------------------------


def test_three_points_at_or_beyond_the_goal_meets_it():
    result = evaluate(CONFIG, make_case(weekly([50, 58, 60, 61, 60])))
    assert result.finding("goal_met").status == "met"
    assert result.recommendation == "exit"


def test_goal_met_for_descending_goals_means_at_or_below():
    case = make_case(weekly([30, 20, 19, 18]), target=20, direction="down")
    assert evaluate(CONFIG, case).finding("goal_met").status == "met"


# --- fidelity and minimum sessions (3.2, 3.3) ----------------------------------------------


def test_scheduled_sessions_per_week_and_per_cycle():
    dosage = planned_dosage(CONFIG, make_case(sessions_per_week=4))
    assert scheduled_sessions(dosage, START, day(6)) == 4  # one full week
    assert scheduled_sessions(dosage, START, day(13)) == 8
    cycle = planned_dosage(CONFIG, make_case(sessions_per_cycle=3, cycle_days=6))
    # 12 school days (two calendar weeks plus Mon-Tue of the third) = two 6-day cycles
    assert weekdays_between(START, day(15)) == 12
    assert scheduled_sessions(cycle, START, day(15)) == 6
    assert scheduled_sessions(planned_dosage(CONFIG, make_case()), START, day(15)) is None


def test_weekdays_between_counts_monday_to_friday():
    assert weekdays_between(date(2025, 1, 4), date(2025, 1, 12)) == 5  # Sat..Sun next week
    assert weekdays_between(date(2025, 1, 10), date(2025, 1, 9)) == 0


def test_the_plan_dosage_wins_over_the_policy_default():
    config = RuleConfig(sessions_per_week=5, minutes_per_session=60)
    dosage = planned_dosage(config, make_case(sessions_per_week=2))
    assert dosage.sessions_per_week == 2 and dosage.minutes_per_session == 60
    assert planned_dosage(config, make_case()).sessions_per_week == 5


def test_fidelity_counts_delivered_sessions_and_minutes():
    log = sessions(12, 30) + sessions(2, 30, "student_absent", first=20) + sessions(2, 0, "cancelled", first=22)
    case = make_case(sessions_per_week=4, minutes_per_session=30, sessions=log, as_of_days=27)
    finding = evaluate(CONFIG, case).finding("fidelity")
    assert finding.values["sessions_scheduled"] == 16
    assert finding.values["sessions_delivered"] == 12
    assert finding.values["sessions_student_absent"] == 2
    assert finding.values["sessions_pct"] == 75
    assert finding.values["minutes_pct"] == 75
    assert finding.status == "low"
    assert "cannot show non-response" in finding.explanation


def test_short_sessions_make_minutes_fidelity_low():
    case = make_case(sessions_per_week=4, minutes_per_session=30, sessions=sessions(16, 20), as_of_days=27)
    assert evaluate(CONFIG, case).finding("fidelity").status == "low"
    assert evaluate(RuleConfig(fidelity_basis="sessions"), case).finding("fidelity").status == "adequate"


def test_fidelity_at_the_threshold_is_adequate_and_sessions_outside_the_phase_do_not_count():
    log = sessions(4, 30, first=-10) + sessions(8, 30, every=2)  # 4 before the start
    # 11 school days from Monday to the Monday two weeks on, one a holiday: 10 instructional
    # days at 5 a week schedule 10 sessions (issue 12: sessions are counted over school days).
    case = make_case(
        sessions_per_week=5, minutes_per_session=30, sessions=log, as_of_days=14, non_instructional=frozenset({day(9)})
    )
    finding = evaluate(CONFIG, case).finding("fidelity")
    assert finding.values["sessions_delivered"] == 8 and finding.values["sessions_pct"] == 80
    assert finding.status == "adequate"


def test_short_sessions_do_not_count_when_time_must_match_the_dosage():
    # Loudon: "The amount of time must match the recommended intervention time".
    log = sessions(10, 30) + sessions(6, 20, first=14)
    case = make_case(sessions_per_week=4, minutes_per_session=30, sessions=log, as_of_days=27)
    config = RuleConfig(session_minutes_must_match_dosage=True, min_sessions_before_decision=12)
    result = evaluate(config, case)
    assert result.finding("fidelity").values["sessions_delivered"] == 10
    assert result.finding("fidelity").values["sessions_too_short"] == 6
    assert result.finding("fidelity").values["minutes_delivered"] == 420
    assert result.finding("minimum_sessions").status == "not_met"
    assert evaluate(CONFIG, case).finding("fidelity").values["sessions_delivered"] == 16


def test_fidelity_is_not_applicable_without_planned_sessions():
    assert evaluate(CONFIG, make_case(sessions=sessions(5))).finding("fidelity").status == "not_applicable"


def test_minimum_sessions():
    config = RuleConfig(min_sessions_before_decision=40)
    assert evaluate(config, make_case(sessions=sessions(39))).finding("minimum_sessions").status == "not_met"
    case = make_case(sessions=sessions(40), as_of_days=45)
    assert evaluate(config, case).finding("minimum_sessions").status == "met"
    assert evaluate(CONFIG, case).finding("minimum_sessions").status == "not_applicable"


# --- progress-monitoring frequency -----------------------------------------------------------


def test_weekly_monitoring_is_compliant_with_grace_days():
    probes = [Probe(day(d), 40) for d in (7, 15, 21, 28)]
    finding = evaluate(CONFIG, make_case(probes, as_of_days=30)).finding("pm_frequency")
    # Gaps are counted in instructional days (issue 12): Monday day 7 to Tuesday day 15 is 6.
    assert finding.status == "compliant" and finding.values["max_gap_days"] == 6


def test_a_long_gap_or_an_overdue_probe_is_not_compliant():
    gap = evaluate(CONFIG, make_case([Probe(day(d), 40) for d in (7, 21)], as_of_days=22))
    assert gap.finding("pm_frequency").status == "not_compliant"
    overdue = evaluate(CONFIG, make_case([Probe(day(7), 40)], as_of_days=20))
    # Monday day 7 to Sunday day 20: 9 instructional days (issue 12: school days, not calendar days).
    assert overdue.finding("pm_frequency").values["max_gap_days"] == 9
    assert overdue.finding("pm_frequency").values["current_gap_days"] == 9
    assert overdue.finding("pm_frequency").status == "not_compliant"


def test_every_nth_session_rule():
    config = RuleConfig(pm_every_days=None, pm_every_sessions=10)
    log = sessions(25)
    ok = make_case([Probe(day(9), 40), Probe(day(19), 40)], sessions=log, as_of_days=24)
    late = make_case([Probe(day(9), 40)], sessions=log, as_of_days=24)
    assert evaluate(config, ok).finding("pm_frequency").status == "compliant"
    finding = evaluate(config, late).finding("pm_frequency")
    assert finding.status == "not_compliant" and finding.values["max_sessions_between"] == 15


def test_no_frequency_in_the_policy_is_not_applicable():
    config = RuleConfig(pm_every_days=None)
    assert evaluate(config, make_case()).finding("pm_frequency").status == "not_applicable"


# --- review due --------------------------------------------------------------------------


def test_review_six_weeks_after_the_tier_starts():
    config = RuleConfig(review_after_weeks=6)
    assert evaluate(config, make_case(as_of_days=41)).finding("review_due").status == "not_due"
    assert evaluate(config, make_case(as_of_days=42)).finding("review_due").status == "due"
    reviewed = make_case(as_of_days=50, last_review=day(43))
    assert evaluate(config, reviewed).finding("review_due").status == "not_due"


def test_review_every_three_weeks_from_the_tier_start():
    config = RuleConfig(review_every_weeks=3)
    case = make_case(as_of_days=45, last_review=day(21), tier_start=day(0))
    finding = evaluate(config, case).finding("review_due")
    assert finding.status == "due" and finding.values["last_scheduled"] == day(42).isoformat()
    case = make_case(as_of_days=45, last_review=day(43))
    finding = evaluate(config, case).finding("review_due")
    assert finding.status == "not_due" and finding.values["next_review"] == day(63).isoformat()


def test_review_anchor_is_the_tier_start_when_given():
    config = RuleConfig(review_after_weeks=6)
    case = make_case(as_of_days=10, tier_start=day(-40))
    assert evaluate(config, case).finding("review_due").status == "due"


# --- recommendation ----------------------------------------------------------------------

FULL_DOSAGE = {"sessions_per_week": 5, "minutes_per_session": 30}


def with_sessions(n_days: int, **kwargs):
    return {**FULL_DOSAGE, "sessions": sessions(n_days), **kwargs}


def test_some_progress_behind_the_aim_line_is_modify():
    case = make_case(weekly([42, 43, 44, 45, 46, 47, 48, 49]), **with_sessions(56))
    assert evaluate(CONFIG, case).recommendation == "modify"


def test_no_progress_is_intensify_and_refer_at_the_top_tier():
    case = make_case(weekly([42, 41, 42, 41, 42, 41, 42, 41]), **with_sessions(56))
    assert evaluate(CONFIG, case).recommendation == "intensify"
    assert evaluate(RuleConfig(is_top_tier=True), case).recommendation == "refer_evaluation"


def test_dual_discrepancy_is_intensify_even_with_some_growth():
    config = RuleConfig(decision_rules=("dual_discrepancy",))
    case = make_case(weekly([40, 40, 41, 41, 42, 42, 43, 43]), level_cut=62, roi_cut=1.1, **with_sessions(56))
    assert evaluate(config, case).recommendation == "intensify"


def test_ahead_is_raise_goal_unless_the_policy_says_otherwise():
    case = make_case(weekly([43, 46, 49, 52, 55, 56, 57, 58]), target=70, weeks=20, **with_sessions(56))
    assert evaluate(CONFIG, case).recommendation == "raise_goal"
    assert evaluate(RuleConfig(raise_goal_when_ahead=False), case).recommendation == "continue"


def test_on_track_is_continue():
    case = make_case(weekly([42, 44, 47, 48, 49, 52, 54, 56]), **with_sessions(56))
    assert evaluate(CONFIG, case).recommendation == "continue"


def test_goal_met_is_exit_unless_disabled():
    case = make_case(weekly([50, 58, 60, 61, 60]))
    assert evaluate(RuleConfig(exit_on_goal_met=False), case).recommendation != "exit"


def test_too_few_points_is_insufficient_data():
    result = evaluate(CONFIG, make_case(weekly([41, 42, 43])))
    assert result.recommendation == "insufficient_data"


def test_rules_outside_decision_rules_only_inform():
    # Behind on the trend, but the policy decides by dual discrepancy only and the student is adequate.
    config = RuleConfig(decision_rules=("dual_discrepancy",))
    case = make_case(
        weekly([70, 70, 70, 70, 70, 70, 70, 70]), target=100, level_cut=62, roi_cut=1.1, **with_sessions(56)
    )
    result = evaluate(config, case)
    assert result.finding("trend").status == "behind"
    assert result.recommendation == "continue"


def test_fidelity_gate_blocks_intensify_with_low_fidelity():
    case = make_case(weekly([42, 41, 42, 41, 42, 41, 42, 41]), **FULL_DOSAGE, sessions=sessions(10))
    result = evaluate(CONFIG, case)
    assert result.finding("fidelity").status == "low"
    assert result.recommendation == "low_fidelity"
    assert result.finding("recommendation").values["proposed"] == "intensify"
    assert evaluate(RuleConfig(is_top_tier=True), case).recommendation == "low_fidelity"


def test_fidelity_gate_also_blocks_modify():
    case = make_case(weekly([42, 43, 44, 45, 46, 47, 48, 49]), **FULL_DOSAGE, sessions=sessions(10))
    assert evaluate(CONFIG, case).recommendation == "low_fidelity"


def test_minimum_sessions_gate_blocks_intensify_and_refer_but_not_modify():
    config = RuleConfig(min_sessions_before_decision=45, is_top_tier=True)
    flat = make_case(weekly([42, 41, 42, 41, 42, 41, 42, 41]), **with_sessions(40))
    result = evaluate(config, flat)
    assert result.recommendation == "insufficient_data"
    assert "too few sessions" in result.finding("recommendation").explanation
    some = make_case(weekly([42, 43, 44, 45, 46, 47, 48, 49]), **with_sessions(40))
    assert evaluate(config, some).recommendation == "modify"


def test_gate_can_be_switched_off_and_does_not_touch_good_news():
    case = make_case(weekly([42, 41, 42, 41, 42, 41, 42, 41]), **FULL_DOSAGE, sessions=sessions(10))
    assert evaluate(RuleConfig(low_fidelity_blocks_nonresponse=False), case).recommendation == "intensify"
    good = make_case(
        weekly([43, 46, 49, 52, 55, 56, 57, 58]), target=70, weeks=20, **FULL_DOSAGE, sessions=sessions(10)
    )
    assert evaluate(CONFIG, good).recommendation == "raise_goal"


# --- dual discrepancy decides when it applies (Loudon County, RuleConfig.dd_decides) -----------
# Seed 002_d2bcc1edd8245865.txt: "A student is making adequate progress if his or her scores are at or
# above the established criterion for either the performance level OR the rate of growth. A student is
# NOT making adequate progress if his or her scores fall below the criteria for both the performance
# level AND the rate of growth."

DD_DECIDES = RuleConfig(dd_decides=True)


def test_level_at_criterion_continues_although_the_trend_and_points_are_behind():
    case = make_case(weekly([68] * 8), target=100, level_cut=62, roi_cut=1.1, **with_sessions(56))
    result = evaluate(DD_DECIDES, case)
    assert (result.finding("trend").status, result.finding("four_point").status) == ("behind", "behind")
    assert result.finding("dual_discrepancy").status == "adequate"
    assert result.recommendation == "continue"
    values = result.finding("recommendation").values
    assert values["decided_by"] == "dual_discrepancy" and values["drivers"] == ["dual_discrepancy"]
    assert values["set_aside"] == ["four_point", "trend"]
    assert "(four_point, trend) inform the team but do not decide" in result.finding("recommendation").explanation
    # Without the setting the flat trend is "no progress".
    assert evaluate(CONFIG, case).recommendation == "intensify"


def test_growth_at_criterion_continues_although_the_level_is_below_and_the_trend_behind():
    case = make_case(
        weekly([41, 42, 44, 45, 46, 48, 49, 50]), target=80, weeks=10, level_cut=62, roi_cut=1.1, **with_sessions(56)
    )
    result = evaluate(DD_DECIDES, case)
    assert result.finding("dual_discrepancy").values["level_below"] is True
    assert result.finding("trend").status == "behind"
    assert result.recommendation == "continue"
    assert evaluate(CONFIG, case).recommendation == "modify"


def test_adequate_and_ahead_raises_the_goal_unless_the_policy_says_otherwise():
    case = make_case(
        weekly([43, 46, 49, 52, 55, 56, 57, 58]), target=70, weeks=20, level_cut=50, roi_cut=1.1, **with_sessions(56)
    )
    result = evaluate(DD_DECIDES, case)
    assert result.finding("dual_discrepancy").status == "adequate"
    assert result.recommendation == "raise_goal"
    assert result.finding("recommendation").values["drivers"] == ["four_point", "trend"]
    assert evaluate(DD_DECIDES.replace(raise_goal_when_ahead=False), case).recommendation == "continue"


def test_adequate_with_one_rule_ahead_and_another_behind_continues():
    # Points above a shallow aim line (four-point: ahead) but a flat trend (behind): mixed signals.
    case = make_case(weekly([70] * 8), target=100, weeks=30, level_cut=62, roi_cut=1.1, **with_sessions(56))
    result = evaluate(DD_DECIDES, case)
    assert (result.finding("four_point").status, result.finding("trend").status) == ("ahead", "behind")
    assert result.recommendation == "continue"
    assert result.finding("recommendation").values["set_aside"] == ["trend"]


def test_both_below_intensifies_even_on_the_aim_line_and_refers_at_the_top_tier():
    case = make_case(
        weekly([41, 42, 43, 44, 45, 46, 47, 48]), target=50, weeks=40, level_cut=62, roi_cut=1.1, **with_sessions(56)
    )
    result = evaluate(DD_DECIDES, case)
    assert result.finding("trend").status == "ahead"
    assert result.finding("dual_discrepancy").status == "non_responder"
    assert result.recommendation == "intensify"
    assert result.finding("recommendation").values["drivers"] == ["dual_discrepancy"]
    assert evaluate(DD_DECIDES.replace(is_top_tier=True), case).recommendation == "refer_evaluation"


def test_both_below_goes_through_the_fidelity_and_minimum_session_gates():
    scores = weekly([41, 42, 43, 44, 45, 46, 47, 48])
    low = make_case(scores, target=50, weeks=40, level_cut=62, roi_cut=1.1, **FULL_DOSAGE, sessions=sessions(10))
    assert evaluate(DD_DECIDES, low).recommendation == "low_fidelity"
    few = make_case(scores, target=50, weeks=40, level_cut=62, roi_cut=1.1, **with_sessions(40))
    config = DD_DECIDES.replace(min_sessions_before_decision=45, is_top_tier=True)
    result = evaluate(config, few)
    assert result.recommendation == "insufficient_data"
    assert result.finding("recommendation").values["gated_by"] == "minimum_sessions"


def test_without_norms_the_other_rules_decide_as_before():
    some = make_case(weekly([42, 43, 44, 45, 46, 47, 48, 49]), **with_sessions(56))
    flat = make_case(weekly([42, 41, 42, 41, 42, 41, 42, 41]), **with_sessions(56))
    for case, expected in ((some, "modify"), (flat, "intensify")):
        result = evaluate(DD_DECIDES, case)
        assert result.finding("dual_discrepancy").status == "not_applicable"
        assert result.recommendation == expected == evaluate(CONFIG, case).recommendation
        assert "decided_by" not in result.finding("recommendation").values


def test_with_norms_but_too_few_points_for_dual_discrepancy_the_other_rules_decide():
    # Six points: enough for the four-point rule, not for dual discrepancy (eight, like the trend).
    case = make_case(weekly([42, 41, 40, 41, 40, 41]), level_cut=62, roi_cut=1.1, **with_sessions(42))
    result = evaluate(DD_DECIDES, case)
    assert result.finding("dual_discrepancy").status == "insufficient_data"
    assert result.finding("four_point").status == "behind"
    assert result.recommendation == evaluate(CONFIG, case).recommendation == "intensify"


def test_dd_decides_needs_dual_discrepancy_among_the_decision_rules():
    with pytest.raises(ValueError, match="dd_decides needs 'dual_discrepancy' in decision_rules"):
        RuleConfig(dd_decides=True, decision_rules=("trend",))
    with pytest.raises(ValueError, match="dd_decides must be True or False"):
        RuleConfig(dd_decides="yes")
    assert RuleConfig.from_dict(DD_DECIDES.as_dict()) == DD_DECIDES


def test_every_finding_has_an_explanation_and_json_friendly_values():
    import json

    case = make_case(weekly([42, 43, 44, 45, 46, 47, 48, 49]), level_cut=62, roi_cut=1.1, **with_sessions(56))
    result = evaluate(RuleConfig(review_every_weeks=3, min_sessions_before_decision=40), case)
    assert [f.rule for f in result.findings][-1] == "recommendation"
    for finding in result.findings:
        assert finding.explanation and "%(" not in finding.explanation
        json.dumps(finding.values)


def test_explanations_are_translatable():
    from django.utils import translation

    case = make_case(weekly([42, 44, 41, 39, 44, 40]))
    with translation.override("es"):
        result = evaluate(CONFIG, case)  # no catalogue yet: falls back to English, placeholders filled
    assert "41, 39, 44, 40" in result.finding("four_point").explanation


# --- config -------------------------------------------------------------------------


def test_config_rejects_nonsense():
    with pytest.raises(ValueError, match="trend_method"):
        RuleConfig(trend_method="spline")
    with pytest.raises(ValueError, match="not both"):
        RuleConfig(sessions_per_week=4, sessions_per_cycle=3, cycle_days=6)
    with pytest.raises(ValueError, match="decision_rules"):
        RuleConfig(decision_rules=("four_point", "vibes"))
    with pytest.raises(ValueError, match="Unknown"):
        RuleConfig.from_dict({"baseline_k": 3, "colour": "red"})


def test_config_round_trips_through_a_dict():
    config = RuleConfig(decision_rules=("trend",), review_every_weeks=3)
    assert RuleConfig.from_dict(config.as_dict()) == config
    assert config.label == "default@default"


def test_numpy_and_engine_agree_on_a_plain_line():
    x = np.arange(1, 9, dtype=float)
    line = ols_trend(list(x), list(3 * x + 7))
    assert line.slope == pytest.approx(3) and line.intercept == pytest.approx(7)
