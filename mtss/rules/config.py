"""Everything the decision-rule engine needs for one student's tier and area.

A district policy document (``mtss/policy/``) is turned into one ``RuleConfig``
per (tier, area) by ``mtss.policy.adapters.rule_config``; the engine
(``mtss/rules/engine.py``) and its vectorised twin (``mtss/rules/batch.py``)
read nothing else. The defaults are the design recommendations ([D]) of
``docs/RULES.md`` (shared docs), so a bare ``RuleConfig()`` is a sensible
research-based policy for a Tier 2 reading plan.

Field groups, with the RULES.md section each comes from:

* identity: ``policy_name``, ``policy_version``, ``tier``, ``area``, ``is_top_tier``
* baseline (1.1): ``baseline_k``
* minimum data (1.4): ``min_weeks``, ``roi_min_points``
* four-point rule (1.5): ``four_point_n``, ``four_point_min_points``, ``four_point_tolerance``
* trend-line rule (1.6): ``trend_method``, ``tukey_variant``, ``trend_min_points``,
  ``parallel_tolerance_abs``, ``parallel_tolerance_rel``
* dual discrepancy (1.7): ``dd_level_cut``, ``dd_roi_cut``, ``dd_level_points``, ``dd_combine``,
  ``dd_decides``
* which findings drive the recommendation: ``decision_rules``
* fidelity (3.2, 3.3): ``fidelity_threshold_pct``, ``fidelity_basis``,
  ``low_fidelity_blocks_nonresponse``, ``session_minutes_must_match_dosage``,
  ``min_sessions_before_decision``
* planned dosage: ``sessions_per_week`` or ``sessions_per_cycle`` + ``cycle_days``,
  ``minutes_per_session`` (defaults; a plan's own dosage wins)
* progress-monitoring frequency: ``pm_every_days``, ``pm_every_sessions``, ``pm_grace_days``
* review cadence: ``review_after_weeks``, ``review_every_weeks``
* exit / raise goal / intensify: ``exit_on_goal_met``, ``exit_points``,
  ``raise_goal_when_ahead``, ``no_progress_roi``
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import Any, Literal

TrendMethod = Literal["ols", "tukey"]
TukeyVariant = Literal["cbm", "median_median"]
DualDiscrepancyCombine = Literal["both_below", "either_below"]
FidelityBasis = Literal["sessions", "minutes", "both"]
ProgressTest = Literal["slope_bound", "roi_threshold"]
TopTierIntensify = Literal["refer_evaluation", "intensify_within_tier"]

# Rule ids that may drive the recommendation (see engine.recommend).
DECISION_RULES = ("four_point", "trend", "dual_discrepancy", "median_three")
# The research-based default: NCII's median rule is available but not on by default.
DEFAULT_DECISION_RULES = ("four_point", "trend", "dual_discrepancy")


@dataclass(frozen=True, slots=True)
class RuleConfig:
    """Decision-rule settings for one tier and area of one district policy.

    All durations are in weeks unless the name says days; all score thresholds
    are in the measure's own units (e.g. words correct per minute, WCPM/week).
    """

    # --- identity -----------------------------------------------------------------
    policy_name: str = "default"
    policy_version: str = "default"
    tier: int = 2
    area: str = ""
    # At the top tier "intensify" has nowhere to go: it becomes
    # "refer_evaluation" (Loudon: special-education referral after Tier III;
    # Ohio: "referred to the evaluative process" from Tier III).
    is_top_tier: bool = False
    # The tier is special education (Holland Patent's Tier 4: "will have an
    # Individualized Education Program (IEP)"): a student in it is never recommended
    # for a special-education evaluation; "intensify" stays within the tier (IEP team).
    is_special_education_tier: bool = False
    # What "intensify" means at the top general-education tier: a referral for a
    # special-education evaluation (Loudon, Ohio) or more support within the tier.
    top_tier_intensify: TopTierIntensify = "refer_evaluation"

    # --- baseline (RULES.md 1.1) -----------------------------------------------------
    # baseline = median of the first k baseline probes (IRIS: 3 to 5; default 3).
    baseline_k: int = 3

    # --- minimum data (RULES.md 1.4) -------------------------------------------------
    # Weeks of instruction (as_of - plan start) before any decision rule applies
    # (IRIS: "at least three weeks of instruction").
    min_weeks: float = 3.0
    # Points needed to report an observed ROI at all (FastBridge/easyCBM: 3).
    roi_min_points: int = 3

    # --- four-point rule (RULES.md 1.5) ----------------------------------------------
    # Compare the last N data points with the aim line (Acadience/Milwaukee use 3).
    four_point_n: int = 4
    # Data points in the phase (baseline probes never count) before the rule applies.
    four_point_min_points: int = 6
    # A point within +/- tolerance of the aim line counts as "on the line".
    four_point_tolerance: float = 0.0

    # --- NCII median rule ---------------------------------------------------------------
    # The median of the last three data points against the aim line (NCII, "three
    # most recent data points"); a rule id of DECISION_RULES, off by default.
    median_min_points: int = 6

    # --- trend-line rule (RULES.md 1.6) ----------------------------------------------
    trend_method: TrendMethod = "ols"
    # "cbm": connect the (median x, median y) of the outer thirds (the CBM
    # practitioner version); "median_median": same slope, line slid a third of
    # the way toward the middle group's median point (1.6.3).
    tukey_variant: TukeyVariant = "cbm"
    trend_min_points: int = 8
    # The trend counts as parallel to the aim line when
    # |ROI - goal ROI| <= max(parallel_tolerance_abs, parallel_tolerance_rel * |goal ROI|).
    # aimsweb R-CBM uses 0.5 units/week absolute; the [D] default for other
    # measures is 10% of the goal ROI (1.6.2).
    parallel_tolerance_abs: float = 0.0
    parallel_tolerance_rel: float = 0.1

    # --- dual discrepancy (RULES.md 1.7) ---------------------------------------------
    # Criteria; a case's own norms (level_cut / roi_cut) win over these.
    dd_level_cut: float | None = None
    dd_roi_cut: float | None = None
    # Level = median of the last n data points (1 = the last point).
    dd_level_points: int = 3
    # "both_below": non-responder only when level AND growth are below criterion;
    # adequate when either is at or above it (Loudon County's wording).
    # "either_below": non-responder when either is below (a stricter district).
    dd_combine: DualDiscrepancyCombine = "both_below"
    # When the dual-discrepancy finding applies (adequate or non_responder, i.e.
    # the case has norms), it alone decides responding vs not responding; the
    # four-point and trend findings then only inform (and may still suggest
    # raising the goal of an adequate student). Without norms the other decision
    # rules decide as usual. Loudon County: "A student is making adequate
    # progress if his or her scores are at or above the established criterion
    # for either the performance level OR the rate of growth." (seed 002).
    # Needs "dual_discrepancy" in decision_rules.
    dd_decides: bool = False
    # With "either_below": a level below the cut does not make a non-responder while
    # growth is at or above the aim line's rate (the student is closing the gap).
    # Holland Patent: "students who do not make satisfactory progress in their levels
    # of performance and/or in their rate of learning to meet age or grade level
    # standards" (seed 001): a rate that meets the aim line is satisfactory.
    dd_aim_rate_satisfies: bool = False

    # Which findings drive the recommendation; the others are reported only.
    decision_rules: tuple[str, ...] = DEFAULT_DECISION_RULES

    # --- progress test: no / some / adequate progress ------------------------------------
    # "slope_bound": the OLS slope's one-sided lower confidence bound (Student t,
    # ``progress_confidence``) in the goal's direction; at or below 0: no progress;
    # above 0 but the slope under the aim line's rate: some progress; at or above it:
    # adequate (a trend that cannot be told from flat is flat). "roi_threshold": the
    # older rule, the trend's ROI at or below ``no_progress_roi`` is no progress.
    progress_test: ProgressTest = "slope_bound"
    progress_confidence: float = 0.975

    # --- fidelity (RULES.md 3.2, 3.3) ------------------------------------------------
    fidelity_threshold_pct: float = 80.0
    # Which delivered/planned ratios must reach the threshold.
    fidelity_basis: FidelityBasis = "both"
    # Fidelity gate: below threshold, non-response cannot be concluded, so the
    # engine never recommends modify/intensify/refer_evaluation (3.3).
    low_fidelity_blocks_nonresponse: bool = True
    # Loudon: "The amount of time must match the recommended intervention time":
    # a delivered session shorter than the planned minutes then does not count
    # as a delivered session (its minutes still count toward minutes delivered).
    session_minutes_must_match_dosage: bool = False
    # Delivered sessions needed before "intensify"/"refer_evaluation"
    # (Loudon: 40 for Tier II, 45 for Tier III). None: no minimum.
    min_sessions_before_decision: int | None = None

    # --- planned dosage (defaults; the plan's own numbers win) --------------------------
    # Either sessions per calendar week, or sessions per cycle of school days
    # (Holland Patent runs a 6-day cycle; school days are Monday to Friday).
    sessions_per_week: float | None = None
    sessions_per_cycle: float | None = None
    cycle_days: int | None = None
    minutes_per_session: float | None = None

    # --- progress-monitoring frequency --------------------------------------------------
    # At least one probe every N calendar days (weekly = 7, every other week = 14,
    # every 5 weeks = 35) and/or every Nth delivered session (Holland Patent
    # Tier 2: every 10th; Ohio Tier 3: every session = 1). None: not checked.
    pm_every_days: int | None = 7
    pm_every_sessions: int | None = None
    # Instructional days of slack on the day rule, so "every Monday" then a Tuesday is not late.
    pm_grace_days: int = 2
    # The rule looks at the current gap and the ones before it, this many gaps in all
    # (the recent window), not at the largest gap of the plan's whole life.
    pm_recent_periods: int = 4

    # --- review cadence -------------------------------------------------------------
    # First review N weeks after the tier started (Ohio: 6), then every M weeks
    # (Loudon: every 3; Holland Patent: every 5). None: not scheduled.
    review_after_weeks: float | None = None
    review_every_weeks: float | None = None

    # --- time in the tier (instructional weeks) -------------------------------------------
    # Holland Patent Tier 2: "approximately ten to twenty weeks". None: not checked.
    duration_min_weeks: float | None = None
    duration_max_weeks: float | None = None

    # --- exit, raise goal, intensify ------------------------------------------------
    # Exit when the last ``exit_points`` data points are all at or beyond the goal
    # score (aimsweb "three scores at or above the goal score"; Milwaukee 3-point rule).
    exit_on_goal_met: bool = True
    exit_points: int = 3
    # Points/trend above the aim line: "consider changing the goal" (1.5, 1.6).
    raise_goal_when_ahead: bool = True
    # Behind the aim line with an observed ROI (in the goal's direction) at or
    # below this counts as "no progress" -> intensify; above it, "some progress"
    # -> modify (Ohio's adequate / some / no progress decisions).
    no_progress_roi: float = 0.0

    def __post_init__(self) -> None:
        problems: list[str] = []

        def positive_int(name: str, minimum: int = 1) -> None:
            value = getattr(self, name)
            if not isinstance(value, int) or isinstance(value, bool) or value < minimum:
                problems.append(f"{name} must be an integer >= {minimum} (got {value!r})")

        positive_int("baseline_k")
        positive_int("four_point_n")
        positive_int("four_point_min_points")
        positive_int("roi_min_points", 3)
        positive_int("trend_min_points", 3)
        positive_int("dd_level_points")
        positive_int("exit_points")
        positive_int("pm_grace_days", 0)
        positive_int("median_min_points", 3)
        positive_int("pm_recent_periods")
        if self.progress_test not in ("slope_bound", "roi_threshold"):
            problems.append(f"progress_test must be 'slope_bound' or 'roi_threshold' (got {self.progress_test!r})")
        if not 0.5 < self.progress_confidence < 1:
            problems.append(f"progress_confidence must be between 0.5 and 1 (got {self.progress_confidence!r})")
        if self.top_tier_intensify not in ("refer_evaluation", "intensify_within_tier"):
            problems.append(
                "top_tier_intensify must be 'refer_evaluation' or 'intensify_within_tier' "
                f"(got {self.top_tier_intensify!r})"
            )
        for name in ("duration_min_weeks", "duration_max_weeks"):
            value = getattr(self, name)
            if value is not None and value <= 0:
                problems.append(f"{name} must be > 0 or None")
        if self.four_point_min_points < self.four_point_n:
            problems.append("four_point_min_points must be >= four_point_n")
        if self.trend_method not in ("ols", "tukey"):
            problems.append(f"trend_method must be 'ols' or 'tukey' (got {self.trend_method!r})")
        if self.tukey_variant not in ("cbm", "median_median"):
            problems.append(f"tukey_variant must be 'cbm' or 'median_median' (got {self.tukey_variant!r})")
        if self.dd_combine not in ("both_below", "either_below"):
            problems.append(f"dd_combine must be 'both_below' or 'either_below' (got {self.dd_combine!r})")
        if self.fidelity_basis not in ("sessions", "minutes", "both"):
            problems.append(f"fidelity_basis must be 'sessions', 'minutes' or 'both' (got {self.fidelity_basis!r})")
        unknown = [rule for rule in self.decision_rules if rule not in DECISION_RULES]
        if unknown or not isinstance(self.decision_rules, tuple):
            problems.append(f"decision_rules must be a tuple drawn from {DECISION_RULES} (got {self.decision_rules!r})")
        if not isinstance(self.dd_decides, bool):
            problems.append(f"dd_decides must be True or False (got {self.dd_decides!r})")
        elif self.dd_decides and "dual_discrepancy" not in tuple(self.decision_rules):
            problems.append("dd_decides needs 'dual_discrepancy' in decision_rules")
        for name in (
            "min_weeks",
            "four_point_tolerance",
            "parallel_tolerance_abs",
            "parallel_tolerance_rel",
            "fidelity_threshold_pct",
        ):
            if getattr(self, name) < 0:
                problems.append(f"{name} must be >= 0")
        if self.sessions_per_week is not None and self.sessions_per_cycle is not None:
            problems.append("give sessions_per_week or sessions_per_cycle + cycle_days, not both")
        if (self.sessions_per_cycle is None) != (self.cycle_days is None):
            problems.append("sessions_per_cycle and cycle_days go together")
        for name in ("sessions_per_week", "sessions_per_cycle", "minutes_per_session"):
            value = getattr(self, name)
            if value is not None and value <= 0:
                problems.append(f"{name} must be > 0")
        for name in ("cycle_days", "pm_every_days", "pm_every_sessions", "min_sessions_before_decision"):
            value = getattr(self, name)
            if value is not None and (not isinstance(value, int) or value < 1):
                problems.append(f"{name} must be a positive integer or None")
        for name in ("review_after_weeks", "review_every_weeks"):
            value = getattr(self, name)
            if value is not None and value <= 0:
                problems.append(f"{name} must be > 0 or None")
        if problems:
            raise ValueError("Invalid RuleConfig: " + "; ".join(problems))

    @property
    def label(self) -> str:
        """``"<name>@<version>"``, the policy reference written into every result."""
        return f"{self.policy_name}@{self.policy_version}"

    def replace(self, **changes: Any) -> RuleConfig:
        """A copy with some fields changed (validated again)."""
        return dataclasses.replace(self, **changes)

    def as_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> RuleConfig:
        """Build from a plain dict; unknown keys are an error, lists become tuples."""
        names = {field.name for field in dataclasses.fields(cls)}
        unknown = sorted(set(data) - names)
        if unknown:
            raise ValueError(f"Unknown RuleConfig field(s): {', '.join(unknown)}")
        values = dict(data)
        if "decision_rules" in values:
            values["decision_rules"] = tuple(values["decision_rules"])
        return cls(**values)
