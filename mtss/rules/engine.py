"""The explainable decision-rule engine: plain Python, no database access.

One student's plan (a ``Case``) and the district's ``RuleConfig`` go in; an
``Evaluation`` comes out: one ``Finding`` per rule (rule id, status, the exact
numbers it used, a translatable plain-language explanation) and one
recommendation. ``mtss/rules/batch.py`` computes the same thing for a whole
district with numpy; ``tests/rules/test_batch_agreement.py`` keeps the two equal.

Conventions (section numbers refer to ``RULES.md`` in the shared docs):

* Time axis: weeks since the plan (phase) start, ``x = (date - start) / 7`` (1.0).
* A *data point* is one progress-monitoring occasion: probes dated before the
  plan start or after ``as_of`` are not part of the phase, and several probes
  on one day are one data point with their median score (the aimsweb habit of
  taking the median of three passages, 1.1). Baseline probes never count
  toward the minimum number of points (1.4).
* Descending goals (error counts, behaviour): every above/below test is made on
  ``sign * (value - reference)`` with ``sign = -1``, so "behind" always means
  "on the wrong side of the aim line" (1.0, 1.5).
* Comparisons are made on numbers rounded to 1e-9 (``_q``) so that a point
  exactly on the aim line is "on the line" despite binary floating point, and so
  that the batch path, which sums in the same order, reaches the same statuses.
  ``Finding.values`` keep the unrounded numbers.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any, Literal

from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from mtss.rules.calendar import WEEKDAYS, instructional_days, nth_instructional_day_after
from mtss.rules.config import RuleConfig
from mtss.rules.stats import student_t_quantile

Direction = Literal["up", "down"]
SESSION_STATUSES = ("delivered", "student_absent", "provider_absent", "cancelled")
RECOMMENDATIONS = (
    "insufficient_data",
    "low_fidelity",
    "continue",
    "raise_goal",
    "modify",
    "intensify",
    "exit",
    "refer_evaluation",
)
# Rule ids in the order findings are reported.
RULE_IDS = (
    "baseline",
    "goal",
    "four_point",
    "trend",
    "median_three",
    "dual_discrepancy",
    "progress",
    "goal_met",
    "fidelity",
    "minimum_sessions",
    "pm_frequency",
    "review_due",
    "duration",
    "recommendation",
)
# Progress-test statuses (Ohio's three outcomes; engine.progress_test).
PROGRESS_STATUSES = ("insufficient_data", "no_progress", "some_progress", "adequate_progress")


# --------------------------------------------------------------------------------------
# Data


@dataclass(frozen=True, slots=True)
class Probe:
    date: date
    score: float


@dataclass(frozen=True, slots=True)
class Session:
    date: date
    minutes: float
    status: str = "delivered"

    def __post_init__(self) -> None:
        if self.status not in SESSION_STATUSES:
            raise ValueError(f"session status must be one of {SESSION_STATUSES}, not {self.status!r}")


@dataclass(frozen=True, slots=True)
class Goal:
    """The plan's goal: a benchmark ``target`` score, or a weekly ``roi`` (1.2)."""

    target_date: date
    target: float | None = None
    roi: float | None = None
    direction: Direction = "up"
    measure: str = ""

    def __post_init__(self) -> None:
        if (self.target is None) == (self.roi is None):
            raise ValueError("a goal needs exactly one of target (benchmark) or roi (growth rate)")
        if self.direction not in ("up", "down"):
            raise ValueError(f"goal direction must be 'up' or 'down', not {self.direction!r}")


@dataclass(frozen=True, slots=True)
class Case:
    """One student's plan in one area, as of one day.

    Planned dosage fields override the policy defaults in ``RuleConfig``; the
    norms (``level_cut``, ``roi_cut``, usually from ``mtss.rules.norms``, with
    ``norms_source`` saying where they come from) override its dual-discrepancy
    criteria. The school calendar comes as data: ``non_instructional`` dates
    (holidays, breaks, closures) and the ``weekdays`` that are school days
    (``date.weekday()`` numbers, Monday to Friday by default); see
    ``mtss/rules/calendar.py``.
    """

    start: date
    as_of: date
    goal: Goal
    baseline_probes: tuple[Probe, ...] = ()
    probes: tuple[Probe, ...] = ()
    sessions: tuple[Session, ...] = ()
    sessions_per_week: float | None = None
    sessions_per_cycle: float | None = None
    cycle_days: int | None = None
    minutes_per_session: float | None = None
    level_cut: float | None = None
    roi_cut: float | None = None
    tier_start: date | None = None
    last_review: date | None = None
    non_instructional: frozenset[date] = frozenset()
    weekdays: tuple[int, ...] = WEEKDAYS
    norms_source: str | None = None

    def instructional_days(self, first: date, last: date) -> int:
        """Instructional days from ``first`` to ``last``, both included."""
        return instructional_days(first, last, self.non_instructional, self.weekdays)


@dataclass(frozen=True, slots=True)
class Finding:
    rule: str
    status: str
    values: dict[str, Any]
    explanation: str


@dataclass(frozen=True, slots=True)
class Trend:
    method: str
    slope: float
    intercept: float
    n: int


@dataclass(frozen=True, slots=True)
class Evaluation:
    recommendation: str
    findings: tuple[Finding, ...]
    baseline: float | None
    goal_score: float | None
    goal_roi: float | None
    roi: float | None
    policy: str
    n_points: int = 0
    as_of: date | None = None

    def finding(self, rule: str) -> Finding:
        for finding in self.findings:
            if finding.rule == rule:
                return finding
        raise KeyError(rule)

    @property
    def statuses(self) -> dict[str, str]:
        return {finding.rule: finding.status for finding in self.findings}


@dataclass(frozen=True, slots=True)
class DataPoints:
    """The phase's data points, one per day, in date order."""

    dates: tuple[date, ...]
    x: tuple[float, ...]
    scores: tuple[float, ...]
    excluded_before_start: int = 0
    excluded_after_as_of: int = 0
    same_day_merged: int = 0

    def __len__(self) -> int:
        return len(self.scores)


@dataclass(frozen=True, slots=True)
class Dosage:
    sessions_per_week: float | None
    sessions_per_cycle: float | None
    cycle_days: int | None
    minutes_per_session: float | None


# --------------------------------------------------------------------------------------
# Small numeric helpers shared (by formula) with batch.py


def _q(value: float) -> float:
    """Round to 1e-9 before comparing (see module docstring); batch uses np.rint alike."""
    return round(value * 1e9) / 1e9


def _seq_sum(values: Iterable[float]) -> float:
    # A plain left-to-right sum: Python 3.12's sum() compensates, numpy's
    # bincount (used by batch.py) does not; the same order gives the same bits.
    total = 0.0
    for value in values:
        total += value
    return total


def _median(values: Sequence[float]) -> float:
    ordered = sorted(values)
    n = len(ordered)
    mid = n // 2
    if n % 2:
        return float(ordered[mid])
    return (ordered[mid - 1] + ordered[mid]) / 2


def weeks_since(day: date, start: date) -> float:
    """The time axis of RULES.md 1.0: weeks since the plan start."""
    return (day - start).days / 7


def weekdays_between(first: date, last: date) -> int:
    """School days (Monday to Friday) from ``first`` to ``last``, both included."""
    if last < first:
        return 0
    days = (last - first).days + 1
    full_weeks, rest = divmod(days, 7)
    count = full_weeks * 5
    weekday = first.weekday()
    for offset in range(rest):
        if (weekday + offset) % 7 < 5:
            count += 1
    return count


def _num(value: float | None, places: int = 1) -> str:
    """A number for text: rounded, without trailing zeros (exact values go in ``values``)."""
    if value is None:
        return "-"
    text = f"{value:.{places}f}"
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    return "0" if text == "-0" else text


def _nums(values: Iterable[float], places: int = 1) -> str:
    return ", ".join(_num(value, places) for value in values)


def _sign(direction: Direction) -> int:
    return -1 if direction == "down" else 1


# --------------------------------------------------------------------------------------
# Baseline, data points, goal, aim line (RULES.md 1.1-1.3)


def baseline(probes: Iterable[Probe], k: int = 3) -> float | None:
    """Median of the first ``k`` baseline probes by date (IRIS: 3-5 points, median; 1.1).

    Probes on the same day are taken lowest score first, so the result does not
    depend on the order the probes were listed in. Fewer than ``k`` probes: the
    median of those there are; none: ``None``.
    """
    ordered = sorted(probes, key=lambda probe: (probe.date, probe.score))[:k]
    if not ordered:
        return None
    return _median([float(probe.score) for probe in ordered])


def data_points(probes: Iterable[Probe], start: date, as_of: date) -> DataPoints:
    """The phase's data points: inside [start, as_of], one per day (median score)."""
    by_day: dict[date, list[float]] = {}
    before = after = 0
    total = 0
    for probe in probes:
        if probe.date < start:
            before += 1
        elif probe.date > as_of:
            after += 1
        else:
            total += 1
            by_day.setdefault(probe.date, []).append(float(probe.score))
    days = sorted(by_day)
    return DataPoints(
        dates=tuple(days),
        x=tuple(weeks_since(day, start) for day in days),
        scores=tuple(_median(by_day[day]) for day in days),
        excluded_before_start=before,
        excluded_after_as_of=after,
        same_day_merged=total - len(days),
    )


def goal_line(baseline_score: float, goal: Goal, start: date) -> tuple[float, float] | None:
    """``(goal_score, goal_roi)`` from a benchmark target or a target ROI (1.2, 1.3).

    ``goal_roi = (goal - baseline) / weeks`` (benchmark) or
    ``goal = baseline + weeks * roi`` (growth-rate goal). ``None`` when the
    target date is not after the plan start.
    """
    weeks = weeks_since(goal.target_date, start)
    if weeks <= 0:
        return None
    if goal.target is not None:
        return float(goal.target), (goal.target - baseline_score) / weeks
    assert goal.roi is not None
    return baseline_score + goal.roi * weeks, float(goal.roi)


def aim_line(baseline_score: float, goal_roi: float, x: float) -> float:
    """The aim (goal) line at ``x`` weeks: ``baseline + goal_roi * x`` (1.3)."""
    return baseline_score + goal_roi * x


# --------------------------------------------------------------------------------------
# Trend lines (RULES.md 1.6.1, 1.6.3)


def ols_trend(x: Sequence[float], y: Sequence[float]) -> Trend | None:
    """Ordinary least squares; slope = observed ROI in units/week (1.6.1)."""
    n = len(x)
    if n < 2:
        return None
    x_mean = _seq_sum(x) / n
    y_mean = _seq_sum(y) / n
    sxx = 0.0
    sxy = 0.0
    for xi, yi in zip(x, y, strict=True):
        dx = xi - x_mean
        sxx += dx * dx
        sxy += dx * (yi - y_mean)
    if sxx == 0:
        return None
    slope = sxy / sxx
    return Trend("ols", slope, y_mean - slope * x_mean, n)


@dataclass(frozen=True, slots=True)
class SlopeFit:
    """OLS slope with its standard error (``df = n - 2``)."""

    slope: float
    intercept: float
    se: float
    df: int


def ols_fit(x: Sequence[float], y: Sequence[float]) -> SlopeFit | None:
    """OLS slope, intercept and the slope's standard error ``sqrt(SSE / (n - 2) / Sxx)``.

    Written with the same operations in the same order as ``ols_trend`` and
    ``batch.py``, so that both paths reach the same bits.
    """
    n = len(x)
    if n < 3:
        return None
    line = ols_trend(x, y)
    if line is None:
        return None
    x_mean = _seq_sum(x) / n
    sxx = 0.0
    for xi in x:
        dx = xi - x_mean
        sxx += dx * dx
    sse = 0.0
    for xi, yi in zip(x, y, strict=True):
        residual = yi - (line.intercept + line.slope * xi)
        sse += residual * residual
    se = math.sqrt(sse / (n - 2) / sxx)
    return SlopeFit(line.slope, line.intercept, se, n - 2)


def tukey_groups(n: int) -> tuple[int, int, int]:
    """Sizes of the three Tukey groups: one extra point goes to the middle, two to the ends (1.6.3)."""
    size, extra = divmod(n, 3)
    if extra == 1:
        return size, size + 1, size
    if extra == 2:
        return size + 1, size, size + 1
    return size, size, size


def tukey_trend(x: Sequence[float], y: Sequence[float], variant: str = "cbm") -> Trend | None:
    """Tukey three-group trend: connect (median x, median y) of the first and last thirds (1.6.3).

    ``x`` must be in increasing order (data points are). ``variant="median_median"``
    slides the line a third of the way toward the middle group's median point
    (same slope, intercept = mean of the three groups' intercepts).
    """
    n = len(x)
    if n < 3:
        return None
    first, middle, last = tukey_groups(n)
    x1, y1 = _median(x[:first]), _median(y[:first])
    x3, y3 = _median(x[n - last :]), _median(y[n - last :])
    if x3 == x1:
        return None
    slope = (y3 - y1) / (x3 - x1)
    intercept = y1 - slope * x1
    if variant == "median_median":
        x2, y2 = _median(x[first : first + middle]), _median(y[first : first + middle])
        intercept = (intercept + (y2 - slope * x2) + (y3 - slope * x3)) / 3
    return Trend("tukey", slope, intercept, n)


def trend(config: RuleConfig, points: DataPoints) -> Trend | None:
    """The configured trend line over the data points, if there are enough for an ROI."""
    if len(points) < config.roi_min_points:
        return None
    if config.trend_method == "tukey":
        return tukey_trend(points.x, points.scores, config.tukey_variant)
    return ols_trend(points.x, points.scores)


# --------------------------------------------------------------------------------------
# Rules


def _minimum_data_text(n: int, needed: int, weeks: float, min_weeks: float) -> str:
    if n < needed:
        return ngettext(
            "Only %(n)s data point since the plan started; this rule needs %(needed)s (baseline probes do not count).",
            "Only %(n)s data points since the plan started; this rule needs %(needed)s (baseline probes do not count).",
            n,
        ) % {"n": n, "needed": needed}
    return _("Only %(weeks)s weeks of instruction so far; this rule needs %(min_weeks)s.") % {
        "weeks": _num(weeks),
        "min_weeks": _num(min_weeks),
    }


def four_point_rule(
    config: RuleConfig,
    points: DataPoints,
    baseline_score: float | None,
    goal_roi: float | None,
    direction: Direction,
    weeks_elapsed: float,
) -> Finding:
    """The last N data points against the aim line (1.5).

    All N below the line (above, for a descending goal): ``behind`` -> consider
    an instructional change. All N above: ``ahead`` -> consider raising the goal.
    Otherwise ``mixed`` -> continue. A point within the tolerance of the line
    (a tie) is on the line, neither above nor below, so it makes the run mixed.
    """
    n_needed = config.four_point_n
    values: dict[str, Any] = {
        "n": n_needed,
        "n_points": len(points),
        "min_points": config.four_point_min_points,
        "weeks_elapsed": weeks_elapsed,
        "min_weeks": config.min_weeks,
        "tolerance": config.four_point_tolerance,
        "direction": direction,
    }
    if baseline_score is None or goal_roi is None:
        return Finding(
            "four_point",
            "insufficient_data",
            values,
            _("No aim line yet (baseline or goal missing), so the points cannot be compared with it."),
        )
    if len(points) < config.four_point_min_points or weeks_elapsed < config.min_weeks:
        return Finding(
            "four_point",
            "insufficient_data",
            values,
            _minimum_data_text(len(points), config.four_point_min_points, weeks_elapsed, config.min_weeks),
        )
    sign = _sign(direction)
    last_x = points.x[-n_needed:]
    scores = list(points.scores[-n_needed:])
    aims = [aim_line(baseline_score, goal_roi, x) for x in last_x]
    residuals = [_q(sign * (score - aim)) for score, aim in zip(scores, aims, strict=True)]
    tolerance = config.four_point_tolerance
    values.update(
        {
            "dates": [day.isoformat() for day in points.dates[-n_needed:]],
            "scores": scores,
            "aim": aims,
        }
    )
    text = {"n": n_needed, "scores": _nums(scores), "aims": _nums(aims)}
    if all(residual < -tolerance for residual in residuals):
        if direction == "up":
            message = _(
                "%(n)s consecutive points below the aim line: %(scores)s < %(aims)s. Consider an instructional change."
            )
        else:
            message = _(
                "%(n)s consecutive points above the aim line of a descending goal: "
                "%(scores)s > %(aims)s. Consider an instructional change."
            )
        return Finding("four_point", "behind", values, message % text)
    if all(residual > tolerance for residual in residuals):
        if direction == "up":
            message = _(
                "%(n)s consecutive points above the aim line: %(scores)s > %(aims)s. Consider raising the goal."
            )
        else:
            message = _(
                "%(n)s consecutive points below the aim line of a descending goal: "
                "%(scores)s < %(aims)s. Consider raising the goal."
            )
        return Finding("four_point", "ahead", values, message % text)
    message = _(
        "The last %(n)s points are on both sides of, or on, the aim line: %(scores)s "
        "against %(aims)s. Continue and keep collecting data."
    )
    return Finding("four_point", "mixed", values, message % text)


def median_rule(
    config: RuleConfig,
    points: DataPoints,
    baseline_score: float | None,
    goal_roi: float | None,
    direction: Direction,
    weeks_elapsed: float,
) -> Finding:
    """NCII's third rule: the median of the three most recent points against the aim line.

    The median score is compared with the aim line at the middle of those three
    dates (the median of the aim-line values there). Below the line beyond the
    four-point tolerance: ``behind``; above: ``ahead``; otherwise ``on_track``.
    It is robust to one outlying probe, which the four-point rule is not.
    """
    values: dict[str, Any] = {
        "n_points": len(points),
        "min_points": config.median_min_points,
        "weeks_elapsed": weeks_elapsed,
        "min_weeks": config.min_weeks,
        "tolerance": config.four_point_tolerance,
        "direction": direction,
    }
    if baseline_score is None or goal_roi is None:
        return Finding(
            "median_three",
            "insufficient_data",
            values,
            _("No aim line yet (baseline or goal missing), so the points cannot be compared with it."),
        )
    if len(points) < config.median_min_points or weeks_elapsed < config.min_weeks:
        return Finding(
            "median_three",
            "insufficient_data",
            values,
            _minimum_data_text(len(points), config.median_min_points, weeks_elapsed, config.min_weeks),
        )
    scores = list(points.scores[-3:])
    median = _median(scores)
    aim = aim_line(baseline_score, goal_roi, points.x[-2])
    residual = _q(_sign(direction) * (median - aim))
    values.update(
        {"dates": [day.isoformat() for day in points.dates[-3:]], "scores": scores, "median": median, "aim": aim}
    )
    text = {"scores": _nums(scores), "median": _num(median), "aim": _num(aim)}
    if residual < -config.four_point_tolerance:
        return Finding(
            "median_three",
            "behind",
            values,
            _(
                "The median of the last three points (%(scores)s) is %(median)s, on the wrong side of the aim "
                "line (%(aim)s). Consider an instructional change."
            )
            % text,
        )
    if residual > config.four_point_tolerance:
        return Finding(
            "median_three",
            "ahead",
            values,
            _(
                "The median of the last three points (%(scores)s) is %(median)s, beyond the aim line "
                "(%(aim)s). Consider raising the goal."
            )
            % text,
        )
    return Finding(
        "median_three",
        "on_track",
        values,
        _("The median of the last three points (%(scores)s) is %(median)s, on the aim line (%(aim)s).") % text,
    )


def _parallel_band(config: RuleConfig, goal_roi: float) -> float:
    return _q(max(config.parallel_tolerance_abs, config.parallel_tolerance_rel * abs(goal_roi)))


def trend_rule(
    config: RuleConfig,
    line: Trend | None,
    n_points: int,
    goal_roi: float | None,
    direction: Direction,
    weeks_elapsed: float,
) -> Finding:
    """Trend slope against the aim line's slope (1.6).

    Flatter than the goal line beyond the tolerance band: ``behind`` (consider an
    instructional change); steeper: ``ahead`` (consider a new goal); within it:
    ``on_track`` (parallel, no change). Band = max(absolute, relative x |goal ROI|).
    """
    values: dict[str, Any] = {
        "method": config.trend_method,
        "n_points": n_points,
        "min_points": config.trend_min_points,
        "weeks_elapsed": weeks_elapsed,
        "min_weeks": config.min_weeks,
        "goal_roi": goal_roi,
        "direction": direction,
    }
    if goal_roi is None:
        return Finding(
            "trend",
            "insufficient_data",
            values,
            _("No aim line yet (baseline or goal missing), so the trend cannot be compared with it."),
        )
    if n_points < config.trend_min_points or weeks_elapsed < config.min_weeks or line is None:
        return Finding(
            "trend",
            "insufficient_data",
            values,
            _minimum_data_text(n_points, config.trend_min_points, weeks_elapsed, config.min_weeks),
        )
    band = _parallel_band(config, goal_roi)
    difference = _q(_sign(direction) * (line.slope - goal_roi))
    values.update(
        {"roi": line.slope, "intercept": line.intercept, "difference": line.slope - goal_roi, "tolerance": band}
    )
    text = {
        "method": "Tukey" if line.method == "tukey" else "OLS",
        "roi": _num(line.slope, 2),
        "goal_roi": _num(goal_roi, 2),
        "tolerance": _num(band, 2),
    }
    if difference < -band:
        message = _(
            "The %(method)s trend (%(roi)s per week) is flatter than the aim line "
            "(%(goal_roi)s per week, tolerance %(tolerance)s). Consider an instructional change."
        )
        return Finding("trend", "behind", values, message % text)
    if difference > band:
        message = _(
            "The %(method)s trend (%(roi)s per week) is steeper than the aim line "
            "(%(goal_roi)s per week, tolerance %(tolerance)s). Consider a more ambitious goal."
        )
        return Finding("trend", "ahead", values, message % text)
    message = _(
        "The %(method)s trend (%(roi)s per week) is parallel to the aim line "
        "(%(goal_roi)s per week, within %(tolerance)s). No change needed."
    )
    return Finding("trend", "on_track", values, message % text)


def dual_discrepancy(
    config: RuleConfig,
    points: DataPoints,
    roi: float | None,
    level_cut: float | None,
    roi_cut: float | None,
    direction: Direction,
    weeks_elapsed: float,
    goal_roi: float | None = None,
    norms_source: str | None = None,
) -> Finding:
    """Level and growth against peer criteria (1.7; Loudon County's Tier II/III rule).

    Level = median of the last ``dd_level_points`` points; growth = observed ROI.
    ``both_below``: non-responder only if both are below criterion, adequate if
    either is at or above it ("adequate progress if ... either the performance
    level OR the rate of growth"). ``either_below``: non-responder if either is;
    with ``dd_aim_rate_satisfies`` a level below the cut is excused while growth
    is at or above the aim line's rate (Holland Patent's "satisfactory progress
    ... in their rate of learning to meet age or grade level standards").
    """
    values: dict[str, Any] = {
        "level_cut": level_cut,
        "roi_cut": roi_cut,
        "norms_source": norms_source,
        "combine": config.dd_combine,
        "n_points": len(points),
        "min_points": config.trend_min_points,
        "weeks_elapsed": weeks_elapsed,
        "min_weeks": config.min_weeks,
        "direction": direction,
    }
    if level_cut is None or roi_cut is None:
        return Finding(
            "dual_discrepancy",
            "not_applicable",
            values,
            _("No level and growth criteria (norms) for this grade and measure, so dual discrepancy is not checked."),
        )
    if len(points) < config.trend_min_points or weeks_elapsed < config.min_weeks or roi is None:
        return Finding(
            "dual_discrepancy",
            "insufficient_data",
            values,
            _minimum_data_text(len(points), config.trend_min_points, weeks_elapsed, config.min_weeks),
        )
    sign = _sign(direction)
    level = _median(points.scores[-config.dd_level_points :])
    level_below = _q(sign * (level - level_cut)) < 0
    growth_below = _q(sign * (roi - roi_cut)) < 0
    meets_aim_rate = config.dd_aim_rate_satisfies and goal_roi is not None and _q(sign * (roi - goal_roi)) >= 0
    values.update(
        {
            "level": level,
            "roi": roi,
            "level_below": level_below,
            "growth_below": growth_below,
            "goal_roi": goal_roi,
            "growth_meets_aim_rate": meets_aim_rate,
        }
    )
    if config.dd_combine == "both_below":
        non_responder = level_below and growth_below
    else:
        non_responder = growth_below or (level_below and not meets_aim_rate)
    text = {"level": _num(level), "level_cut": _num(level_cut), "roi": _num(roi, 2), "roi_cut": _num(roi_cut, 2)}
    # Whole sentences (not "below"/"above" fragments) so that translators control word order.
    if level_below and growth_below:
        summary = (
            _(
                "Level %(level)s is below the criterion %(level_cut)s and growth %(roi)s per week "
                "is below the criterion %(roi_cut)s."
            )
            % text
        )
    elif level_below:
        summary = (
            _(
                "Level %(level)s is below the criterion %(level_cut)s; growth %(roi)s per week "
                "is at or above the criterion %(roi_cut)s."
            )
            % text
        )
    elif growth_below:
        summary = (
            _(
                "Level %(level)s is at or above the criterion %(level_cut)s; growth %(roi)s per week "
                "is below the criterion %(roi_cut)s."
            )
            % text
        )
    else:
        summary = (
            _(
                "Level %(level)s is at or above the criterion %(level_cut)s and growth %(roi)s per week "
                "is at or above the criterion %(roi_cut)s."
            )
            % text
        )
    if norms_source:
        summary = f"{summary} ({norms_source})"
    if non_responder:
        if config.dd_combine == "both_below":
            verdict = _("Both are below criterion: not making adequate progress (dual discrepancy).")
        else:
            verdict = _("At least one is below criterion: not making adequate progress.")
        return Finding("dual_discrepancy", "non_responder", values, f"{summary} {verdict}")
    if config.dd_combine == "both_below":
        verdict = _("Level or growth is at criterion: adequate progress.")
    elif level_below:
        verdict = _(
            "The level is below criterion, but growth of %(roi)s per week is at or above the aim "
            "line's %(goal_roi)s per week: the student is closing the gap, adequate progress."
        ) % {"roi": _num(roi, 2), "goal_roi": _num(goal_roi, 2)}
    else:
        verdict = _("Both are at criterion: adequate progress.")
    return Finding("dual_discrepancy", "adequate", values, f"{summary} {verdict}")


def progress_test(
    config: RuleConfig,
    points: DataPoints,
    roi: float | None,
    goal_roi: float | None,
    direction: Direction,
) -> Finding:
    """No progress, some progress or adequate progress (Ohio's three outcomes), by a stated test.

    ``slope_bound`` (default): fit OLS to the data points; the slope's one-sided
    lower confidence bound ``b - t(confidence, n - 2) * SE(b)`` in the goal's
    direction decides. At or below 0: ``no_progress`` (the data cannot tell the
    trend from flat); above 0 with the slope under the aim line's rate:
    ``some_progress``; at or above it: ``adequate_progress``. Standard OLS
    inference (e.g. Christ, Zopluoglu, Long & Monaghen 2012 on the standard error
    of CBM slopes). ``roi_threshold``: the configured trend's ROI at or below
    ``no_progress_roi`` is no progress (no test of noise).
    """
    sign = _sign(direction)
    values: dict[str, Any] = {
        "method": config.progress_test,
        "n_points": len(points),
        "goal_roi": goal_roi,
        "direction": direction,
    }
    if config.progress_test == "roi_threshold":
        values.update({"roi": roi, "threshold": config.no_progress_roi})
        if roi is None:
            return Finding("progress", "insufficient_data", values, _("Too few data points for a rate of improvement."))
        text = {"roi": _num(roi, 2), "threshold": _num(config.no_progress_roi, 2), "goal_roi": _num(goal_roi, 2)}
        if _q(sign * roi) <= config.no_progress_roi:
            return Finding(
                "progress",
                "no_progress",
                values,
                _("No progress: the trend of %(roi)s per week is at or below the policy's %(threshold)s.") % text,
            )
        if goal_roi is not None and _q(sign * (roi - goal_roi)) >= 0:
            return Finding(
                "progress",
                "adequate_progress",
                values,
                _("Adequate progress: the trend of %(roi)s per week meets the aim line's %(goal_roi)s.") % text,
            )
        return Finding(
            "progress",
            "some_progress",
            values,
            _("Some progress: the trend of %(roi)s per week is above %(threshold)s.") % text,
        )

    fit = ols_fit(points.x, points.scores) if len(points) >= config.roi_min_points else None
    values["confidence"] = config.progress_confidence
    if fit is None:
        return Finding(
            "progress",
            "insufficient_data",
            values,
            _("Too few data points (at least three on different days) to test the trend."),
        )
    t = student_t_quantile(config.progress_confidence, fit.df)
    bound = sign * fit.slope - t * fit.se
    values.update({"slope": fit.slope, "se": fit.se, "df": fit.df, "t": t, "bound": bound, "threshold": 0.0})
    text = {
        "slope": _num(fit.slope, 2),
        "se": _num(fit.se, 2),
        "bound": _num(bound, 2),
        "confidence": _num(config.progress_confidence * 100, 1),
        "goal_roi": _num(goal_roi, 2),
    }
    if _q(bound) <= 0:
        return Finding(
            "progress",
            "no_progress",
            values,
            _(
                "No progress: the trend is %(slope)s per week (standard error %(se)s); its %(confidence)s%% "
                "one-sided lower bound, %(bound)s, is not above 0, so the data cannot tell it from flat."
            )
            % text,
        )
    if goal_roi is not None and _q(sign * (fit.slope - goal_roi)) >= 0:
        return Finding(
            "progress",
            "adequate_progress",
            values,
            _(
                "Adequate progress: the trend is %(slope)s per week (standard error %(se)s, %(confidence)s%% "
                "lower bound %(bound)s > 0) and meets the aim line's %(goal_roi)s per week."
            )
            % text,
        )
    return Finding(
        "progress",
        "some_progress",
        values,
        _(
            "Some progress: the trend is %(slope)s per week (standard error %(se)s); its %(confidence)s%% lower "
            "bound, %(bound)s, is above 0 but the trend is under the aim line's %(goal_roi)s per week."
        )
        % text,
    )


def goal_met(config: RuleConfig, points: DataPoints, goal_score: float | None, direction: Direction) -> Finding:
    """The last ``exit_points`` points at or beyond the goal score (aimsweb, Milwaukee; 1.5)."""
    needed = config.exit_points
    values: dict[str, Any] = {"goal_score": goal_score, "points_needed": needed, "n_points": len(points)}
    if goal_score is None:
        return Finding("goal_met", "insufficient_data", values, _("No goal score yet."))
    if len(points) < needed:
        return Finding(
            "goal_met",
            "insufficient_data",
            values,
            _("Fewer than %(needed)s data points, so the goal cannot be met yet.") % {"needed": needed},
        )
    scores = list(points.scores[-needed:])
    values["scores"] = scores
    sign = _sign(direction)
    text = {"n": needed, "scores": _nums(scores), "goal": _num(goal_score)}
    if all(_q(sign * (score - goal_score)) >= 0 for score in scores):
        return Finding(
            "goal_met", "met", values, _("The last %(n)s points (%(scores)s) reached the goal of %(goal)s.") % text
        )
    return Finding(
        "goal_met",
        "not_met",
        values,
        _("The last %(n)s points (%(scores)s) have not all reached the goal of %(goal)s.") % text,
    )


def planned_dosage(config: RuleConfig, case: Case) -> Dosage:
    """The plan's own dosage where given, else the policy's default for the tier."""
    if case.sessions_per_week is not None or case.sessions_per_cycle is not None:
        frequency = (case.sessions_per_week, case.sessions_per_cycle, case.cycle_days)
    else:
        frequency = (config.sessions_per_week, config.sessions_per_cycle, config.cycle_days)
    minutes = case.minutes_per_session if case.minutes_per_session is not None else config.minutes_per_session
    return Dosage(frequency[0], frequency[1], frequency[2], minutes)


def scheduled_sessions(dosage: Dosage, start: date, as_of: date, case: Case | None = None) -> int | None:
    """Sessions the plan should have had from start to as_of (both days included).

    Counted over instructional days (the case's school calendar): per week,
    instructional days x sessions / school days a week; per cycle (Holland
    Patent's 6-day cycle), instructional days x sessions / cycle days. A break
    schedules nothing. ``None`` without a planned frequency.
    """
    if as_of < start:
        return 0
    calendar = case if case is not None else Case(start=start, as_of=as_of, goal=Goal(target_date=as_of, target=0.0))
    days = calendar.instructional_days(start, as_of)
    if dosage.sessions_per_week is not None:
        return math.floor(_q(days * dosage.sessions_per_week / len(calendar.weekdays)))
    if dosage.sessions_per_cycle is not None and dosage.cycle_days:
        return math.floor(_q(days * dosage.sessions_per_cycle / dosage.cycle_days))
    return None


def _sessions_in_phase(sessions: Iterable[Session], start: date, as_of: date) -> list[Session]:
    # Sorted by (date, minutes) so that sums run in the order batch.py uses.
    return sorted((s for s in sessions if start <= s.date <= as_of), key=lambda s: (s.date, s.minutes))


def delivered_sessions(config: RuleConfig, case: Case) -> list[Session]:
    """Sessions that count as delivered: status "delivered" and, when the policy
    says the time must match the dosage (Loudon), at least the planned minutes."""
    minimum = planned_dosage(config, case).minutes_per_session
    must_match = config.session_minutes_must_match_dosage and minimum is not None
    return [
        s
        for s in _sessions_in_phase(case.sessions, case.start, case.as_of)
        if s.status == "delivered" and (not must_match or s.minutes >= minimum)
    ]


def fidelity(config: RuleConfig, case: Case) -> Finding:
    """Sessions and minutes delivered against planned (RULES.md 3.2, threshold 3.3).

    ``low`` below ``fidelity_threshold_pct`` on the configured basis; the text
    then says that the data cannot show non-response yet (the fidelity gate:
    "Failure to check the fidelity of the intervention can lead to the
    potentially erroneous conclusion ..." [C] ndmtss, 3.1).
    """
    dosage = planned_dosage(config, case)
    in_phase = _sessions_in_phase(case.sessions, case.start, case.as_of)
    delivered = delivered_sessions(config, case)
    counts = {status: 0 for status in SESSION_STATUSES}
    for session in in_phase:
        counts[session.status] += 1
    minutes_delivered = _seq_sum(float(s.minutes) for s in in_phase if s.status == "delivered")
    scheduled = scheduled_sessions(dosage, case.start, case.as_of, case)
    values: dict[str, Any] = {
        "sessions_delivered": len(delivered),
        "sessions_too_short": counts["delivered"] - len(delivered),
        "sessions_student_absent": counts["student_absent"],
        "sessions_provider_absent": counts["provider_absent"],
        "sessions_cancelled": counts["cancelled"],
        "sessions_scheduled": scheduled,
        "minutes_delivered": minutes_delivered,
        "minutes_scheduled": None,
        "sessions_pct": None,
        "minutes_pct": None,
        "threshold_pct": config.fidelity_threshold_pct,
        "basis": config.fidelity_basis,
    }
    if scheduled is None:
        return Finding(
            "fidelity",
            "not_applicable",
            values,
            _("The plan has no planned number of sessions, so fidelity cannot be measured."),
        )
    if scheduled == 0:
        return Finding("fidelity", "not_applicable", values, _("No sessions were due yet."))
    sessions_pct = len(delivered) / scheduled * 100
    values["sessions_pct"] = sessions_pct
    minutes_pct = None
    if dosage.minutes_per_session is not None:
        minutes_scheduled = scheduled * dosage.minutes_per_session
        minutes_pct = minutes_delivered / minutes_scheduled * 100
        values["minutes_scheduled"] = minutes_scheduled
        values["minutes_pct"] = minutes_pct
    checked: list[float] = []
    if config.fidelity_basis in ("sessions", "both"):
        checked.append(sessions_pct)
    if config.fidelity_basis in ("minutes", "both") and minutes_pct is not None:
        checked.append(minutes_pct)
    if not checked:
        return Finding(
            "fidelity",
            "not_applicable",
            values,
            _("The plan has no planned minutes per session, so minutes cannot be compared."),
        )
    text = {
        "delivered": len(delivered),
        "scheduled": scheduled,
        "sessions_pct": _num(sessions_pct, 0),
        "threshold": _num(config.fidelity_threshold_pct, 0),
    }
    sentences = [_("%(delivered)s of %(scheduled)s scheduled sessions delivered (%(sessions_pct)s%%).") % text]
    if values["sessions_too_short"]:
        sentences.append(
            ngettext(
                "%(short)s session was shorter than the planned %(minutes)s minutes and does not count.",
                "%(short)s sessions were shorter than the planned %(minutes)s minutes and do not count.",
                values["sessions_too_short"],
            )
            % {"short": values["sessions_too_short"], "minutes": _num(dosage.minutes_per_session, 0)}
        )
    if minutes_pct is not None:
        sentences.append(
            _("%(minutes)s of %(planned)s planned minutes delivered (%(minutes_pct)s%%).")
            % {
                "minutes": _num(minutes_delivered, 0),
                "planned": _num(values["minutes_scheduled"], 0),
                "minutes_pct": _num(minutes_pct, 0),
            }
        )
    if any(_q(pct) < config.fidelity_threshold_pct for pct in checked):
        sentences.append(
            _(
                "Below the %(threshold)s%% fidelity threshold: the data cannot show non-response "
                "yet; check delivery before changing the intervention."
            )
            % text
        )
        return Finding("fidelity", "low", values, " ".join(sentences))
    sentences.append(_("At or above the %(threshold)s%% fidelity threshold.") % text)
    return Finding("fidelity", "adequate", values, " ".join(sentences))


def minimum_sessions(config: RuleConfig, case: Case) -> Finding:
    """Delivered sessions against the policy's minimum before a non-response decision
    (Loudon County: at least 40 sessions for Tier II, 45 for Tier III)."""
    delivered = len(delivered_sessions(config, case))
    minimum = config.min_sessions_before_decision
    values = {"sessions_delivered": delivered, "minimum": minimum}
    if minimum is None:
        return Finding(
            "minimum_sessions", "not_applicable", values, _("The policy sets no minimum number of sessions.")
        )
    text = {"delivered": delivered, "minimum": minimum}
    if delivered >= minimum:
        return Finding(
            "minimum_sessions",
            "met",
            values,
            _("%(delivered)s sessions delivered; the policy's minimum of %(minimum)s is met.") % text,
        )
    return Finding(
        "minimum_sessions",
        "not_met",
        values,
        _(
            "Only %(delivered)s sessions delivered; the policy asks for at least %(minimum)s before a "
            "decision. The data cannot show non-response yet."
        )
        % text,
    )


def pm_every_instructional_days(config: RuleConfig, case: Case) -> int | None:
    """The policy's probe interval (calendar days: weekly = 7) in instructional days (weekly = 5)."""
    if config.pm_every_days is None:
        return None
    return max(1, math.ceil(_q(config.pm_every_days * len(case.weekdays) / 7)))


def pm_compliance(config: RuleConfig, case: Case, points: DataPoints) -> Finding:
    """Is progress monitored as often as the policy says, now?

    Gaps are counted in instructional days (a break is no gap): the gap from a
    probe (or the plan start) to the next probe, and the *current* gap from the
    last probe to ``as_of``. The rule looks at the recent window only: the
    current gap and the ``pm_recent_periods - 1`` gaps before it, not the largest
    gap of the plan's whole life. Day rule: each is at most the policy interval
    (in instructional days) + ``pm_grace_days``. Session rule: at most
    ``pm_every_sessions`` delivered sessions in each (a probe on a session's day
    counts for that session).
    """
    recent = config.pm_recent_periods
    values: dict[str, Any] = {
        "every_days": config.pm_every_days,
        "grace_days": config.pm_grace_days,
        "every_sessions": config.pm_every_sessions,
        "recent_periods": recent,
        "n_points": len(points),
    }
    if config.pm_every_days is None and config.pm_every_sessions is None:
        return Finding("pm_frequency", "not_applicable", values, _("The policy sets no progress-monitoring frequency."))
    problems: list[str] = []
    marks = [case.start, *points.dates, case.as_of]
    recent_pairs = list(zip(marks, marks[1:], strict=False))[-recent:]
    if config.pm_every_days is not None:
        every = pm_every_instructional_days(config, case)
        assert every is not None
        allowed = every + config.pm_grace_days
        gaps = [case.instructional_days(earlier + timedelta(days=1), later) for earlier, later in recent_pairs]
        values.update(
            {
                "every_instructional_days": every,
                "allowed_days": allowed,
                "current_gap_days": gaps[-1],
                "max_gap_days": max(gaps),
                "days_since_last": (case.as_of - points.dates[-1]).days if len(points) else None,
            }
        )
        if max(gaps) > allowed:
            if gaps[-1] > allowed:
                problems.append(
                    _("%(gap)s school days since the last probe (the policy asks for one every %(every)s school days)")
                    % {"gap": gaps[-1], "every": every}
                )
            else:
                problems.append(
                    _(
                        "a recent gap of %(gap)s school days without a probe (the policy asks for one "
                        "every %(every)s school days)"
                    )
                    % {"gap": max(gaps), "every": every}
                )
    if config.pm_every_sessions is not None:
        session_days = [s.date for s in delivered_sessions(config, case)]
        counts = [0]
        for day in points.dates:
            counts.append(sum(1 for session_day in session_days if session_day <= day))
        counts.append(len(session_days))
        between = [later - earlier for earlier, later in zip(counts, counts[1:], strict=False)][-recent:]
        values["current_sessions_since_probe"] = between[-1]
        values["max_sessions_between"] = max(between)
        if max(between) > config.pm_every_sessions:
            problems.append(
                _("%(gap)s sessions without a probe (the policy asks for one every %(every)s sessions)")
                % {"gap": max(between), "every": config.pm_every_sessions}
            )
    if problems:
        return Finding(
            "pm_frequency",
            "not_compliant",
            values,
            _("Progress monitoring is less frequent than the policy asks: %(problems)s.")
            % {"problems": "; ".join(problems)},
        )
    return Finding("pm_frequency", "compliant", values, _("Progress monitoring is as frequent as the policy asks."))


def _weeks_to_instructional_days(weeks: float, case: Case) -> int:
    # round() rounds half to even, as np.rint in batch.py.
    return max(1, round(weeks * len(case.weekdays)))


def review_due(config: RuleConfig, case: Case) -> Finding:
    """Is a team review due? First review ``review_after_weeks`` after the tier
    started (Ohio: 6 weeks), then every ``review_every_weeks`` (Loudon: 3; Holland
    Patent: 5). Weeks are instructional weeks (5 school days; a break does not
    count). Due when the latest scheduled review date has passed without a review
    on or after it."""
    anchor = case.tier_start or case.start
    values: dict[str, Any] = {
        "tier_start": anchor.isoformat(),
        "last_review": case.last_review.isoformat() if case.last_review else None,
        "after_weeks": config.review_after_weeks,
        "every_weeks": config.review_every_weeks,
    }
    if config.review_after_weeks is None and config.review_every_weeks is None:
        return Finding("review_due", "not_applicable", values, _("The policy sets no review cadence."))
    every_days = (
        _weeks_to_instructional_days(config.review_every_weeks, case) if config.review_every_weeks is not None else None
    )
    first_days = (
        _weeks_to_instructional_days(config.review_after_weeks, case)
        if config.review_after_weeks is not None
        else every_days
    )
    assert first_days is not None
    elapsed = case.instructional_days(anchor + timedelta(days=1), case.as_of)
    values["instructional_days_in_tier"] = elapsed

    def day_of(n: int) -> date:
        return nth_instructional_day_after(anchor, n, case.non_instructional, case.weekdays)

    if elapsed < first_days:
        first = day_of(first_days)
        values.update({"last_scheduled": None, "next_review": first.isoformat()})
        return Finding(
            "review_due",
            "not_due",
            values,
            _("The first review is scheduled for %(date)s.") % {"date": first.isoformat()},
        )
    if every_days:
        steps = (elapsed - first_days) // every_days
        last_scheduled = day_of(first_days + steps * every_days)
        next_review: date | None = day_of(first_days + (steps + 1) * every_days)
    else:
        last_scheduled, next_review = day_of(first_days), None
    values.update(
        {"last_scheduled": last_scheduled.isoformat(), "next_review": next_review.isoformat() if next_review else None}
    )
    if case.last_review is None or case.last_review < last_scheduled:
        return Finding(
            "review_due", "due", values, _("A team review was due on %(date)s.") % {"date": last_scheduled.isoformat()}
        )
    if next_review is None:
        return Finding("review_due", "not_due", values, _("The scheduled review has taken place."))
    return Finding(
        "review_due", "not_due", values, _("The next review is due on %(date)s.") % {"date": next_review.isoformat()}
    )


def duration(config: RuleConfig, case: Case) -> Finding:
    """Time in the tier, in instructional weeks, against the tier's expected duration.

    Holland Patent Tier 2: "The recommended length of time a student spends in the
    second tier of intervention will vary from approximately ten to twenty weeks"
    (seed 001). ``before_min``: too early for a tier decision by the policy's
    duration; ``past_max``: longer than the policy expects; else ``within``.
    """
    anchor = case.tier_start or case.start
    days = case.instructional_days(anchor + timedelta(days=1), case.as_of)
    weeks = days / len(case.weekdays)
    values: dict[str, Any] = {
        "tier_start": anchor.isoformat(),
        "instructional_days": days,
        "weeks": weeks,
        "min_weeks": config.duration_min_weeks,
        "max_weeks": config.duration_max_weeks,
    }
    if config.duration_min_weeks is None and config.duration_max_weeks is None:
        return Finding("duration", "not_applicable", values, _("The policy sets no expected time in this tier."))
    text = {"weeks": _num(weeks), "min": _num(config.duration_min_weeks), "max": _num(config.duration_max_weeks)}
    if config.duration_min_weeks is not None and _q(weeks) < config.duration_min_weeks:
        return Finding(
            "duration",
            "before_min",
            values,
            _("%(weeks)s instructional weeks in the tier; the policy expects at least %(min)s.") % text,
        )
    if config.duration_max_weeks is not None and _q(weeks) > config.duration_max_weeks:
        return Finding(
            "duration",
            "past_max",
            values,
            _(
                "%(weeks)s instructional weeks in the tier, longer than the policy's %(max)s: the team should "
                "decide on the placement."
            )
            % text,
        )
    return Finding(
        "duration",
        "within",
        values,
        _("%(weeks)s instructional weeks in the tier, within the policy's expected time.") % text,
    )


# --------------------------------------------------------------------------------------
# Recommendation


def recommend(config: RuleConfig, findings: dict[str, Finding], roi: float | None, direction: Direction) -> Finding:
    """Combine the findings into one recommendation, in this order:

    1. No baseline or no valid goal: ``insufficient_data``.
    2. Goal met (last ``exit_points`` points at/beyond the goal) and the policy
       exits on it: ``exit`` (aimsweb "goal met"; Milwaukee 3-point rule, 1.5).
    3. The decision rules named in ``config.decision_rules`` (four-point 1.5,
       trend 1.6, dual discrepancy 1.7) that apply; none has enough data:
       ``insufficient_data`` (minimum data, 1.4).
    4. With ``config.dd_decides`` and a dual-discrepancy finding that applies
       (``adequate`` or ``non_responder``: the case has norms and enough data),
       dual discrepancy alone decides whether the student is responding. This is
       Loudon County's definition (seed 002_d2bcc1edd8245865.txt, Tier II and
       III): "A student is making adequate progress if his or her scores are at
       or above the established criterion for either the performance level OR
       the rate of growth. A student is NOT making adequate progress if his or
       her scores fall below the criteria for both the performance level AND the
       rate of growth."

       * ``non_responder``: ``intensify`` (``refer_evaluation`` at the top
         tier), through the same fidelity and minimum-session gates as in 5.
       * ``adequate``: ``raise_goal`` when another decision rule says *ahead*,
         none says *behind* and ``raise_goal_when_ahead``; otherwise
         ``continue``, even when the trend or four-point rule says *behind*
         (those rules are listed under ``set_aside``: they inform, they do not
         decide).

       Without norms (``not_applicable``) or with too little data for it yet
       (``insufficient_data``), the other decision rules decide as in 5-7.
    5. Any of them says *behind* (or *non_responder*): the student is not
       responding. With dual discrepancy, or when the progress test says
       ``no_progress`` (Ohio: "student has made no progress and will be moved to
       Tier II"), it is ``intensify``; otherwise ("some progress") ``modify``.
       At the top general-education tier ``intensify`` becomes
       ``refer_evaluation`` or stays ``intensify`` within the tier, as
       ``top_tier_intensify`` says; in a special-education tier it always stays
       within the tier (never a referral for an evaluation the student has had).
       The fidelity gate (3.3) then applies when
       ``low_fidelity_blocks_nonresponse``: low fidelity turns modify, intensify
       and refer into ``low_fidelity``; fewer delivered sessions than
       ``min_sessions_before_decision`` turns intensify/refer into
       ``insufficient_data`` (Loudon's 40/45 sessions).
    6. Otherwise, any says *ahead* and ``raise_goal_when_ahead``: ``raise_goal``
       ("consider changing the goal", 1.5/1.6).
    7. Otherwise ``continue``.

    ``batch.evaluate_many`` implements the same order with arrays; keep the two equal.
    """
    values: dict[str, Any] = {"decision_rules": list(config.decision_rules)}
    if findings["baseline"].status != "ok" or findings["goal"].status != "ok":
        return Finding(
            "recommendation", "insufficient_data", values, _("A baseline and a goal are needed before any decision.")
        )
    if config.exit_on_goal_met and findings["goal_met"].status == "met":
        values["drivers"] = ["goal_met"]
        return Finding(
            "recommendation", "exit", values, _("The goal has been reached: consider ending the intervention (exit).")
        )
    applied = [
        findings[rule]
        for rule in config.decision_rules
        if findings[rule].status not in ("not_applicable", "insufficient_data")
    ]
    if not applied:
        return Finding(
            "recommendation",
            "insufficient_data",
            values,
            _("Not enough data yet for any of the policy's decision rules."),
        )
    behind = [f.rule for f in applied if f.status in ("behind", "non_responder")]
    ahead = [f.rule for f in applied if f.status == "ahead"]
    no_progress = findings["progress"].status == "no_progress"
    dual_status = findings["dual_discrepancy"].status

    if config.dd_decides and dual_status in ("adequate", "non_responder"):
        # RuleConfig guarantees "dual_discrepancy" is in decision_rules, so it is in `applied`.
        values["decided_by"] = "dual_discrepancy"
        if dual_status == "non_responder":
            return _not_responding(
                config, findings, values, ["dual_discrepancy"], no_progress=no_progress, intensify=True
            )
        set_aside = [rule for rule in behind if rule != "dual_discrepancy"]
        values["set_aside"] = set_aside
        if ahead and not set_aside and config.raise_goal_when_ahead:
            values["drivers"] = ahead
            return Finding(
                "recommendation",
                "raise_goal",
                values,
                _(
                    "Adequate progress by the policy's level and growth criteria (dual discrepancy), and ahead "
                    "of the aim line: consider raising the goal."
                ),
            )
        values["drivers"] = ["dual_discrepancy"]
        message = _(
            "Adequate progress by the policy's level and growth criteria (dual discrepancy): continue "
            "the current intervention and keep monitoring."
        )
        if set_aside:
            message += " " + _(
                "Under this policy dual discrepancy decides; the other rules that say behind "
                "(%(rules)s) inform the team but do not decide."
            ) % {"rules": ", ".join(set_aside)}
        return Finding("recommendation", "continue", values, message)

    if behind:
        dual = dual_status == "non_responder" and "dual_discrepancy" in behind
        return _not_responding(config, findings, values, behind, no_progress=no_progress, intensify=dual or no_progress)
    if ahead and config.raise_goal_when_ahead:
        values["drivers"] = ahead
        return Finding(
            "recommendation", "raise_goal", values, _("Progress is ahead of the aim line: consider raising the goal.")
        )
    values["drivers"] = [f.rule for f in applied]
    return Finding(
        "recommendation",
        "continue",
        values,
        _("Progress is adequate: continue the current intervention and keep monitoring."),
    )


def _not_responding(
    config: RuleConfig,
    findings: dict[str, Finding],
    values: dict[str, Any],
    drivers: list[str],
    *,
    no_progress: bool,
    intensify: bool,
) -> Finding:
    """Not responding: modify, or intensify/refer, unless the fidelity gate (3.3) stops it."""
    values["drivers"] = drivers
    values["no_progress"] = no_progress
    proposed = "modify"
    if intensify:
        proposed = "intensify"
        if config.is_top_tier and not config.is_special_education_tier:
            proposed = config.top_tier_intensify.replace("intensify_within_tier", "intensify")
    values["proposed"] = proposed
    values["within_tier"] = proposed == "intensify" and intensify_stays_in_tier(config)
    gate = config.low_fidelity_blocks_nonresponse
    if gate and findings["fidelity"].status == "low":
        values["gated_by"] = "fidelity"
        return Finding(
            "recommendation",
            "low_fidelity",
            values,
            _(
                "The data suggest the student is not responding, but fidelity is low, so non-response "
                "cannot be concluded: improve delivery first."
            ),
        )
    if gate and proposed != "modify" and findings["minimum_sessions"].status == "not_met":
        values["gated_by"] = "minimum_sessions"
        return Finding(
            "recommendation",
            "insufficient_data",
            values,
            _(
                "The data suggest the student is not responding, but too few sessions have been "
                "delivered to conclude it."
            ),
        )
    if proposed == "modify":
        return Finding(
            "recommendation", "modify", values, _("Some progress, but behind the aim line: modify the intervention.")
        )
    if proposed == "intensify" and config.is_special_education_tier:
        return Finding(
            "recommendation",
            "intensify",
            values,
            _(
                "No adequate progress in special education: intensify the support within this tier "
                "(the IEP team decides)."
            ),
        )
    if proposed == "intensify" and values["within_tier"]:
        return Finding(
            "recommendation",
            "intensify",
            values,
            _(
                "No adequate progress at the most intensive general-education tier: intensify the support "
                "within this tier."
            ),
        )
    if proposed == "intensify":
        return Finding(
            "recommendation", "intensify", values, _("No adequate progress: intensify (consider the next tier).")
        )
    return Finding(
        "recommendation",
        "refer_evaluation",
        values,
        _("No adequate progress at the top tier: consider a referral for a special-education evaluation."),
    )


def intensify_stays_in_tier(config: RuleConfig) -> bool:
    """``intensify`` means more support in the same tier (special education, or the policy says so at the top)."""
    return config.is_special_education_tier or (
        config.is_top_tier and config.top_tier_intensify == "intensify_within_tier"
    )


def recommended_tier(config: RuleConfig, recommendation: str) -> int:
    """The tier a recommendation leads to, for a student in ``config.tier``.

    ``intensify``: the next tier, unless it stays within the tier (special
    education; the top tier when the policy says so). ``exit``: one tier down
    ("return to TIER II or lesser levels", Loudon), except in special education,
    where the IEP team decides. ``refer_evaluation`` keeps the tier while the
    evaluation runs (Loudon: "Tier III interventions will continue"); every
    other recommendation keeps it too.
    """
    if recommendation == "intensify" and not intensify_stays_in_tier(config):
        return config.tier + 1
    if recommendation == "exit" and not config.is_special_education_tier:
        return max(1, config.tier - 1)
    return config.tier


def changes_tier(config: RuleConfig, recommendation: str) -> bool:
    """Does the recommendation change the student's tier? (A decision letter goes only then.)"""
    return recommended_tier(config, recommendation) != config.tier


# --------------------------------------------------------------------------------------
# Evaluate one case


def evaluate(config: RuleConfig, case: Case) -> Evaluation:
    """Run every rule on one case and recommend (see ``recommend``)."""
    direction = case.goal.direction
    points = data_points(case.probes, case.start, case.as_of)
    weeks_elapsed = weeks_since(case.as_of, case.start)
    findings: dict[str, Finding] = {}

    baseline_probes = [p for p in case.baseline_probes if p.date <= case.as_of]
    base = baseline(baseline_probes, config.baseline_k)
    used = sorted(baseline_probes, key=lambda p: (p.date, p.score))[: config.baseline_k]
    if base is None:
        findings["baseline"] = Finding(
            "baseline", "insufficient_data", {"k": config.baseline_k, "scores": []}, _("No baseline probes.")
        )
    else:
        scores = [float(p.score) for p in used]
        findings["baseline"] = Finding(
            "baseline",
            "ok",
            {"baseline": base, "k": config.baseline_k, "scores": scores},
            _("Baseline %(baseline)s = median of the first %(n)s baseline probes (%(scores)s).")
            % {"baseline": _num(base), "n": len(scores), "scores": _nums(scores)},
        )

    line = goal_line(base, case.goal, case.start) if base is not None else None
    goal_score, goal_roi = line if line is not None else (None, None)
    goal_values: dict[str, Any] = {
        "method": "benchmark" if case.goal.target is not None else "roi",
        "goal_score": goal_score,
        "goal_roi": goal_roi,
        "direction": direction,
        "target_date": case.goal.target_date.isoformat(),
        "weeks_to_goal": weeks_since(case.goal.target_date, case.start),
    }
    if base is None:
        findings["goal"] = Finding("goal", "insufficient_data", goal_values, _("The aim line needs a baseline."))
    elif line is None:
        findings["goal"] = Finding("goal", "invalid", goal_values, _("The goal date must be after the plan start."))
    else:
        findings["goal"] = Finding(
            "goal",
            "ok",
            goal_values,
            _("Aim line from %(baseline)s to %(goal)s by %(date)s: %(roi)s per week.")
            % {
                "baseline": _num(base),
                "goal": _num(goal_score),
                "date": case.goal.target_date.isoformat(),
                "roi": _num(goal_roi, 2),
            },
        )

    line_fit = trend(config, points)
    roi = line_fit.slope if line_fit is not None else None
    findings["four_point"] = four_point_rule(config, points, base, goal_roi, direction, weeks_elapsed)
    findings["trend"] = trend_rule(config, line_fit, len(points), goal_roi, direction, weeks_elapsed)
    findings["median_three"] = median_rule(config, points, base, goal_roi, direction, weeks_elapsed)
    level_cut = case.level_cut if case.level_cut is not None else config.dd_level_cut
    roi_cut = case.roi_cut if case.roi_cut is not None else config.dd_roi_cut
    findings["dual_discrepancy"] = dual_discrepancy(
        config, points, roi, level_cut, roi_cut, direction, weeks_elapsed, goal_roi, case.norms_source
    )
    findings["progress"] = progress_test(config, points, roi, goal_roi, direction)
    findings["goal_met"] = goal_met(config, points, goal_score, direction)
    findings["fidelity"] = fidelity(config, case)
    findings["minimum_sessions"] = minimum_sessions(config, case)
    findings["pm_frequency"] = pm_compliance(config, case, points)
    findings["review_due"] = review_due(config, case)
    findings["duration"] = duration(config, case)
    findings["recommendation"] = recommend(config, findings, roi, direction)

    return Evaluation(
        recommendation=findings["recommendation"].status,
        findings=tuple(findings[rule] for rule in RULE_IDS),
        baseline=base,
        goal_score=goal_score,
        goal_roi=goal_roi,
        roi=roi,
        policy=config.label,
        n_points=len(points),
        as_of=case.as_of,
    )
