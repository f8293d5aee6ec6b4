"""Several measures of one plan, one recommendation (issue 12, item 6).

A plan may monitor more than one measure, e.g. an oral-reading probe and a
behaviour rating: LAUSD asks interventionists to use "multiple measures of data
... for instruction and behavior" (seed 000). Each measure is evaluated on its
own (its own goal, aim line and findings: ``engine.evaluate``); the policy's
``decision_rules.multiple_measures.combine`` says how their recommendations
combine:

* ``most_intensive``: the most intensive recommendation among the measures with
  enough data (``insufficient_data`` only when none has enough);
* ``primary_decides``: the primary measure decides, the others inform;
* ``all_must_respond``: every measure needs enough data; the student responds
  only when each measure says so, and exits or has the goal raised only when
  every measure says that.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Literal

from mtss.rules.config import RuleConfig
from mtss.rules.engine import Case, Evaluation, evaluate

Combine = Literal["most_intensive", "primary_decides", "all_must_respond"]

# From least to most intensive. low_fidelity sits below modify: the data suggest
# non-response but delivery has to be fixed first.
INTENSITY = ("exit", "raise_goal", "continue", "low_fidelity", "modify", "intensify", "refer_evaluation")
NOT_RESPONDING = ("low_fidelity", "modify", "intensify", "refer_evaluation")


@dataclass(frozen=True, slots=True)
class PlanEvaluation:
    recommendation: str
    combine: str
    primary: str
    drivers: tuple[str, ...]
    evaluations: dict[str, Evaluation]
    explanation: str


def _most_intensive(recommendations: Mapping[str, str]) -> tuple[str, tuple[str, ...]]:
    top = max(recommendations.values(), key=INTENSITY.index)
    return top, tuple(key for key, value in recommendations.items() if value == top)


def combine_recommendations(
    recommendations: Mapping[str, str], *, combine: Combine, primary: str
) -> tuple[str, tuple[str, ...], str]:
    """``(recommendation, driving measures, explanation)`` for measure -> recommendation."""
    if primary not in recommendations:
        raise KeyError(f"the primary measure {primary!r} is not one of the plan's measures")
    if combine == "primary_decides":
        return recommendations[primary], (primary,), f"The primary measure ({primary}) decides; the others inform."
    with_data = {key: value for key, value in recommendations.items() if value != "insufficient_data"}
    if combine == "most_intensive":
        if not with_data:
            return "insufficient_data", tuple(recommendations), "No measure has enough data yet."
        top, drivers = _most_intensive(with_data)
        return top, drivers, f"The most intensive recommendation of the measures: {', '.join(drivers)}."
    if combine == "all_must_respond":
        missing = tuple(key for key in recommendations if key not in with_data)
        if missing:
            return "insufficient_data", missing, f"Every measure needs enough data; not yet: {', '.join(missing)}."
        failing = {key: value for key, value in with_data.items() if value in NOT_RESPONDING}
        if failing:
            top, drivers = _most_intensive(failing)
            return top, drivers, f"Not every measure shows a response: {', '.join(drivers)}."
        values = set(with_data.values())
        if len(values) == 1:
            return values.pop(), tuple(with_data), "Every measure agrees."
        return "continue", tuple(with_data), "Every measure shows a response, but not all reach the same decision."
    raise ValueError(f"combine must be most_intensive, primary_decides or all_must_respond, not {combine!r}")


def evaluate_plan(
    measures: Mapping[str, tuple[RuleConfig, Case]], *, combine: Combine = "most_intensive", primary: str | None = None
) -> PlanEvaluation:
    """Evaluate each measure of a plan (key -> (config, case)) and combine the recommendations.

    ``primary`` defaults to the first measure given.
    """
    if not measures:
        raise ValueError("a plan needs at least one measure")
    primary = primary if primary is not None else next(iter(measures))
    evaluations = {key: evaluate(config, case) for key, (config, case) in measures.items()}
    recommendation, drivers, explanation = combine_recommendations(
        {key: evaluation.recommendation for key, evaluation in evaluations.items()}, combine=combine, primary=primary
    )
    return PlanEvaluation(recommendation, combine, primary, drivers, evaluations, explanation)
