"""Dual-discrepancy criteria from a percentile norm table (issue 12, item 1; RULES.md 1.7).

A norm table lists, for one measure, the score at each national percentile by
grade and season (aimsweb, DIBELS and FastBridge publish them; ``import_norms``
loads them). Loudon County defines the non-responder in exactly those terms:
"A student will be identified as a non-responding student if he is making less
progress on a weekly basis than a grade level student makes at the 25th
percentile and he continues to be below the 25th national percentile"
(seed 002_d2bcc1edd8245865.txt, Tier I). So

* the **level cut** is the score of the policy's level percentile (25th) for the
  plan's grade in the season of the evaluation date;
* the **growth cut** is the weekly growth of a grade-level student at the
  policy's growth percentile: the difference of that percentile's scores
  between two benchmark seasons divided by the weeks between them (fall to
  winter in the fall, winter to spring in winter and spring).

A percentile the table does not list is interpolated linearly between the two
nearest listed percentiles (said so in the source text). No table, or no row
for the grade: ``None``, and the dual-discrepancy finding says it was not checked.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date

SEASONS = ("fall", "winter", "spring")
# aimsweb's benchmark windows are about 18 instructional weeks apart (fall: Sept,
# winter: Jan, spring: May); a table may say otherwise.
DEFAULT_WEEKS_BETWEEN = {("fall", "winter"): 18.0, ("winter", "spring"): 18.0}


@dataclass(frozen=True, slots=True)
class NormPoint:
    grade: int
    season: str
    percentile: float
    score: float


@dataclass(frozen=True, slots=True)
class NormCuts:
    level_cut: float
    roi_cut: float
    source: str
    season: str
    growth_from: str
    growth_to: str
    weeks_between: float


def season_of(day: date) -> str:
    """The benchmark season a date falls in: Aug-Dec fall, Jan-Mar winter, Apr-Jul spring."""
    if day.month >= 8:
        return "fall"
    if day.month <= 3:
        return "winter"
    return "spring"


def _score_at(points: dict[float, float], percentile: float) -> tuple[float, bool] | None:
    if percentile in points:
        return points[percentile], False
    below = [p for p in points if p < percentile]
    above = [p for p in points if p > percentile]
    if not below or not above:
        return None
    low, high = max(below), min(above)
    share = (percentile - low) / (high - low)
    return points[low] + share * (points[high] - points[low]), True


def _fmt(value: float) -> str:
    text = f"{value:.2f}".rstrip("0").rstrip(".")
    return text or "0"


def dual_discrepancy_cuts(
    points: Iterable[NormPoint],
    *,
    grade: int,
    on: date | str,
    level_percentile: float = 25.0,
    growth_percentile: float = 25.0,
    table_name: str = "norm table",
    weeks_between: dict[tuple[str, str], float] | None = None,
) -> NormCuts | None:
    """The level and weekly growth cuts for a plan of ``grade`` evaluated ``on`` a date (or a season)."""
    season = on if isinstance(on, str) else season_of(on)
    if season not in SEASONS:
        raise ValueError(f"season must be one of {SEASONS}, got {season!r}")
    weeks = dict(DEFAULT_WEEKS_BETWEEN)
    weeks.update(weeks_between or {})
    by_season: dict[str, dict[float, float]] = {}
    for point in points:
        if point.grade == grade:
            by_season.setdefault(point.season, {})[float(point.percentile)] = float(point.score)
    growth_from, growth_to = ("fall", "winter") if season == "fall" else ("winter", "spring")
    level = _score_at(by_season.get(season, {}), level_percentile)
    start = _score_at(by_season.get(growth_from, {}), growth_percentile)
    end = _score_at(by_season.get(growth_to, {}), growth_percentile)
    if level is None or start is None or end is None:
        return None
    span = weeks[(growth_from, growth_to)]
    roi_cut = (end[0] - start[0]) / span
    interpolated = " (interpolated between the nearest listed percentiles)" if (level[1] or start[1] or end[1]) else ""
    grade_label = "kindergarten" if grade == 0 else f"grade {grade}"
    source = (
        f"{table_name}, {grade_label}: level cut {_fmt(level[0])} = {_fmt(level_percentile)}th percentile "
        f"in {season}; growth cut {_fmt(roi_cut)} per week = ({_fmt(end[0])} - {_fmt(start[0])}) / "
        f"{_fmt(span)} weeks, the {_fmt(growth_percentile)}th percentile from {growth_from} to "
        f"{growth_to}{interpolated}."
    )
    return NormCuts(
        level_cut=level[0],
        roi_cut=roi_cut,
        source=source,
        season=season,
        growth_from=growth_from,
        growth_to=growth_to,
        weeks_between=span,
    )


@dataclass(frozen=True, slots=True)
class SuggestedGoal:
    """A goal for a new plan from a screening score and the norms, with the rule that produced it."""

    target: float
    roi: float
    weeks: float
    rule: str  # "benchmark": reach the level percentile by the goal date; "norm_growth": grow at the norm rate
    source: str


def suggested_goal(
    points: Iterable[NormPoint],
    *,
    grade: int,
    baseline: float,
    start: date,
    goal_date: date,
    level_percentile: float = 25.0,
    growth_percentile: float = 25.0,
    table_name: str = "norm table",
    weeks_between: dict[tuple[str, str], float] | None = None,
) -> SuggestedGoal | None:
    """The goal a plan starting at ``baseline`` on ``start`` is suggested, from a percentile norm table.

    Two rules, the first that applies (issue 14, item 4: "the baseline and a suggested goal
    come from the flagged screening score and the norms"):

    * **benchmark**: the score of the policy's level percentile for the grade in the season of
      the goal date, when it is above the baseline. Reaching it is what ends the discrepancy in
      level: Loudon's non-responder is one who "continues to be below the 25th national
      percentile" (seed 002), so the level cut is the natural exit target.
    * **norm growth**: otherwise (the student is already at that level, or the table lacks the
      season), the baseline plus the weekly growth of a grade-level student at the policy's
      growth percentile over the weeks to the goal date: the growth below which the same rule
      calls a student a non-responder.

    ``None`` when the table has neither for the grade. Pure: no database, no Django.
    """
    weeks = (goal_date - start).days / 7
    if weeks <= 0:
        return None
    season = season_of(goal_date)
    by_season: dict[str, dict[float, float]] = {}
    for point in points:
        if point.grade == grade:
            by_season.setdefault(point.season, {})[float(point.percentile)] = float(point.score)
    grade_label = "kindergarten" if grade == 0 else f"grade {grade}"
    level = _score_at(by_season.get(season, {}), level_percentile)
    if level is not None and level[0] > baseline:
        target = level[0]
        roi = (target - baseline) / weeks
        source = (
            f"Benchmark goal: {_fmt(target)} is the {_fmt(level_percentile)}th percentile of {table_name}, "
            f"{grade_label}, in {season} (the goal date's season); from the baseline {_fmt(baseline)} that is "
            f"{_fmt(roi)} per week over {_fmt(weeks)} weeks."
        )
        return SuggestedGoal(target=target, roi=roi, weeks=weeks, rule="benchmark", source=source)
    same_grade = [NormPoint(grade, s, p, v) for s, values in by_season.items() for p, v in values.items()]
    cuts = dual_discrepancy_cuts(
        same_grade,
        grade=grade,
        on=start,
        level_percentile=level_percentile,
        growth_percentile=growth_percentile,
        table_name=table_name,
        weeks_between=weeks_between,
    )
    if cuts is None or cuts.roi_cut <= 0:
        return None
    target = baseline + cuts.roi_cut * weeks
    source = (
        f"Growth goal: the baseline {_fmt(baseline)} plus {_fmt(cuts.roi_cut)} per week (the weekly growth of a "
        f"{grade_label} student at the {_fmt(growth_percentile)}th percentile of {table_name}, {cuts.growth_from} "
        f"to {cuts.growth_to}) over {_fmt(weeks)} weeks = {_fmt(target)}."
    )
    return SuggestedGoal(target=round(target, 1), roi=cuts.roi_cut, weeks=weeks, rule="norm_growth", source=source)
