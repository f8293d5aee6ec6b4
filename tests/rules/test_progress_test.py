"""An honest progress test: flat data are called flat (issue 12, item 3)."""

from __future__ import annotations

import random
from datetime import date, timedelta

import pytest
from scipy import stats

from mtss.rules.config import RuleConfig
from mtss.rules.engine import Case, Goal, Probe, evaluate
from mtss.rules.stats import student_t_quantile

START = date(2025, 1, 6)


@pytest.mark.parametrize("p", [0.9, 0.95, 0.975, 0.99])
def test_student_t_quantiles_match_scipy(p):
    for df in (1, 2, 3, 5, 8, 13, 30, 100):
        assert student_t_quantile(p, df) == pytest.approx(stats.t.ppf(p, df), abs=1e-9)


def flat_case(rng: random.Random) -> Case:
    """A flat student: level 40-90 WCPM, realistic R-CBM noise (SD 5-12), 8-20 roughly weekly probes."""
    level = rng.uniform(40, 90)
    noise = rng.uniform(5, 12)
    n = rng.randint(8, 20)
    day = 0
    probes = []
    for _ in range(n):
        day += rng.choice([5, 6, 7, 7, 7, 8, 9])
        probes.append(Probe(START + timedelta(days=day), round(rng.gauss(level, noise))))
    return Case(
        start=START,
        as_of=probes[-1].date,
        probes=tuple(probes),
        baseline_probes=(Probe(START, round(level)),),
        goal=Goal(target_date=START + timedelta(weeks=30), target=round(level) + 45),
    )


def test_at_least_95_percent_of_random_flat_series_are_no_progress():
    # Issue 12: "Across 200 flat series, 104 were called no progress and 96 some progress". With
    # the default test (97.5 % one-sided lower bound of the OLS slope) about 97.5 % are flat.
    rng = random.Random(20251201)
    config = RuleConfig()
    statuses = [evaluate(config, flat_case(rng)).finding("progress").status for _ in range(600)]
    share = statuses.count("no_progress") / len(statuses)
    assert share >= 0.95, share
    # The old rule (a positive slope is progress) is the coin toss the issue measured.
    rng = random.Random(20251201)
    old = RuleConfig(progress_test="roi_threshold")
    old_share = sum(evaluate(old, flat_case(rng)).finding("progress").status == "no_progress" for _ in range(600)) / 600
    assert old_share < 0.7


def test_real_growth_is_progress_and_the_finding_shows_its_numbers():
    probes = tuple(Probe(START + timedelta(weeks=k), 40 + 2 * k + (1 if k % 2 else -1)) for k in range(1, 11))
    case = Case(
        start=START,
        as_of=probes[-1].date,
        probes=probes,
        baseline_probes=(Probe(START, 40),),
        goal=Goal(target_date=START + timedelta(weeks=10), target=58),
    )  # aim 1.8/week
    finding = evaluate(RuleConfig(), case).finding("progress")
    assert finding.status == "adequate_progress"
    values = finding.values
    assert values["slope"] == pytest.approx(
        stats.linregress([k for k in range(1, 11)], [p.score for p in probes]).slope
    )
    assert values["se"] == pytest.approx(stats.linregress(range(1, 11), [p.score for p in probes]).stderr)
    assert values["bound"] == pytest.approx(values["slope"] - stats.t.ppf(0.975, 8) * values["se"])
    assert values["threshold"] == 0 and values["df"] == 8
    assert "standard error" in finding.explanation and "lower bound" in finding.explanation
    slower = Case(
        start=START,
        as_of=probes[-1].date,
        probes=probes,
        baseline_probes=(Probe(START, 40),),
        goal=Goal(target_date=START + timedelta(weeks=5), target=60),
    )  # aim 4/week
    assert evaluate(RuleConfig(), slower).finding("progress").status == "some_progress"


def test_ohios_tier3_path_uses_the_progress_test():
    # OHVA: "student has made no progress and will be moved to Tier II"; "some progress ... modified".
    config = RuleConfig(is_top_tier=True, tier=3)
    flat = tuple(Probe(START + timedelta(weeks=k), 40 + (3 if k % 2 else -3)) for k in range(1, 11))
    case = Case(
        start=START,
        as_of=flat[-1].date,
        probes=flat,
        baseline_probes=(Probe(START, 40),),
        goal=Goal(target_date=START + timedelta(weeks=10), target=60),
    )
    result = evaluate(config, case)
    assert result.finding("progress").status == "no_progress"
    assert result.recommendation == "refer_evaluation"
    rising = tuple(Probe(p.date, p.score + 1.2 * k) for k, p in enumerate(flat, start=1))
    some = evaluate(
        config,
        Case(
            start=START,
            as_of=flat[-1].date,
            probes=rising,
            baseline_probes=(Probe(START, 40),),
            goal=Goal(target_date=START + timedelta(weeks=10), target=60),
        ),
    )
    assert some.finding("progress").status == "some_progress"
    assert some.recommendation == "modify"
