"""NCII's median rule beside the four-point and trend rules; behaviour data (issue 12, item 4)."""

from __future__ import annotations

from datetime import date, timedelta

from mtss.policy import load_preset
from mtss.policy.adapters import rule_config
from mtss.rules.config import RuleConfig
from mtss.rules.engine import Case, Goal, Probe, evaluate

START = date(2025, 1, 6)


def case(scores, target=60.0, direction="up", base=40.0) -> Case:
    probes = tuple(Probe(START + timedelta(weeks=k + 1), s) for k, s in enumerate(scores))
    return Case(
        start=START,
        as_of=probes[-1].date,
        probes=probes,
        baseline_probes=(Probe(START, base),),
        goal=Goal(target_date=START + timedelta(weeks=10), target=target, direction=direction),
    )


def test_the_median_of_the_last_three_points_against_the_aim_line():
    config = RuleConfig(decision_rules=("median_three",))
    # Aim line 40 + 2x; last three at weeks 5-7 against 50, 52, 54: median 49 vs 52 -> behind,
    # although one point (60) is above the line, so the four-point rule says mixed.
    result = evaluate(config, case([42, 44, 46, 60, 49, 48, 52]))
    finding = result.finding("median_three")
    assert finding.status == "behind"
    assert (finding.values["median"], finding.values["aim"]) == (49, 52)
    assert result.finding("four_point").status == "mixed"
    assert result.recommendation in ("modify", "intensify")
    assert evaluate(config, case([42, 44, 46, 48, 60, 53, 58])).finding("median_three").status == "ahead"
    # Not selected: reported, not deciding.
    assert (
        evaluate(RuleConfig(decision_rules=("four_point",)), case([42, 44, 46, 60, 49, 48, 52])).recommendation
        == "continue"
    )


def test_behaviour_data_needs_three_points_and_is_judged_on_level_and_trend():
    policy = load_preset("lausd-secondary")
    config = rule_config(policy, tier=2, area="behavior")
    assert config.decision_rules == ("trend", "median_three")
    assert config.trend_min_points == config.median_min_points == 3
    # Office referrals a week, goal: down from 8 to 2. Three points on the wrong side of the line.
    result = evaluate(config, case([9, 8, 9], target=2, direction="down", base=8))
    assert result.finding("median_three").status == "behind"
    assert result.finding("trend").status == "behind"
    academic = rule_config(policy, tier=2, area="ela")
    assert "median_three" not in academic.decision_rules and academic.trend_min_points == 8
