"""The decision rules of ``engine.py``, vectorised over a whole district.

``evaluate_many`` takes three long tables (plans, probes, sessions) and returns
one row per plan with the recommendation, the key numbers and every rule's
status. There is no per-plan Python loop: everything is sorting, ``bincount``
and array arithmetic, so a district of 10,000 plans takes well under a second.

It must agree exactly with ``engine.evaluate`` (``tests/rules/test_batch_agreement.py``).
To make that possible both paths

* sort the same way (data points by date; same-day probes by score; sessions by
  date then minutes) and sum left to right (``np.bincount`` accumulates in input
  order, the engine's ``_seq_sum`` likewise), so OLS sums have the same bits;
* round to 1e-9 before every comparison (``_q``), so an exact tie stays a tie;
* write each formula with the same operations in the same order.

Input columns (missing optional columns are treated as empty):

plans_df
    ``plan_id`` (or the index), ``config`` (a key of ``configs``), ``start``,
    ``target_date``, ``target`` (benchmark goal) or ``target_roi`` (growth goal),
    ``direction`` ("up"/"down"); optional ``sessions_per_week``,
    ``sessions_per_cycle``, ``cycle_days``, ``minutes_per_session``,
    ``level_cut``, ``roi_cut``, ``tier_start``, ``last_review``, ``calendar``
    (a key of ``calendars``, or a ``SchoolCalendar``; missing: Monday to Friday
    with no holidays).
probes_df
    ``plan_id``, ``date``, ``score``, optional ``is_baseline`` (bool).
sessions_df
    ``plan_id``, ``date``, ``minutes``, ``status``.
"""

from __future__ import annotations

from collections.abc import Hashable, Mapping
from datetime import date
from typing import Any

import numpy as np
import pandas as pd

from mtss.rules.calendar import SchoolCalendar, weekmask
from mtss.rules.config import DECISION_RULES, RuleConfig
from mtss.rules.engine import Case
from mtss.rules.stats import student_t_quantile

STATUS_COLUMNS = (
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
)

_PLAN_FLOAT_COLUMNS = (
    "target",
    "target_roi",
    "sessions_per_week",
    "sessions_per_cycle",
    "cycle_days",
    "minutes_per_session",
    "level_cut",
    "roi_cut",
)
_PLAN_DATE_COLUMNS = ("start", "target_date", "tier_start", "last_review")


def _q(values: np.ndarray) -> np.ndarray:
    """engine._q, vectorised: ``round(v * 1e9) / 1e9`` (np.rint rounds half to even, as round() does)."""
    return np.rint(values * 1e9) / 1e9


def _days(values: Any) -> tuple[np.ndarray, np.ndarray]:
    """Day numbers (days since 1970-01-01) and a mask of missing dates."""
    stamps = pd.to_datetime(pd.Series(values) if not isinstance(values, pd.Series) else values)
    missing = stamps.isna().to_numpy()
    days = stamps.to_numpy(dtype="datetime64[ns]").astype("datetime64[D]").astype(np.int64)
    days[missing] = 0
    return days, missing


def _segment_positions(segment: np.ndarray, n_segments: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """For rows sorted by segment: counts per segment, first row per segment, position in segment."""
    counts = np.bincount(segment, minlength=n_segments)
    first = np.cumsum(counts) - counts
    position = np.arange(len(segment)) - first[segment]
    return counts, first, position


def _segment_median(segment: np.ndarray, values: np.ndarray, n_segments: int) -> np.ndarray:
    """Median of ``values`` per segment (NaN where empty); mean of the middle two for even counts."""
    result = np.full(n_segments, np.nan)
    if len(segment) == 0:
        return result
    order = np.lexsort((values, segment))
    ordered = values[order]
    counts = np.bincount(segment, minlength=n_segments)
    first = np.cumsum(counts) - counts
    has = counts > 0
    low = first[has] + (counts[has] - 1) // 2
    high = first[has] + counts[has] // 2
    result[has] = (ordered[low] + ordered[high]) / 2
    return result


class _Calendars:
    """Instructional-day counts for every plan's calendar: ``cum[code, day - low]`` is the
    number of instructional days up to and including ``day`` (engine: ``calendar.py``)."""

    def __init__(self, codes: np.ndarray, calendars: list[SchoolCalendar], low: int, high: int) -> None:
        self.codes, self.low = codes, low
        days = np.arange(low, high + 1).astype("datetime64[D]")
        self.cum = np.empty((len(calendars), len(days)), dtype=np.int64)
        for index, calendar in enumerate(calendars):
            holidays = np.array(sorted(calendar.non_instructional), dtype="datetime64[D]")
            school = np.is_busday(days, weekmask=weekmask(calendar.weekdays), holidays=holidays)
            self.cum[index] = np.cumsum(school)
        self.per_week = np.array([len(calendar.weekdays) for calendar in calendars], dtype=float)[codes]

    def upto(self, day: np.ndarray, plan: np.ndarray | None = None) -> np.ndarray:
        """Instructional days up to and including ``day`` (rows aligned with ``plan``, default: every plan)."""
        codes = self.codes if plan is None else self.codes[plan]
        index = np.clip(day - self.low, 0, self.cum.shape[1] - 1)
        return self.cum[codes, index]

    def nth_after(self, anchor: np.ndarray, n: np.ndarray) -> np.ndarray:
        """The day on which ``n`` instructional days after ``anchor`` have passed.

        The batch twin of ``calendar.nth_instructional_day_after``."""
        result = np.empty(len(anchor), dtype=np.int64)
        target = self.upto(anchor) + n
        for code in np.unique(self.codes):
            rows = np.flatnonzero(self.codes == code)
            result[rows] = np.searchsorted(self.cum[code], target[rows], side="left") + self.low
        return result


def _calendar_codes(
    plans: pd.DataFrame, calendars: Mapping[Hashable, SchoolCalendar] | None
) -> tuple[np.ndarray, list[SchoolCalendar]]:
    if "calendar" not in plans.columns:
        return np.zeros(len(plans), dtype=np.int64), [SchoolCalendar()]
    values = plans["calendar"].map(
        lambda v: SchoolCalendar() if v is None or (isinstance(v, float) and np.isnan(v)) else v
    )
    codes, uniques = pd.factorize(values)
    resolved: list[SchoolCalendar] = []
    for value in uniques:
        if isinstance(value, SchoolCalendar):
            resolved.append(value)
        elif calendars is not None and value in calendars:
            resolved.append(calendars[value])
        else:
            raise KeyError(f"plans refer to an unknown calendar: {value!r}")
    return codes.astype(np.int64), resolved


def _config_arrays(configs: Mapping[Hashable, RuleConfig] | RuleConfig, keys: pd.Series) -> dict[str, np.ndarray]:
    """One array per RuleConfig field, aligned with the plans (configs are few; plans many)."""
    if isinstance(configs, RuleConfig):
        codes = np.zeros(len(keys), dtype=np.int64)
        unique: list[RuleConfig] = [configs]
    else:
        codes, uniques = pd.factorize(keys, use_na_sentinel=True)
        missing = sorted({str(k) for k in uniques if k not in configs})
        if missing or (codes < 0).any():
            raise KeyError(f"plans refer to unknown config keys: {missing or ['<missing>']}")
        unique = [configs[key] for key in uniques]

    def column(getter: Any, dtype: Any = float) -> np.ndarray:
        table = np.array([getter(config) for config in unique], dtype=dtype)
        return table[codes]

    def optional(name: str) -> np.ndarray:
        return column(lambda c: np.nan if getattr(c, name) is None else getattr(c, name))

    arrays: dict[str, np.ndarray] = {
        "baseline_k": column(lambda c: c.baseline_k, np.int64),
        "min_weeks": column(lambda c: c.min_weeks),
        "roi_min_points": column(lambda c: c.roi_min_points, np.int64),
        "four_point_n": column(lambda c: c.four_point_n, np.int64),
        "four_point_min_points": column(lambda c: c.four_point_min_points, np.int64),
        "four_point_tolerance": column(lambda c: c.four_point_tolerance),
        "tukey": column(lambda c: c.trend_method == "tukey", bool),
        "median_median": column(lambda c: c.tukey_variant == "median_median", bool),
        "trend_min_points": column(lambda c: c.trend_min_points, np.int64),
        "median_min_points": column(lambda c: c.median_min_points, np.int64),
        "slope_bound": column(lambda c: c.progress_test == "slope_bound", bool),
        "progress_confidence": column(lambda c: c.progress_confidence),
        "dd_aim_rate": column(lambda c: c.dd_aim_rate_satisfies, bool),
        "special_tier": column(lambda c: c.is_special_education_tier, bool),
        "top_refers": column(lambda c: c.top_tier_intensify == "refer_evaluation", bool),
        "duration_min": optional("duration_min_weeks"),
        "duration_max": optional("duration_max_weeks"),
        "pm_recent_periods": column(lambda c: c.pm_recent_periods, np.int64),
        "parallel_tolerance_abs": column(lambda c: c.parallel_tolerance_abs),
        "parallel_tolerance_rel": column(lambda c: c.parallel_tolerance_rel),
        "dd_level_cut": optional("dd_level_cut"),
        "dd_roi_cut": optional("dd_roi_cut"),
        "dd_level_points": column(lambda c: c.dd_level_points, np.int64),
        "dd_both_below": column(lambda c: c.dd_combine == "both_below", bool),
        "dd_decides": column(lambda c: c.dd_decides, bool),
        "fidelity_threshold_pct": column(lambda c: c.fidelity_threshold_pct),
        "basis_sessions": column(lambda c: c.fidelity_basis in ("sessions", "both"), bool),
        "basis_minutes": column(lambda c: c.fidelity_basis in ("minutes", "both"), bool),
        "gate": column(lambda c: c.low_fidelity_blocks_nonresponse, bool),
        "minutes_must_match": column(lambda c: c.session_minutes_must_match_dosage, bool),
        "min_sessions": optional("min_sessions_before_decision"),
        "sessions_per_week": optional("sessions_per_week"),
        "sessions_per_cycle": optional("sessions_per_cycle"),
        "cycle_days": optional("cycle_days"),
        "minutes_per_session": optional("minutes_per_session"),
        "pm_every_days": optional("pm_every_days"),
        "pm_every_sessions": optional("pm_every_sessions"),
        "pm_grace_days": column(lambda c: c.pm_grace_days, np.int64),
        "review_after_weeks": optional("review_after_weeks"),
        "review_every_weeks": optional("review_every_weeks"),
        "exit_on_goal_met": column(lambda c: c.exit_on_goal_met, bool),
        "exit_points": column(lambda c: c.exit_points, np.int64),
        "raise_goal_when_ahead": column(lambda c: c.raise_goal_when_ahead, bool),
        "no_progress_roi": column(lambda c: c.no_progress_roi),
        "is_top_tier": column(lambda c: c.is_top_tier, bool),
        "tier": column(lambda c: c.tier, np.int64),
    }
    for rule in DECISION_RULES:
        arrays[f"uses_{rule}"] = column(lambda c, rule=rule: rule in c.decision_rules, bool)
    arrays["policy"] = column(lambda c: c.label, object)
    return arrays


def _plan_frame(plans_df: pd.DataFrame) -> pd.DataFrame:
    plans = plans_df.reset_index() if "plan_id" not in plans_df.columns else plans_df.reset_index(drop=True)
    if "plan_id" not in plans.columns:
        plans = plans.rename(columns={plans.columns[0]: "plan_id"})
    if plans["plan_id"].duplicated().any():
        raise ValueError("plan_id must be unique in plans_df")
    for name in ("start", "target_date", "config"):
        if name not in plans.columns:
            raise KeyError(f"plans_df needs a {name!r} column")
    return plans


def _column(frame: pd.DataFrame, name: str, default: Any) -> pd.Series:
    if name in frame.columns:
        return frame[name]
    return pd.Series([default] * len(frame), index=frame.index)


def evaluate_many(
    configs: Mapping[Hashable, RuleConfig] | RuleConfig,
    plans_df: pd.DataFrame,
    probes_df: pd.DataFrame,
    sessions_df: pd.DataFrame,
    as_of: date | str | pd.Timestamp,
    calendars: Mapping[Hashable, SchoolCalendar] | None = None,
) -> pd.DataFrame:
    """Evaluate every plan of ``plans_df`` as of one day; one row per plan (index ``plan_id``).

    Columns: ``recommendation``, ``policy``, ``baseline``, ``goal_score``,
    ``goal_roi``, ``roi``, ``trend_intercept``, ``n_points``, ``level``,
    ``sessions_delivered``, ``sessions_scheduled``, ``sessions_pct``,
    ``minutes_delivered``, ``minutes_pct``, ``max_gap_days`` (the largest
    recent gap in instructional days), ``current_gap_days``, ``progress_bound``,
    ``changes_tier`` (engine.changes_tier), and one
    ``status_<rule>`` column per rule of ``STATUS_COLUMNS`` plus
    ``status_recommendation`` (the same as ``recommendation``).
    """
    plans = _plan_frame(plans_df)
    n_plans = len(plans)
    cfg = _config_arrays(configs, plans["config"])
    as_of_day = int(np.datetime64(pd.Timestamp(as_of).date(), "D").astype(np.int64))
    plan_index = pd.Index(plans["plan_id"])

    start, _ = _days(plans["start"])
    target_date, _ = _days(plans["target_date"])
    tier_start, no_tier_start = _days(_column(plans, "tier_start", pd.NaT))
    last_review, no_last_review = _days(_column(plans, "last_review", pd.NaT))
    plan = {
        name: pd.to_numeric(_column(plans, name, np.nan), errors="raise").to_numpy(dtype=float)
        for name in _PLAN_FLOAT_COLUMNS
    }
    direction = _column(plans, "direction", "up").to_numpy()
    unknown_directions = set(pd.unique(direction)) - {"up", "down"}
    if unknown_directions:
        raise ValueError(f"direction must be 'up' or 'down', got {sorted(map(str, unknown_directions))}")
    sign = np.where(direction == "down", -1.0, 1.0)
    weeks_elapsed = (as_of_day - start) / 7
    enough_weeks = ~(weeks_elapsed < cfg["min_weeks"])
    anchor = np.where(no_tier_start, start, tier_start)
    calendar_codes, calendar_list = _calendar_codes(plans, calendars)
    low = (
        int(min(as_of_day, int(start.min()) if n_plans else as_of_day, int(anchor.min()) if n_plans else as_of_day)) - 1
    )
    high = (
        int(max(as_of_day, int(start.max()) if n_plans else as_of_day, int(anchor.max()) if n_plans else as_of_day)) + 1
    )
    cal = _Calendars(calendar_codes, calendar_list, low, high)
    school_upto_as_of = cal.upto(np.full(n_plans, as_of_day, dtype=np.int64))

    with np.errstate(divide="ignore", invalid="ignore"):
        # ---- probes: baseline (RULES.md 1.1) -------------------------------------------
        probe_plan = plan_index.get_indexer(probes_df["plan_id"]) if len(probes_df) else np.array([], np.int64)
        probe_day, _ = _days(probes_df["date"]) if len(probes_df) else (np.array([], np.int64), None)
        probe_score = probes_df["score"].to_numpy(dtype=float) if len(probes_df) else np.array([])
        is_baseline = (
            _column(probes_df, "is_baseline", False).to_numpy(dtype=bool) if len(probes_df) else np.array([], bool)
        )
        known = probe_plan >= 0

        rows = np.flatnonzero(known & is_baseline & (probe_day <= as_of_day))
        order = rows[np.lexsort((probe_score[rows], probe_day[rows], probe_plan[rows]))]
        b_plan = probe_plan[order]
        _, _, b_rank = _segment_positions(b_plan, n_plans)
        keep = b_rank < cfg["baseline_k"][b_plan]
        baseline = _segment_median(b_plan[keep], probe_score[order][keep], n_plans)
        has_baseline = ~np.isnan(baseline)

        # ---- probes: data points, one per day (engine.data_points) -----------------------
        rows = np.flatnonzero(known & ~is_baseline)
        rows = rows[(probe_day[rows] >= start[probe_plan[rows]]) & (probe_day[rows] <= as_of_day)]
        order = rows[np.lexsort((probe_score[rows], probe_day[rows], probe_plan[rows]))]
        s_plan, s_day, s_score = probe_plan[order], probe_day[order], probe_score[order]
        new_day = np.ones(len(order), dtype=bool)
        new_day[1:] = (s_plan[1:] != s_plan[:-1]) | (s_day[1:] != s_day[:-1])
        day_first = np.flatnonzero(new_day)
        day_count = np.diff(np.append(day_first, len(order)))
        pt_score = (s_score[day_first + (day_count - 1) // 2] + s_score[day_first + day_count // 2]) / 2
        pt_plan, pt_day = s_plan[day_first], s_day[day_first]
        n_points, pt_first, pt_pos = _segment_positions(pt_plan, n_plans)
        pt_from_end = n_points[pt_plan] - 1 - pt_pos
        x = (pt_day - start[pt_plan]) / 7
        y = pt_score

        # ---- goal and aim line (1.2, 1.3) ------------------------------------------------
        weeks_to_goal = (target_date - start) / 7
        goal_ok = has_baseline & (weeks_to_goal > 0)
        by_target = ~np.isnan(plan["target"])
        goal_score = np.where(by_target, plan["target"], baseline + plan["target_roi"] * weeks_to_goal)
        goal_roi = np.where(by_target, (plan["target"] - baseline) / weeks_to_goal, plan["target_roi"])
        goal_score = np.where(goal_ok, goal_score, np.nan)
        goal_roi = np.where(goal_ok, goal_roi, np.nan)

        # ---- OLS (1.6.1) ------------------------------------------------------------------
        x_mean = np.bincount(pt_plan, x, n_plans) / n_points
        y_mean = np.bincount(pt_plan, y, n_plans) / n_points
        dx = x - x_mean[pt_plan]
        sxx = np.bincount(pt_plan, dx * dx, n_plans)
        sxy = np.bincount(pt_plan, dx * (y - y_mean[pt_plan]), n_plans)
        ols_ok = (n_points >= 2) & (sxx != 0)
        ols_slope = np.where(ols_ok, sxy / sxx, np.nan)
        ols_intercept = y_mean - ols_slope * x_mean

        # ---- Tukey (1.6.3) -----------------------------------------------------------------
        size, extra = np.divmod(n_points, 3)
        g_first = np.where(extra == 2, size + 1, size)
        g_last = g_first
        in_first = pt_pos < g_first[pt_plan]
        in_last = pt_from_end < g_last[pt_plan]
        in_middle = ~in_first & ~in_last
        x1 = _segment_median(pt_plan[in_first], x[in_first], n_plans)
        y1 = _segment_median(pt_plan[in_first], y[in_first], n_plans)
        x2 = _segment_median(pt_plan[in_middle], x[in_middle], n_plans)
        y2 = _segment_median(pt_plan[in_middle], y[in_middle], n_plans)
        x3 = _segment_median(pt_plan[in_last], x[in_last], n_plans)
        y3 = _segment_median(pt_plan[in_last], y[in_last], n_plans)
        tukey_ok = (n_points >= 3) & (x3 != x1)
        tukey_slope = np.where(tukey_ok, (y3 - y1) / (x3 - x1), np.nan)
        tukey_intercept = y1 - tukey_slope * x1
        tukey_intercept = np.where(
            cfg["median_median"],
            (tukey_intercept + (y2 - tukey_slope * x2) + (y3 - tukey_slope * x3)) / 3,
            tukey_intercept,
        )

        has_roi = n_points >= cfg["roi_min_points"]
        roi = np.where(has_roi, np.where(cfg["tukey"], tukey_slope, ols_slope), np.nan)
        intercept = np.where(has_roi, np.where(cfg["tukey"], tukey_intercept, ols_intercept), np.nan)
        has_line = ~np.isnan(roi)

        # ---- four-point rule (1.5) ----------------------------------------------------------
        aim = baseline[pt_plan] + goal_roi[pt_plan] * x
        residual = _q(sign[pt_plan] * (y - aim))
        tolerance = cfg["four_point_tolerance"][pt_plan]
        last_n = pt_from_end < cfg["four_point_n"][pt_plan]
        below = np.bincount(pt_plan[last_n], (residual < -tolerance)[last_n], n_plans)
        above = np.bincount(pt_plan[last_n], (residual > tolerance)[last_n], n_plans)
        four_point_enough = goal_ok & (n_points >= cfg["four_point_min_points"]) & enough_weeks
        status_four_point = np.select(
            [~four_point_enough, below == cfg["four_point_n"], above == cfg["four_point_n"]],
            ["insufficient_data", "behind", "ahead"],
            "mixed",
        ).astype(object)

        # ---- trend rule (1.6) --------------------------------------------------------------
        band = _q(np.maximum(cfg["parallel_tolerance_abs"], cfg["parallel_tolerance_rel"] * np.abs(goal_roi)))
        difference = _q(sign * (roi - goal_roi))
        trend_enough = goal_ok & (n_points >= cfg["trend_min_points"]) & enough_weeks & has_line
        status_trend = np.select(
            [~trend_enough, difference < -band, difference > band], ["insufficient_data", "behind", "ahead"], "on_track"
        ).astype(object)

        # ---- NCII median rule (engine.median_rule) -----------------------------------------
        last_three = pt_from_end < 3
        median_score = _segment_median(pt_plan[last_three], y[last_three], n_plans)
        x_middle = np.full(n_plans, np.nan)
        middle = pt_from_end == 1
        x_middle[pt_plan[middle]] = x[middle]
        median_residual = _q(sign * (median_score - (baseline + goal_roi * x_middle)))
        median_enough = goal_ok & (n_points >= cfg["median_min_points"]) & enough_weeks
        status_median = np.select(
            [
                ~median_enough,
                median_residual < -cfg["four_point_tolerance"],
                median_residual > cfg["four_point_tolerance"],
            ],
            ["insufficient_data", "behind", "ahead"],
            "on_track",
        ).astype(object)

        # ---- dual discrepancy (1.7) --------------------------------------------------------
        level_cut = np.where(np.isnan(plan["level_cut"]), cfg["dd_level_cut"], plan["level_cut"])
        roi_cut = np.where(np.isnan(plan["roi_cut"]), cfg["dd_roi_cut"], plan["roi_cut"])
        last_level = pt_from_end < cfg["dd_level_points"][pt_plan]
        level = _segment_median(pt_plan[last_level], y[last_level], n_plans)
        level_below = _q(sign * (level - level_cut)) < 0
        growth_below = _q(sign * (roi - roi_cut)) < 0
        meets_aim_rate = cfg["dd_aim_rate"] & ~np.isnan(goal_roi) & (_q(sign * (roi - goal_roi)) >= 0)
        non_responder = np.where(
            cfg["dd_both_below"], level_below & growth_below, growth_below | (level_below & ~meets_aim_rate)
        )
        dd_applicable = ~np.isnan(level_cut) & ~np.isnan(roi_cut)
        dd_enough = (n_points >= cfg["trend_min_points"]) & enough_weeks & has_line
        status_dd = np.select(
            [~dd_applicable, ~dd_enough, non_responder],
            ["not_applicable", "insufficient_data", "non_responder"],
            "adequate",
        ).astype(object)

        # ---- progress test (engine.progress_test) -----------------------------------------
        # slope_bound: OLS slope, SE = sqrt(SSE / (n - 2) / Sxx), same operations as engine.ols_fit.
        residual_ols = y - (ols_intercept[pt_plan] + ols_slope[pt_plan] * x)
        sse = np.bincount(pt_plan, residual_ols * residual_ols, n_plans)
        fit_ok = ols_ok & (n_points >= 3) & (n_points >= cfg["roi_min_points"])
        se = np.sqrt(sse / (n_points - 2) / sxx)
        df = np.where(fit_ok, n_points - 2, 1)
        t_value = np.full(n_plans, np.nan)
        for confidence, dof in set(zip(cfg["progress_confidence"][fit_ok].tolist(), df[fit_ok].tolist(), strict=False)):
            rows = fit_ok & (cfg["progress_confidence"] == confidence) & (df == dof)
            t_value[rows] = student_t_quantile(confidence, dof)
        bound = sign * ols_slope - t_value * se
        bound_status = np.select(
            [~fit_ok, _q(bound) <= 0, ~np.isnan(goal_roi) & (_q(sign * (ols_slope - goal_roi)) >= 0)],
            ["insufficient_data", "no_progress", "adequate_progress"],
            "some_progress",
        )
        threshold_status = np.select(
            [
                np.isnan(roi),
                _q(sign * roi) <= cfg["no_progress_roi"],
                ~np.isnan(goal_roi) & (_q(sign * (roi - goal_roi)) >= 0),
            ],
            ["insufficient_data", "no_progress", "adequate_progress"],
            "some_progress",
        )
        status_progress = np.where(cfg["slope_bound"], bound_status, threshold_status).astype(object)
        progress_bound = np.where(cfg["slope_bound"] & fit_ok, bound, np.nan)

        # ---- goal met (exit) -----------------------------------------------------------
        last_exit = pt_from_end < cfg["exit_points"][pt_plan]
        reached = _q(sign[pt_plan] * (y - goal_score[pt_plan])) >= 0
        reached_count = np.bincount(pt_plan[last_exit], reached[last_exit], n_plans)
        status_goal_met = np.select(
            [~goal_ok, n_points < cfg["exit_points"], reached_count == cfg["exit_points"]],
            ["insufficient_data", "insufficient_data", "met"],
            "not_met",
        ).astype(object)

        # ---- sessions: fidelity and minimum sessions (3.2, 3.3) ------------------------------
        if len(sessions_df):
            sess_plan = plan_index.get_indexer(sessions_df["plan_id"])
            sess_day, _ = _days(sessions_df["date"])
            sess_minutes = sessions_df["minutes"].to_numpy(dtype=float)
            sess_status = sessions_df["status"].to_numpy()
        else:
            sess_plan = np.array([], np.int64)
            sess_day = np.array([], np.int64)
            sess_minutes = np.array([])
            sess_status = np.array([], object)
        rows = np.flatnonzero(sess_plan >= 0)
        rows = rows[(sess_day[rows] >= start[sess_plan[rows]]) & (sess_day[rows] <= as_of_day)]
        order = rows[np.lexsort((sess_minutes[rows], sess_day[rows], sess_plan[rows]))]
        se_plan, se_day, se_minutes = sess_plan[order], sess_day[order], sess_minutes[order]
        by_plan_frequency = ~np.isnan(plan["sessions_per_week"]) | ~np.isnan(plan["sessions_per_cycle"])
        per_week = np.where(by_plan_frequency, plan["sessions_per_week"], cfg["sessions_per_week"])
        per_cycle = np.where(by_plan_frequency, plan["sessions_per_cycle"], cfg["sessions_per_cycle"])
        cycle_days = np.where(by_plan_frequency, plan["cycle_days"], cfg["cycle_days"])
        minutes_per_session = np.where(
            np.isnan(plan["minutes_per_session"]), cfg["minutes_per_session"], plan["minutes_per_session"]
        )

        logged_delivered = sess_status[order] == "delivered"
        # engine.delivered_sessions: short sessions do not count when the policy says so.
        must_match = (cfg["minutes_must_match"] & ~np.isnan(minutes_per_session))[se_plan]
        delivered = logged_delivered & (~must_match | (se_minutes >= minutes_per_session[se_plan]))
        sessions_delivered = np.bincount(se_plan[delivered], minlength=n_plans)
        minutes_delivered = np.bincount(se_plan[logged_delivered], se_minutes[logged_delivered], n_plans)

        # engine.scheduled_sessions: instructional days from start to as_of, both included.
        school_days = np.maximum(school_upto_as_of - cal.upto(start - 1), 0)
        scheduled = np.where(
            ~np.isnan(per_week),
            np.floor(_q(school_days * per_week / cal.per_week)),
            np.where(
                ~np.isnan(per_cycle) & (cycle_days > 0), np.floor(_q(school_days * per_cycle / cycle_days)), np.nan
            ),
        )
        scheduled = np.where(as_of_day < start, 0.0, scheduled)
        sessions_pct = np.where(scheduled > 0, sessions_delivered / scheduled * 100, np.nan)
        minutes_scheduled = scheduled * minutes_per_session
        minutes_pct = np.where(scheduled > 0, minutes_delivered / minutes_scheduled * 100, np.nan)
        threshold = cfg["fidelity_threshold_pct"]
        check_minutes = cfg["basis_minutes"] & ~np.isnan(minutes_pct)
        low = (cfg["basis_sessions"] & (_q(sessions_pct) < threshold)) | (check_minutes & (_q(minutes_pct) < threshold))
        nothing_checked = ~cfg["basis_sessions"] & ~check_minutes
        status_fidelity = np.select(
            [np.isnan(scheduled) | (scheduled == 0) | nothing_checked, low], ["not_applicable", "low"], "adequate"
        ).astype(object)
        status_min_sessions = np.select(
            [np.isnan(cfg["min_sessions"]), sessions_delivered >= cfg["min_sessions"]],
            ["not_applicable", "met"],
            "not_met",
        ).astype(object)

        # ---- progress-monitoring frequency (engine.pm_compliance) ----------------------------
        # Gaps in instructional days; only the current gap and the recent_periods - 1 before it count.
        recent = cfg["pm_recent_periods"]
        previous_day = np.where(pt_pos == 0, start[pt_plan], np.roll(pt_day, 1))
        has_points = n_points > 0
        last_point = (pt_first + n_points - 1)[has_points]
        last_day = start.copy()
        last_day[has_points] = pt_day[last_point]
        every_days = np.where(
            np.isnan(cfg["pm_every_days"]), np.nan, np.maximum(1, np.ceil(_q(cfg["pm_every_days"] * cal.per_week / 7)))
        )
        allowed = every_days + cfg["pm_grace_days"]
        current_gap = np.maximum(school_upto_as_of - cal.upto(last_day), 0)
        max_gap = current_gap.copy()
        point_gap = cal.upto(pt_day, pt_plan) - cal.upto(previous_day, pt_plan)
        recent_point = pt_from_end < (recent[pt_plan] - 1)
        np.maximum.at(max_gap, pt_plan[recent_point], point_gap[recent_point])
        day_rule = ~np.isnan(cfg["pm_every_days"])
        day_late = day_rule & (max_gap > allowed)

        span = int(max(as_of_day, int(start.max()) if n_plans else 0) - (int(start.min()) if n_plans else 0) + 2)
        base_day = int(start.min()) if n_plans else 0
        d_keys = se_plan[delivered].astype(np.int64) * span + (se_day[delivered] - base_day)
        at_point = np.searchsorted(d_keys, pt_plan.astype(np.int64) * span + (pt_day - base_day), side="right")
        plan_first = np.searchsorted(d_keys, np.arange(n_plans, dtype=np.int64) * span, side="left")
        count_at_point = at_point - plan_first[pt_plan]
        previous_count = np.where(pt_pos == 0, 0, np.roll(count_at_point, 1))
        last_count = np.zeros(n_plans, dtype=np.int64)
        last_count[has_points] = count_at_point[last_point]
        max_sessions_between = sessions_delivered - last_count
        np.maximum.at(max_sessions_between, pt_plan[recent_point], (count_at_point - previous_count)[recent_point])
        session_rule = ~np.isnan(cfg["pm_every_sessions"])
        session_late = session_rule & (max_sessions_between > cfg["pm_every_sessions"])
        status_pm = np.select(
            [~day_rule & ~session_rule, day_late | session_late], ["not_applicable", "not_compliant"], "compliant"
        ).astype(object)

        # ---- review due (engine.review_due): instructional weeks --------------------------
        def to_days(weeks: np.ndarray) -> np.ndarray:
            return np.where(np.isnan(weeks), np.nan, np.maximum(1, np.rint(weeks * cal.per_week)))

        every = to_days(cfg["review_every_weeks"])
        first_offset = np.where(np.isnan(cfg["review_after_weeks"]), every, to_days(cfg["review_after_weeks"]))
        cadence = ~np.isnan(first_offset)
        first_k = np.nan_to_num(first_offset).astype(np.int64)
        elapsed = np.maximum(school_upto_as_of - cal.upto(anchor), 0)
        has_every = ~np.isnan(every)
        every_int = np.where(has_every, np.nan_to_num(every), 1).astype(np.int64)
        steps = np.maximum(elapsed - first_k, 0) // every_int
        k_last = np.where(has_every, first_k + steps * every_int, first_k)
        last_scheduled = cal.nth_after(anchor, k_last)
        status_review = np.select(
            [~cadence, elapsed < first_k, no_last_review | (last_review < last_scheduled)],
            ["not_applicable", "not_due", "due"],
            "not_due",
        ).astype(object)

        # ---- time in the tier (engine.duration) ------------------------------------------
        weeks_in_tier = elapsed / cal.per_week
        status_duration = np.select(
            [
                np.isnan(cfg["duration_min"]) & np.isnan(cfg["duration_max"]),
                ~np.isnan(cfg["duration_min"]) & (_q(weeks_in_tier) < cfg["duration_min"]),
                ~np.isnan(cfg["duration_max"]) & (_q(weeks_in_tier) > cfg["duration_max"]),
            ],
            ["not_applicable", "before_min", "past_max"],
            "within",
        ).astype(object)

        # ---- recommendation (engine.recommend) -------------------------------------------
        status_baseline = np.where(has_baseline, "ok", "insufficient_data").astype(object)
        status_goal = np.select([~has_baseline, ~goal_ok], ["insufficient_data", "invalid"], "ok").astype(object)
        statuses = {
            "four_point": status_four_point,
            "trend": status_trend,
            "dual_discrepancy": status_dd,
            "median_three": status_median,
        }
        any_applied = np.zeros(n_plans, bool)
        behind = np.zeros(n_plans, bool)
        ahead = np.zeros(n_plans, bool)
        for rule, status in statuses.items():
            uses = cfg[f"uses_{rule}"]
            any_applied |= uses & (status != "not_applicable") & (status != "insufficient_data")
            behind |= uses & ((status == "behind") | (status == "non_responder"))
            ahead |= uses & (status == "ahead")
        # engine.recommend step 4: where dual discrepancy decides (dd_decides and it
        # applies), it alone says behind; "ahead" only counts when no other rule says behind.
        dd_decides = cfg["dd_decides"] & ((status_dd == "adequate") | (status_dd == "non_responder"))
        ahead = np.where(dd_decides, (status_dd == "adequate") & ahead & ~behind, ahead)
        behind = np.where(dd_decides, status_dd == "non_responder", behind)
        no_progress = status_progress == "no_progress"
        dual = cfg["uses_dual_discrepancy"] & (status_dd == "non_responder")
        refers = cfg["is_top_tier"] & ~cfg["special_tier"] & cfg["top_refers"]
        proposed = np.where(dual | no_progress, np.where(refers, "refer_evaluation", "intensify"), "modify")
        gated_fidelity = cfg["gate"] & (status_fidelity == "low")
        gated_sessions = cfg["gate"] & (proposed != "modify") & (status_min_sessions == "not_met")
        behind_recommendation = np.select(
            [gated_fidelity, gated_sessions], ["low_fidelity", "insufficient_data"], proposed
        )
        recommendation = np.select(
            [
                (status_baseline != "ok") | (status_goal != "ok"),
                cfg["exit_on_goal_met"] & (status_goal_met == "met"),
                ~any_applied,
                behind,
                ahead & cfg["raise_goal_when_ahead"],
            ],
            ["insufficient_data", "exit", "insufficient_data", behind_recommendation, "raise_goal"],
            "continue",
        ).astype(object)

        # engine.changes_tier: intensify moves up unless it stays in the tier; exit moves down.
        stays = cfg["special_tier"] | (cfg["is_top_tier"] & ~cfg["top_refers"])
        changes_tier = ((recommendation == "intensify") & ~stays) | (
            (recommendation == "exit") & ~cfg["special_tier"] & (cfg["tier"] > 1)
        )

    result = pd.DataFrame(
        {
            "recommendation": recommendation,
            "policy": cfg["policy"],
            "baseline": baseline,
            "goal_score": goal_score,
            "goal_roi": goal_roi,
            "roi": roi,
            "trend_intercept": intercept,
            "n_points": n_points,
            "level": np.where(dd_applicable & dd_enough, level, np.nan),
            "sessions_delivered": sessions_delivered,
            "sessions_scheduled": scheduled,
            "sessions_pct": sessions_pct,
            "minutes_delivered": minutes_delivered,
            "minutes_pct": minutes_pct,
            "max_gap_days": np.where(day_rule, max_gap, -1),
            "current_gap_days": np.where(day_rule, current_gap, -1),
            "progress_bound": progress_bound,
            "changes_tier": changes_tier,
            "status_baseline": status_baseline,
            "status_goal": status_goal,
            "status_four_point": status_four_point,
            "status_trend": status_trend,
            "status_median_three": status_median,
            "status_progress": status_progress,
            "status_duration": status_duration,
            "status_dual_discrepancy": status_dd,
            "status_goal_met": status_goal_met,
            "status_fidelity": status_fidelity,
            "status_minimum_sessions": status_min_sessions,
            "status_pm_frequency": status_pm,
            "status_review_due": status_review,
            "status_recommendation": recommendation,
        },
        index=plan_index,
    )
    return result


def cases_to_frames(cases: Mapping[Hashable, tuple[Hashable, Case]]) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """Long tables for ``evaluate_many`` from engine cases: ``{plan_id: (config_key, case)}``.

    Used by the agreement test and the benchmark; the production path builds the
    same tables straight from the database.
    """
    plan_rows: list[dict[str, Any]] = []
    probe_rows: list[tuple[Any, ...]] = []
    session_rows: list[tuple[Any, ...]] = []
    for plan_id, (config_key, case) in cases.items():
        goal = case.goal
        plan_rows.append(
            {
                "plan_id": plan_id,
                "config": config_key,
                "start": case.start,
                "target_date": goal.target_date,
                "target": goal.target,
                "target_roi": goal.roi,
                "direction": goal.direction,
                "sessions_per_week": case.sessions_per_week,
                "sessions_per_cycle": case.sessions_per_cycle,
                "cycle_days": case.cycle_days,
                "minutes_per_session": case.minutes_per_session,
                "level_cut": case.level_cut,
                "roi_cut": case.roi_cut,
                "tier_start": case.tier_start,
                "last_review": case.last_review,
                "calendar": SchoolCalendar(case.non_instructional, case.weekdays),
            }
        )
        probe_rows.extend((plan_id, p.date, float(p.score), True) for p in case.baseline_probes)
        probe_rows.extend((plan_id, p.date, float(p.score), False) for p in case.probes)
        session_rows.extend((plan_id, s.date, float(s.minutes), s.status) for s in case.sessions)
    plans = pd.DataFrame(
        plan_rows,
        columns=[
            "plan_id",
            "config",
            "start",
            "target_date",
            "target",
            "target_roi",
            "direction",
            "sessions_per_week",
            "sessions_per_cycle",
            "cycle_days",
            "minutes_per_session",
            "level_cut",
            "roi_cut",
            "tier_start",
            "last_review",
            "calendar",
        ],
    )
    for name in _PLAN_DATE_COLUMNS:
        plans[name] = pd.to_datetime(plans[name])
    for name in _PLAN_FLOAT_COLUMNS:
        plans[name] = pd.to_numeric(plans[name]).astype(float)
    probes = pd.DataFrame(probe_rows, columns=["plan_id", "date", "score", "is_baseline"])
    probes["date"] = pd.to_datetime(probes["date"])
    sessions = pd.DataFrame(session_rows, columns=["plan_id", "date", "minutes", "status"])
    sessions["date"] = pd.to_datetime(sessions["date"])
    return plans, probes, sessions
