"""Benchmark: the decision rules over a synthetic district (``make bench``).

    DJANGO_SETTINGS_MODULE=mtss.settings .venv/bin/python -m benchmarks.bench_engine [--plans N]

Generates, with numpy, a district of 10,000 active plans with 200,000 probes
(3 baseline + 17 progress-monitoring probes per plan) and 400,000 logged
sessions, under five tier configurations, three school calendars (a winter and
a spring break, single closures, a four-day week) and dual-discrepancy criteria
from a percentile norm table by grade (``mtss.rules.norms``). It times
``batch.evaluate_many`` over the whole district with calendars and norms, and,
interleaved with it for the same number of repetitions, the previous release's
call (no calendars, no norm table: weekdays only), and prints both and their
ratio; then the pure-Python ``engine.evaluate`` over a sample of plans, scaled
to the district. The target is under 1 second for the district on a 2-core
machine. It also checks that the two paths agree on the sample.
``--quick`` (1,000 plans, one repetition) is what CI runs so the benchmark does not rot.
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
        "tier2": RuleConfig(
            policy_name="bench",
            tier=2,
            sessions_per_week=4,
            minutes_per_session=30,
            min_sessions_before_decision=40,
            review_every_weeks=3,
        ),
        "tier3": RuleConfig(
            policy_name="bench",
            tier=3,
            is_top_tier=True,
            sessions_per_week=5,
            minutes_per_session=60,
            min_sessions_before_decision=45,
            review_after_weeks=6,
        ),
        "cycle": RuleConfig(
            policy_name="bench",
            sessions_per_cycle=3,
            cycle_days=6,
            minutes_per_session=30,
            pm_every_days=35,
            pm_every_sessions=10,
            review_every_weeks=5,
        ),
        "tukey_dd": RuleConfig(
            policy_name="bench",
            trend_method="tukey",
            dd_level_cut=62,
            dd_roi_cut=1.1,
            decision_rules=("dual_discrepancy", "trend"),
        ),
        # Loudon: with norms, dual discrepancy alone decides (002_..., "level OR rate of growth").
        "dd_decides": RuleConfig(
            policy_name="bench",
            dd_level_cut=62,
            dd_roi_cut=1.1,
            dd_decides=True,
            decision_rules=("dual_discrepancy", "trend"),
            min_sessions_before_decision=40,
        ),
    }


def _calendars():
    from mtss.rules.calendar import SchoolCalendar, expand_ranges

    breaks = expand_ranges([(date(2024, 12, 23), date(2025, 1, 3)), (date(2025, 3, 17), date(2025, 3, 21))])
    holidays = {date(2024, 11, 28), date(2024, 11, 29), date(2025, 1, 20), date(2025, 2, 17)}
    return {
        "district": SchoolCalendar(frozenset(breaks | holidays)),
        "snow-days": SchoolCalendar(frozenset(breaks | holidays | {date(2025, 2, 3), date(2025, 2, 4)})),
        "four-day-week": SchoolCalendar(frozenset(breaks | holidays), weekdays=(0, 1, 2, 3)),
    }


def _norm_cuts_by_grade() -> dict[int, tuple[float, float]]:
    """Level and weekly growth cuts per grade from an aimsweb-like percentile table (25th percentile)."""
    from mtss.rules.norms import NormPoint, dual_discrepancy_cuts

    table = [
        NormPoint(grade, season, percentile, 20 + 18 * grade + 15 * index + (percentile - 25) * 0.8)
        for grade in range(1, 9)
        for index, season in enumerate(("fall", "winter", "spring"))
        for percentile in (10, 25, 50, 75, 90)
    ]
    cuts = {}
    for grade in range(1, 9):
        found = dual_discrepancy_cuts(table, grade=grade, on=AS_OF)
        cuts[grade] = (found.level_cut, found.roi_cut)
    return cuts


def synthetic_district(
    n_plans: int = 10_000, probes_per_plan: int = 20, sessions_per_plan: int = 40, seed: int = 2025
) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
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
    plans = pd.DataFrame(
        {
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
            "grade": rng.integers(1, 9, n_plans),
            "calendar": rng.choice(["district", "district", "snow-days", "four-day-week"], n_plans),
        }
    )

    n_baseline = 3
    n_pm = probes_per_plan - n_baseline
    plan_of_probe = np.repeat(np.arange(n_plans), probes_per_plan)
    k = np.tile(np.arange(probes_per_plan), n_plans)
    is_baseline = k < n_baseline
    # PM probes spread over the weeks the plan has run (uneven, some on the same day).
    span_days = weeks_running[plan_of_probe] * 7
    pm_day = np.floor((k - n_baseline + rng.random(len(k))) / n_pm * span_days).astype(np.int64) + 1
    day = np.where(is_baseline, -rng.integers(1, 10, len(k)), pm_day)
    score = (
        base_level[plan_of_probe]
        + sign[plan_of_probe] * growth[plan_of_probe] * np.maximum(day, 0) / 7
        + rng.normal(0, 4, len(k))
    ).round()
    probes = pd.DataFrame(
        {
            "plan_id": plan_of_probe,
            "date": (start[plan_of_probe] + day).astype("datetime64[ns]"),
            "score": score,
            "is_baseline": is_baseline,
        }
    )

    plan_of_session = np.repeat(np.arange(n_plans), sessions_per_plan)
    session_day = (rng.random(len(plan_of_session)) * weeks_running[plan_of_session] * 7).astype(np.int64)
    sessions = pd.DataFrame(
        {
            "plan_id": plan_of_session,
            "date": (start[plan_of_session] + session_day).astype("datetime64[ns]"),
            "minutes": rng.choice([20.0, 30.0, 30.0, 45.0, 60.0], len(plan_of_session)),
            "status": STATUSES[rng.choice(4, len(plan_of_session), p=[0.82, 0.08, 0.05, 0.05])],
        }
    )
    return plans, probes, sessions


def with_norms(plans: pd.DataFrame) -> pd.DataFrame:
    """Plans with norms: the level and growth cuts of the plan's grade (up-goals only)."""
    cuts = _norm_cuts_by_grade()
    plans = plans.copy()
    has_norms = (plans["direction"] == "up").to_numpy()
    plans["level_cut"] = np.where(has_norms, plans["grade"].map(lambda g: cuts[g][0]), plans["level_cut"])
    plans["roi_cut"] = np.where(has_norms, plans["grade"].map(lambda g: cuts[g][1]), plans["roi_cut"])
    return plans


def frames_to_cases(plans: pd.DataFrame, probes: pd.DataFrame, sessions: pd.DataFrame, calendars=None):
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
        cases[row.plan_id] = (
            row.config,
            Case(
                start=day(row.start),
                as_of=AS_OF,
                goal=Goal(target_date=day(row.target_date), target=float(row.target), direction=row.direction),
                baseline_probes=tuple(
                    Probe(day(d), float(s)) for d, s in zip(baseline_rows["date"], baseline_rows["score"], strict=False)
                ),
                probes=tuple(Probe(day(d), float(s)) for d, s in zip(pm_rows["date"], pm_rows["score"], strict=False)),
                sessions=tuple(
                    Session(day(d), float(m), st)
                    for d, m, st in zip(
                        plan_sessions["date"], plan_sessions["minutes"], plan_sessions["status"], strict=False
                    )
                ),
                level_cut=None if np.isnan(row.level_cut) else float(row.level_cut),
                roi_cut=None if np.isnan(row.roi_cut) else float(row.roi_cut),
                tier_start=day(row.tier_start),
                last_review=day(row.last_review),
                **(
                    {}
                    if calendars is None
                    else {
                        "non_instructional": calendars[row.calendar].non_instructional,
                        "weekdays": calendars[row.calendar].weekdays,
                    }
                ),
            ),
        )
    return cases


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--plans", type=int, default=10_000)
    parser.add_argument("--sample", type=int, default=1_000, help="plans timed on the pure-Python path")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--quick", action="store_true", help="1,000 plans, a sample of 200, one repetition (CI)")
    args = parser.parse_args(argv)
    if args.quick:
        args.plans, args.sample, args.repeat = 1_000, 200, 1

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "mtss.settings")
    # The engine only needs settings for gettext; a benchmark may run with the test key.
    os.environ.setdefault("MTSS_TESTING", "1")
    import django

    django.setup()
    from mtss.rules.batch import evaluate_many
    from mtss.rules.engine import evaluate

    configs = _configs()
    calendars = _calendars()
    plans, probes, sessions = synthetic_district(args.plans, 20, 40)
    plans = with_norms(plans)
    previous = plans.drop(columns=["calendar"])  # the previous release: weekdays only, no norm table
    print(
        f"district: {len(plans):,} plans, {len(probes):,} probes, {len(sessions):,} sessions, "
        f"{len(calendars)} calendars, norms for {int(plans['level_cut'].notna().sum()):,} plans (as of {AS_OF})"
    )

    timings, previous_timings = [], []
    for _ in range(args.repeat):  # interleaved, the same number of runs of each
        began = time.perf_counter()
        result = evaluate_many(configs, plans, probes, sessions, AS_OF, calendars)
        timings.append(time.perf_counter() - began)
        began = time.perf_counter()
        evaluate_many(configs, previous, probes, sessions, AS_OF)
        previous_timings.append(time.perf_counter() - began)
    batch_seconds = min(timings)
    previous_seconds = min(previous_timings)
    per_plan_batch = batch_seconds / len(plans)
    print(
        f"batch  evaluate_many: {batch_seconds:.3f} s for the district with calendars and norms (best of "
        f"{args.repeat}: " + ", ".join(f"{t:.3f}" for t in timings) + f"), {per_plan_batch * 1e6:.1f} us per plan"
    )
    print(
        "previous path (the same call without calendars or norm tables, as the previous release): "
        f"{previous_seconds:.3f} s; ratio {batch_seconds / previous_seconds:.2f}"
    )
    print(
        "        recommendations: "
        + ", ".join(f"{name} {count}" for name, count in result["recommendation"].value_counts().items())
    )

    sample_ids = plans["plan_id"].to_numpy()[:: max(1, len(plans) // args.sample)][: args.sample]
    sample_plans = plans[plans["plan_id"].isin(sample_ids)]
    cases = frames_to_cases(
        sample_plans,
        probes[probes["plan_id"].isin(sample_ids)],
        sessions[sessions["plan_id"].isin(sample_ids)],
        calendars,
    )
    began = time.perf_counter()
    evaluations = {plan_id: evaluate(configs[key], case) for plan_id, (key, case) in cases.items()}
    engine_seconds = time.perf_counter() - began
    per_plan_engine = engine_seconds / len(cases)
    scaled = per_plan_engine * len(plans)
    print(
        f"engine evaluate:      {engine_seconds:.3f} s for a sample of {len(cases):,} plans, "
        f"{per_plan_engine * 1e6:.1f} us per plan; scaled to the district: {scaled:.2f} s"
    )
    print(f"ratio: the batch path is {scaled / batch_seconds:.1f}x faster than the pure-Python engine")

    disagreements = sum(
        1
        for plan_id, evaluation in evaluations.items()
        if evaluation.recommendation != result.loc[plan_id, "recommendation"]
    )
    print(f"agreement on the sample: {len(evaluations) - disagreements}/{len(evaluations)} recommendations equal")
    verdict = "OK" if batch_seconds < 1.0 else "SLOW"
    print(f"{verdict}: target is under 1 s for {len(plans):,} plans")
    if disagreements:
        raise SystemExit(1)


if __name__ == "__main__":
    main()
