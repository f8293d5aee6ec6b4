"""Random plans for the engine/batch agreement test.

The generator aims at the edges, not at realism: integer scores (so points land
exactly on the aim line), several probes on one day, probes before the plan
start and after ``as_of``, descending goals, goals by ROI, goal dates before the
start, plans with no probes or no sessions, every session status, 6-day cycles,
school calendars (breaks, single closures, four-day weeks; probes and sessions
on non-instructional days) and configurations that switch every option of
``RuleConfig``.
"""

from __future__ import annotations

import random
from datetime import date, timedelta

from mtss.rules.config import RuleConfig
from mtss.rules.engine import SESSION_STATUSES, Case, Goal, Probe, Session

AS_OF = date(2025, 3, 14)

CONFIGS: dict[str, RuleConfig] = {
    "default": RuleConfig(),
    "tukey": RuleConfig(
        trend_method="tukey",
        trend_min_points=5,
        four_point_n=3,
        four_point_min_points=4,
        min_weeks=2,
        pm_every_days=14,
        review_after_weeks=6,
        review_every_weeks=3,
    ),
    "median_median": RuleConfig(
        trend_method="tukey",
        tukey_variant="median_median",
        trend_min_points=6,
        parallel_tolerance_abs=0.5,
        dd_level_cut=60,
        dd_roi_cut=1.0,
        decision_rules=("dual_discrepancy",),
        is_top_tier=True,
        min_sessions_before_decision=20,
        dd_decides=True,
    ),
    "loudon_like": RuleConfig(
        decision_rules=("dual_discrepancy", "trend"),
        dd_level_points=1,
        min_sessions_before_decision=40,
        sessions_per_week=4,
        minutes_per_session=30,
        review_every_weeks=3,
        four_point_tolerance=0.5,
        baseline_k=5,
        session_minutes_must_match_dosage=True,
        dd_decides=True,
    ),
    # Dual discrepancy decides when it applies, with all three rules driving otherwise: exercises
    # "adequate but another rule behind" (set aside), "adequate and ahead" (raise_goal), and the
    # fallback to the other rules without norms or with too few points.
    "dd_decides": RuleConfig(
        progress_test="roi_threshold",
        dd_decides=True,
        dd_combine="either_below",
        four_point_n=3,
        four_point_min_points=4,
        trend_min_points=6,
        min_weeks=2,
        min_sessions_before_decision=20,
        parallel_tolerance_abs=0.5,
    ),
    "strict": RuleConfig(
        progress_test="roi_threshold",
        dd_combine="either_below",
        fidelity_basis="minutes",
        fidelity_threshold_pct=90,
        low_fidelity_blocks_nonresponse=False,
        exit_on_goal_met=False,
        raise_goal_when_ahead=False,
        no_progress_roi=0.5,
        pm_every_days=None,
        pm_every_sessions=10,
        sessions_per_cycle=3,
        cycle_days=6,
        minutes_per_session=25,
    ),
    "cycle": RuleConfig(
        sessions_per_cycle=6,
        cycle_days=6,
        fidelity_basis="sessions",
        pm_every_sessions=1,
        pm_every_days=35,
        pm_grace_days=0,
        exit_points=1,
        roi_min_points=4,
        decision_rules=("four_point",),
        review_after_weeks=2.5,
        pm_recent_periods=2,
    ),
    # NCII's median rule with the trend, a special-education tier, Holland Patent's "either
    # below" that a rate on the aim line satisfies, and a duration range.
    "median": RuleConfig(
        decision_rules=("median_three", "trend"),
        median_min_points=3,
        trend_min_points=3,
        min_weeks=1,
        is_top_tier=True,
        is_special_education_tier=True,
        duration_min_weeks=4,
        duration_max_weeks=12,
        progress_confidence=0.95,
    ),
    "holland_like": RuleConfig(
        dd_combine="either_below",
        dd_aim_rate_satisfies=True,
        dd_level_cut=50,
        dd_roi_cut=1.0,
        is_top_tier=True,
        top_tier_intensify="intensify_within_tier",
        sessions_per_cycle=3,
        cycle_days=6,
        pm_every_sessions=10,
        pm_every_days=35,
        review_every_weeks=5,
        duration_min_weeks=10,
        duration_max_weeks=20,
        decision_rules=("four_point", "trend", "dual_discrepancy", "median_three"),
    ),
}

# Calendars: none, a winter break, a break plus single closures, a four-day week.
_BREAK = frozenset(AS_OF - timedelta(days=d) for d in range(70, 84))
CALENDARS: list[dict[str, object]] = [
    {},
    {"non_instructional": _BREAK},
    {"non_instructional": _BREAK | {AS_OF - timedelta(days=d) for d in (3, 17, 40, 41)}},
    {"weekdays": (0, 1, 2, 3), "non_instructional": frozenset({AS_OF - timedelta(days=30)})},
]


def _day(rng: random.Random, start: date, low: int, high: int) -> date:
    return start + timedelta(days=rng.randint(low, high))


def random_case(rng: random.Random) -> tuple[str, Case]:
    config_key = rng.choice(sorted(CONFIGS))
    start = AS_OF - timedelta(days=rng.choice([-3, 0, 15, 21, 45, 60, 70, 90, 90, 120, 120, 150]))
    direction = rng.choice(["up", "up", "up", "down"])
    sign = -1 if direction == "down" else 1
    weeks_to_goal = rng.choice([-1, 0, 4, 10, 18, 18, 24, 30, 30])
    base_level = rng.randint(20, 80)
    if rng.random() < 0.8:
        goal = Goal(
            target_date=start + timedelta(weeks=weeks_to_goal),
            target=base_level + sign * rng.randint(0, 40),
            direction=direction,
        )
    else:
        goal = Goal(
            target_date=start + timedelta(weeks=weeks_to_goal),
            roi=sign * rng.choice([0.5, 1, 1.5, 2.25]),
            direction=direction,
        )
    n_baseline = rng.choice([0, 1, 2, 3, 3, 3, 3, 3, 4, 5, 6])
    baseline_probes = tuple(Probe(_day(rng, start, -14, 3), base_level + rng.randint(-5, 5)) for _ in range(n_baseline))
    growth = rng.choice([-1.0, 0.0, 0.5, 1.0, 2.0, 3.0]) * sign
    cadence = rng.choice([3, 5, 7, 7, 7, 14])
    probes: list[Probe] = []
    day = rng.randint(-10, 7)
    while day <= (AS_OF - start).days + 10:
        weeks = day / 7
        noise = rng.choice([0, 0, rng.randint(-6, 6)])
        score = round(base_level + growth * weeks) + noise
        if rng.random() < 0.7 and growth == int(growth):
            score = int(score)
        probes.append(Probe(start + timedelta(days=day), score))
        if rng.random() < 0.15:  # a second probe the same day
            probes.append(Probe(start + timedelta(days=day), score + rng.randint(-3, 3)))
        day += max(1, cadence + rng.randint(-2, 2))
    if rng.random() < 0.1:
        probes = []
    if rng.random() < 0.2:  # a perfect line on the aim line itself
        probes = [Probe(start + timedelta(days=7 * k), base_level + 2 * k * sign) for k in range(1, 12)]
    rng.shuffle(probes)
    sessions = tuple(
        Session(
            _day(rng, start, -5, (AS_OF - start).days + 5),
            rng.choice([0, 20, 25, 30, 30, 45]),
            rng.choice(SESSION_STATUSES + ("delivered",) * 4),
        )
        for _ in range(rng.choice([0, 5, 20, 40, 60]))
    )
    dosage: dict[str, object] = rng.choice(
        [
            {},
            {"sessions_per_week": rng.choice([1, 3, 4, 5, 2.5]), "minutes_per_session": rng.choice([20, 30, 60])},
            {"sessions_per_cycle": 3, "cycle_days": 6, "minutes_per_session": 30},
            {"sessions_per_week": 4},
        ]
    )
    norms: dict[str, object] = rng.choice(
        [{}, {"level_cut": base_level + 10 * sign, "roi_cut": 1.1 * sign}, {"level_cut": base_level}]
    )
    tier_start = rng.choice([None, start - timedelta(days=rng.randint(0, 60))])
    last_review = rng.choice([None, AS_OF - timedelta(days=rng.randint(0, 40))])
    calendar = rng.choice(CALENDARS)
    case = Case(
        start=start,
        as_of=AS_OF,
        goal=goal,
        baseline_probes=baseline_probes,
        probes=tuple(probes),
        sessions=sessions,
        tier_start=tier_start,
        last_review=last_review,
        **dosage,
        **norms,
        **calendar,
    )  # type: ignore[arg-type]
    return config_key, case


def random_cases(n: int, seed: int) -> dict[int, tuple[str, Case]]:
    rng = random.Random(seed)
    return {plan_id: random_case(rng) for plan_id in range(n)}
