"""Benchmark: the decision rules over a synthetic district (``make bench``).

    DJANGO_SETTINGS_MODULE=mtss.settings .venv/bin/python -m benchmarks.bench_engine [--plans N]

Generates, with numpy, a district of 10,000 active plans with 200,000 probes
(3 baseline + 17 progress-monitoring probes per plan) and 400,000 logged
sessions, under four tier configurations. It times ``batch.evaluate_many`` over
the whole district (best of a few runs, including the date conversions inside
it) and the pure-Python ``engine.evaluate`` over a sample of plans, scaled to
the district, and prints both, the per-plan cost and the ratio. The target is
under 2 seconds for the district on a 2-core machine. It also checks that the
two paths agree on the sample.
"""

from __future__ import annotations

import argparse
import os
import time
from datetime import date

import numpy as np
import pandas as pd

AS_OF = date(2025, 3, 14)
STATUSES = np.array(["delivered", "student_absent", "provider_absent", "cancelled"], dtype=object)


def _configs():
    from mtss.rules.config import RuleConfig

    return {
        "tier2": RuleConfig(policy_name="bench", tier=2, sessions_per_week=4, minutes_per_session=30,
                            min_sessions_before_decision=40, review_every_weeks=3),
        "tier3": RuleConfig(policy_name="bench", tier=3, is_top_tier=True, sessions_per_week=5,
                            minutes_per_session=60, min_sessions_before_decision=45, review_after_weeks=6),
        "cycle": RuleConfig(policy_name="bench", sessions_per_cycle=3, cycle_days=6, minutes_per_session=30,
                            pm_every_days=35, pm_every_sessions=10, review_every_weeks=5),
        "tukey_dd": RuleConfig(policy_name="bench", trend_method="tukey", dd_level_cut=62, dd_roi_cut=1.1,
                               decision_rules=("dual_discrepancy", "trend")),
        # Loudon: with norms, dual discrepancy alone decides (002_..., "level OR rate of growth").
        "dd_decides": RuleConfig(policy_name="bench", dd_level_cut=62, dd_roi_cut=1.1, dd_decides=True,
                                 decision_rules=("dual_discrepancy", "trend"), min_sessions_before_decision=40),
    }


def synthetic_district(n_plans: int = 10_000, probes_per_plan: int = 20, sessions_per_plan: int = 40,
                       seed: int = 2025) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """Plans, probes and sessions tables for ``evaluate_many`` (numpy only, no loops)."""
    rng = np.random.default_rng(seed)
    as_of = np.datetime64(AS_OF, "D")
    weeks_running = rng.integers(2, 20, n_plans)
    start = as_of - weeks_running * 7
    base_level = rng.integers(20, 90, n_plans).astype(float)
    growth = rng.normal(1.5, 1.0, n_plans)
    direction = np.where(rng.random(n_plans) < 0.1, "down", "up")
    sign = np.where(direction == "down", -1.0, 1.0)
    weeks_to_goal = rng.integers(10, 36, n_plans)
    plans = pd.DataFrame({
        "plan_id": np.arange(n_plans),
        "config": rng.choice(["tier2", "tier3", "cycle", "tukey_dd", "dd_decides"], n_plans),
        "start": start.astype("datetime64[ns]"),
        "target_date": (start + weeks_to_goal * 7).astype("datetime64[ns]"),
        "target": base_level + sign * rng.integers(10, 50, n_plans),
        "target_roi": np.nan,
        "direction": direction,
        "level_cut": np.where(rng.random(n_plans) < 0.5, base_level + 15 * sign, np.nan),
        "roi_cut": np.where(rng.random(n_plans) < 0.5, 1.1 * sign, np.nan),
        "tier_start": (start - rng.integers(0, 60, n_plans)).astype("datetime64[ns]"),
        "last_review": (as_of - rng.integers(0, 40, n_plans)).astype("datetime64[ns]"),
    })

    n_baseline = 3
    n_pm = probes_per_plan - n_baseline
    plan_of_probe = np.repeat(np.arange(n_plans), probes_per_plan)
    k = np.tile(np.arange(probes_per_plan), n_plans)
    is_baseline = k < n_baseline
    # PM probes spread over the weeks the plan has run (uneven, some on the same day).
    span_days = weeks_running[plan_of_probe] * 7
    pm_day = np.floor((k - n_baseline + rng.random(len(k))) / n_pm * span_days).astype(np.int64) + 1
    day = np.where(is_baseline, -rng.integers(1, 10, len(k)), pm_day)
    score = (base_level[plan_of_probe] + sign[plan_of_probe] * growth[plan_of_probe] * np.maximum(day, 0) / 7
             + rng.normal(0, 4, len(k))).round()
    probes = pd.DataFrame({
        "plan_id": plan_of_probe,
        "date": (start[plan_of_probe] + day).astype("datetime64[ns]"),
        "score": score,
        "is_baseline": is_baseline,
    })

    plan_of_session = np.repeat(np.arange(n_plans), sessions_per_plan)
    session_day = (rng.random(len(plan_of_session)) * weeks_running[plan_of_session] * 7).astype(np.int64)
    sessions = pd.DataFrame({
        "plan_id": plan_of_session,
        "date": (start[plan_of_session] + session_day).astype("datetime64[ns]"),
        "minutes": rng.choice([20.0, 30.0, 30.0, 45.0, 60.0], len(plan_of_session)),
        "status": STATUSES[rng.choice(4, len(plan_of_session), p=[0.82, 0.08, 0.05, 0.05])],
    })
    return plans, probes, sessions


def frames_to_cases(plans: pd.DataFrame, probes: pd.DataFrame, sessions: pd.DataFrame):
    """Engine cases for some plans of the tables (to time the pure-Python path)."""
    from mtss.rules.engine import Case, Goal, Probe, Session

    def day(value) -> date:
        return pd.Timestamp(value).date()

    probes_by_plan = {key: group for key, group in probes.groupby("plan_id")}
    sessions_by_plan = {key: group for key, group in sessions.groupby("plan_id")}
    empty_probes = probes.iloc[0:0]
    empty_sessions = sessions.iloc[0:0]
    cases = {}
    for row in plans.itertuples(index=False):
        plan_probes = probes_by_plan.get(row.plan_id, empty_probes)
        plan_sessions = sessions_by_plan.get(row.plan_id, empty_sessions)
        baseline_rows = plan_probes[plan_probes["is_baseline"]]
        pm_rows = plan_probes[~plan_probes["is_baseline"]]
        cases[row.plan_id] = (row.config, Case(
            start=day(row.start), as_of=AS_OF,
            goal=Goal(target_date=day(row.target_date), target=float(row.target), direction=row.direction),
            baseline_probes=tuple(Probe(day(d), float(s)) for d, s in zip(baseline_rows["date"],
                                                                           baseline_rows["score"])),
            probes=tuple(Probe(day(d), float(s)) for d, s in zip(pm_rows["date"], pm_rows["score"])),
            sessions=tuple(Session(day(d), float(m), st) for d, m, st in zip(
                plan_sessions["date"], plan_sessions["minutes"], plan_sessions["status"])),
            level_cut=None if np.isnan(row.level_cut) else float(row.level_cut),
            roi_cut=None if np.isnan(row.roi_cut) else float(row.roi_cut),
            tier_start=day(row.tier_start), last_review=day(row.last_review),
        ))
    return cases


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--plans", type=int, default=10_000)
    parser.add_argument("--sample", type=int, default=1_000, help="plans timed on the pure-Python path")
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args(argv)

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "mtss.settings")
    # The engine only needs settings for gettext; a benchmark may run with the test key.
    os.environ.setdefault("MTSS_TESTING", "1")
    import django

    django.setup()
    from mtss.rules.batch import evaluate_many
    from mtss.rules.engine import evaluate

    configs = _configs()
    plans, probes, sessions = synthetic_district(args.plans, 20, 40)
    print(f"district: {len(plans):,} plans, {len(probes):,} probes, {len(sessions):,} sessions "
          f"(as of {AS_OF})")

    timings = []
    for _ in range(args.repeat):
        began = time.perf_counter()
        result = evaluate_many(configs, plans, probes, sessions, AS_OF)
        timings.append(time.perf_counter() - began)
    batch_seconds = min(timings)
    per_plan_batch = batch_seconds / len(plans)
    print(f"batch  evaluate_many: {batch_seconds:.3f} s for the district (best of {args.repeat}: "
          + ", ".join(f"{t:.3f}" for t in timings) + f"), {per_plan_batch * 1e6:.1f} us per plan")
    print("        recommendations: " + ", ".join(
        f"{name} {count}" for name, count in result["recommendation"].value_counts().items()))

    sample_ids = plans["plan_id"].to_numpy()[:: max(1, len(plans) // args.sample)][: args.sample]
    sample_plans = plans[plans["plan_id"].isin(sample_ids)]
    cases = frames_to_cases(sample_plans, probes[probes["plan_id"].isin(sample_ids)],
                            sessions[sessions["plan_id"].isin(sample_ids)])
    began = time.perf_counter()
    evaluations = {plan_id: evaluate(configs[key], case) for plan_id, (key, case) in cases.items()}
    engine_seconds = time.perf_counter() - began
    per_plan_engine = engine_seconds / len(cases)
    scaled = per_plan_engine * len(plans)
    print(f"engine evaluate:      {engine_seconds:.3f} s for a sample of {len(cases):,} plans, "
          f"{per_plan_engine * 1e6:.1f} us per plan; scaled to the district: {scaled:.2f} s")
    print(f"ratio: the batch path is {scaled / batch_seconds:.1f}x faster than the pure-Python engine")

    disagreements = sum(
        1 for plan_id, evaluation in evaluations.items()
        if evaluation.recommendation != result.loc[plan_id, "recommendation"])
    print(f"agreement on the sample: {len(evaluations) - disagreements}/{len(evaluations)} recommendations equal")
    verdict = "OK" if batch_seconds < 2.0 else "SLOW"
    print(f"{verdict}: target is under 2 s for 10,000 plans")
    if disagreements:
        raise SystemExit(1)


if __name__ == "__main__":
    main()
