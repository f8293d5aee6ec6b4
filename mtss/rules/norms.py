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
