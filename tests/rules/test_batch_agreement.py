"""The vectorised batch path and the one-case engine must agree exactly (issue item 5)."""

from __future__ import annotations

import math

import pandas as pd
import pytest

from mtss.rules.batch import STATUS_COLUMNS, cases_to_frames, evaluate_many
from mtss.rules.engine import changes_tier, evaluate
from tests.rules.random_cases import AS_OF, CONFIGS, random_cases

FLOAT_COLUMNS = ("baseline", "goal_score", "goal_roi", "roi")


def _same_float(a: float | None, b: float) -> bool:
    if a is None:
        return math.isnan(b)
    return not math.isnan(b) and abs(a - b) <= 1e-9 * max(1.0, abs(a))


def _compare(cases: dict, frame: pd.DataFrame, configs: dict = CONFIGS) -> list[str]:
    problems: list[str] = []
    for plan_id, (config_key, case) in cases.items():
        evaluation = evaluate(configs[config_key], case)
        row = frame.loc[plan_id]
        if row["recommendation"] != evaluation.recommendation:
            problems.append(f"plan {plan_id}: recommendation {evaluation.recommendation} != {row['recommendation']}")
        for rule in STATUS_COLUMNS:
            if row[f"status_{rule}"] != evaluation.finding(rule).status:
                problems.append(f"plan {plan_id}: {rule} {evaluation.finding(rule).status} != {row[f'status_{rule}']}")
        for name in FLOAT_COLUMNS:
            if not _same_float(getattr(evaluation, name), row[name]):
                problems.append(f"plan {plan_id}: {name} {getattr(evaluation, name)} != {row[name]}")
        fidelity = evaluation.finding("fidelity").values
        if row["sessions_delivered"] != fidelity["sessions_delivered"]:
            problems.append(f"plan {plan_id}: sessions_delivered differ")
        if not _same_float(fidelity["sessions_pct"], row["sessions_pct"]):
            problems.append(f"plan {plan_id}: sessions_pct {fidelity['sessions_pct']} != {row['sessions_pct']}")
        if not _same_float(fidelity["minutes_pct"], row["minutes_pct"]):
            problems.append(f"plan {plan_id}: minutes_pct {fidelity['minutes_pct']} != {row['minutes_pct']}")
        if row["n_points"] != evaluation.n_points:
            problems.append(f"plan {plan_id}: n_points {evaluation.n_points} != {row['n_points']}")
        trend = evaluation.finding("trend").values
        if "intercept" in trend and not _same_float(trend["intercept"], row["trend_intercept"]):
            problems.append(f"plan {plan_id}: intercept {trend['intercept']} != {row['trend_intercept']}")
        pm = evaluation.finding("pm_frequency").values
        if "max_gap_days" in pm and pm["max_gap_days"] != row["max_gap_days"]:
            problems.append(f"plan {plan_id}: max_gap_days {pm['max_gap_days']} != {row['max_gap_days']}")
        if "current_gap_days" in pm and pm["current_gap_days"] != row["current_gap_days"]:
            problems.append(f"plan {plan_id}: current_gap_days {pm['current_gap_days']} != {row['current_gap_days']}")
        progress = evaluation.finding("progress").values
        if "bound" in progress and not _same_float(progress["bound"], row["progress_bound"]):
            problems.append(f"plan {plan_id}: progress bound {progress['bound']} != {row['progress_bound']}")
        if row["changes_tier"] != changes_tier(configs[config_key], evaluation.recommendation):
            problems.append(f"plan {plan_id}: changes_tier differs")
    return problems


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_it_agrees_with_the_engine_on_random_plans(seed):
    cases = random_cases(1500, seed)
    plans, probes, sessions = cases_to_frames(cases)
    frame = evaluate_many(CONFIGS, plans, probes, sessions, AS_OF)
    assert len(frame) == len(cases)
    problems = _compare(cases, frame)
    assert not problems, "\n".join(problems[:30])


@pytest.mark.parametrize("seed", [1, 2])
def test_it_agrees_with_dual_discrepancy_deciding_wherever_the_config_allows_it(seed):
    # The same plans again, now with RuleConfig.dd_decides on in every config that has dual discrepancy
    # among its decision rules, so both recommendation paths meet every other option.
    configs = {
        key: config.replace(dd_decides="dual_discrepancy" in config.decision_rules) for key, config in CONFIGS.items()
    }
    assert sum(config.dd_decides for config in configs.values()) >= 5
    cases = random_cases(1500, seed)
    frame = evaluate_many(configs, *cases_to_frames(cases), AS_OF)
    problems = _compare(cases, frame, configs)
    assert not problems, "\n".join(problems[:30])


def test_the_random_data_reaches_every_recommendation_and_status():
    # Guards the agreement test itself: random data that never reaches a branch proves nothing about it.
    cases = random_cases(1500, 1)
    frame = evaluate_many(CONFIGS, *cases_to_frames(cases), AS_OF)
    recommendations = set(frame["recommendation"])
    assert recommendations == {
        "insufficient_data",
        "low_fidelity",
        "continue",
        "raise_goal",
        "modify",
        "intensify",
        "exit",
        "refer_evaluation",
    }
    assert set(frame["status_four_point"]) == {"insufficient_data", "behind", "ahead", "mixed"}
    assert set(frame["status_trend"]) == {"insufficient_data", "behind", "ahead", "on_track"}
    assert set(frame["status_dual_discrepancy"]) == {"not_applicable", "insufficient_data", "non_responder", "adequate"}
    assert set(frame["status_fidelity"]) == {"not_applicable", "low", "adequate"}
    assert set(frame["status_pm_frequency"]) == {"compliant", "not_compliant"}
    assert set(frame["status_review_due"]) == {"not_applicable", "due", "not_due"}
    assert set(frame["status_goal"]) == {"ok", "invalid", "insufficient_data"}
    assert set(frame["status_median_three"]) == {"insufficient_data", "behind", "ahead", "on_track"}
    assert set(frame["status_progress"]) == {"insufficient_data", "no_progress", "some_progress", "adequate_progress"}
    assert set(frame["status_duration"]) == {"not_applicable", "before_min", "within", "past_max"}
    assert set(frame["changes_tier"]) == {True, False}


def test_the_random_data_exercises_both_paths_of_dd_decides():
    # RuleConfig.dd_decides: where dual discrepancy applies it alone decides; elsewhere the other rules do.
    # Every plan under each dd-deciding configuration (batch only; agreement is tested above):
    # some branches are rare with nine configurations drawn at random.
    cases = random_cases(3000, 1)
    plans, probes, sessions = cases_to_frames(cases)
    dd = pd.concat(
        [
            evaluate_many(CONFIGS[key], plans, probes, sessions, AS_OF)
            for key, config in CONFIGS.items()
            if config.dd_decides
        ],
        ignore_index=True,
    )
    applies = dd["status_dual_discrepancy"].isin(["adequate", "non_responder"])
    other_behind = (dd["status_trend"] == "behind") | (dd["status_four_point"] == "behind")
    reached = {
        "adequate, another rule behind -> continue": applies & other_behind & (dd["recommendation"] == "continue"),
        "adequate and ahead -> raise_goal": applies & (dd["recommendation"] == "raise_goal"),
        "non_responder -> intensify": applies & (dd["recommendation"] == "intensify"),
        "non_responder at the top tier -> refer_evaluation": applies & (dd["recommendation"] == "refer_evaluation"),
        "non_responder, gated": applies
        & dd["recommendation"].isin(["low_fidelity", "insufficient_data"])
        & (dd["status_dual_discrepancy"] == "non_responder"),
        "no norms -> other rules, modify": (dd["status_dual_discrepancy"] == "not_applicable")
        & (dd["recommendation"] == "modify"),
        "too few points -> other rules say behind": (dd["status_dual_discrepancy"] == "insufficient_data")
        & dd["recommendation"].isin(["modify", "intensify", "refer_evaluation"]),
    }
    assert [name for name, mask in reached.items() if not mask.any()] == []


def test_it_accepts_one_config_for_every_plan_and_ignores_unknown_plans():
    cases = random_cases(50, 7)
    cases = {plan_id: ("default", case) for plan_id, (_, case) in cases.items()}
    plans, probes, sessions = cases_to_frames(cases)
    probes = pd.concat(
        [
            probes,
            pd.DataFrame({"plan_id": [999], "date": [pd.Timestamp(AS_OF)], "score": [1.0], "is_baseline": [False]}),
        ]
    )
    frame = evaluate_many(CONFIGS["default"], plans, probes, sessions, AS_OF)
    assert not _compare(cases, frame)


def test_it_handles_empty_probe_and_session_tables():
    cases = random_cases(20, 11)
    plans, probes, sessions = cases_to_frames(cases)
    frame = evaluate_many(CONFIGS, plans, probes.iloc[0:0], sessions.iloc[0:0], AS_OF)
    assert set(frame["recommendation"]) == {"insufficient_data"}
    assert (frame["n_points"] == 0).all()


def test_it_refuses_an_unknown_config_key():
    cases = random_cases(5, 3)
    plans, probes, sessions = cases_to_frames(cases)
    plans.loc[0, "config"] = "nope"
    with pytest.raises(KeyError, match="nope"):
        evaluate_many(CONFIGS, plans, probes, sessions, AS_OF)


def test_the_random_data_reaches_the_tier_meanings_and_the_calendars():
    cases = random_cases(1500, 2)
    frame = evaluate_many(CONFIGS, *cases_to_frames(cases), AS_OF)
    keys = pd.Series({plan_id: key for plan_id, (key, _) in cases.items()})
    # Special-education tier: never a referral; intensify stays in the tier.
    special = frame[keys == "median"]
    assert "refer_evaluation" not in set(special["recommendation"]) and "intensify" in set(special["recommendation"])
    assert not special.loc[special["recommendation"] == "intensify", "changes_tier"].any()
    # "either below" with the aim rate: some plans are adequate with the level below the cut.
    holland = [evaluate(CONFIGS["holland_like"], case) for key, case in cases.values() if key == "holland_like"]
    assert any(
        e.finding("dual_discrepancy").values.get("growth_meets_aim_rate")
        and e.finding("dual_discrepancy").values.get("level_below")
        and e.finding("dual_discrepancy").status == "adequate"
        for e in holland
    )
    with_breaks = [plan_id for plan_id, (_, case) in cases.items() if case.non_instructional]
    assert len(with_breaks) > 500
