"""Turn a policy document into what the decision-rule engine reads.

The engine (``mtss/rules/``) knows nothing of the document's shape: it takes a
``RuleConfig`` for one tier and area. This module is the only translation, so a
change to the document format touches the engine nowhere else.
"""

import math
import re
from collections.abc import Iterable
from datetime import date

from mtss.policy.schema import NormTable, PolicyDocument, ProgressMonitoringMeasure
from mtss.rules.calendar import WEEKDAY_NAMES
from mtss.rules.config import DECISION_RULES, RuleConfig
from mtss.rules.norms import NormCuts, NormPoint, dual_discrepancy_cuts

# Common vendor names of curriculum-based measures and the words that identify the
# policy's measure for them (a policy may also list its own aliases).
VENDOR_NAMES: dict[str, tuple[str, ...]] = {
    "rcbm": ("rcbm", "oral reading", "orf"),
    "orf": ("rcbm", "oral reading", "orf"),
    "maze": ("maze",),
    "mcap": ("mcap", "concepts and applications"),
    "mcomp": ("mcomp", "computation"),
}


def rule_config(
    policy: PolicyDocument,
    *,
    tier: int,
    area: str,
    grade: int | None = None,
    measure: str | None = None,
    version: str | None = None,
) -> RuleConfig:
    """The engine's settings for a student in ``tier`` and ``area`` under ``policy``.

    ``measure`` (a progress-monitoring measure key) or, failing that, ``grade``
    picks the measure whose own "parallel" tolerance applies (aimsweb R-CBM:
    0.5 units/week); with neither, or several candidates, the policy-wide value
    stands. ``version`` is the stored version of the policy (default: the
    document's own ``version``), written into every finding.
    Raises LookupError for a tier, area or measure the policy does not have.
    """
    policy_tier = policy.tier(tier)
    policy.area(area)
    rules = policy.decision_rules
    pm_measure = _measure(policy, area=area, grade=grade, key=measure)

    dosage = policy_tier.dosage
    frequency = policy_tier.progress_monitoring
    review = policy_tier.review

    pm_every_days = None
    if frequency is not None:
        if frequency.every_weeks is not None:
            pm_every_days = math.ceil(frequency.every_weeks * 7)
        elif frequency.every_days is not None:
            pm_every_days = frequency.every_days

    parallel_units = rules.trend.parallel_tolerance_units
    if pm_measure is not None and pm_measure.parallel_tolerance_units is not None:
        parallel_units = pm_measure.parallel_tolerance_units

    driving = {
        "four_point": rules.four_point.drives_recommendation,
        "trend": rules.trend.drives_recommendation,
        "dual_discrepancy": rules.dual_discrepancy.drives_recommendation,
        "median_three": rules.median_three.drives_recommendation,
    }
    decision_rules = tuple(rule for rule in DECISION_RULES if driving.get(rule, False))
    four_point_min = rules.four_point.min_points
    trend_min = rules.trend.min_points
    median_min = rules.median_three.min_points
    dd_decides = rules.dual_discrepancy.decides_when_applicable
    if policy.area(area).kind == "behavior":
        # Behaviour data: at least three points, judged on level (median rule) and trend.
        behavior = rules.behavior
        decision_rules = tuple(rule for rule in DECISION_RULES if rule in behavior.rules)
        trend_min = median_min = behavior.min_points
        four_point_min = max(behavior.min_points, rules.four_point.consecutive_points)
        dd_decides = False
    # The tier's duration limit: its expected duration, else how long it monitors before a
    # decision (progress_monitoring.duration_weeks; Loudon Tier I: "6-8 weeks"). A tier that
    # lasts the whole school year (whole_school_year: Holland Patent's Tier 1 and Tier 4) has
    # no upper limit; its minimum still says when a decision can first be taken.
    duration_weeks = policy_tier.expected_duration_weeks or (frequency.duration_weeks if frequency else None)
    duration_max = None if policy_tier.whole_school_year or duration_weeks is None else duration_weeks.max

    return RuleConfig(
        policy_name=policy.name,
        policy_version=version if version is not None else policy.version,
        tier=tier,
        area=area,
        is_top_tier=policy.is_top_tier(tier),
        is_special_education_tier=policy_tier.special_education,
        top_tier_intensify=rules.top_tier_intensify,
        baseline_k=policy.progress_monitoring.baseline_points,
        min_weeks=rules.min_weeks,
        roi_min_points=rules.trend.min_points_for_roi,
        four_point_n=rules.four_point.consecutive_points,
        four_point_min_points=four_point_min,
        four_point_tolerance=rules.four_point.tolerance,
        trend_method=rules.trend.method,
        tukey_variant=rules.trend.tukey_variant,
        trend_min_points=trend_min,
        median_min_points=median_min,
        parallel_tolerance_abs=parallel_units,
        parallel_tolerance_rel=rules.trend.parallel_tolerance_percent / 100,
        # Level and growth cuts in score units come from the case's norms (the
        # screening app converts the policy's percentiles); none are fixed here.
        dd_level_cut=None,
        dd_roi_cut=None,
        dd_level_points=rules.dual_discrepancy.level_points,
        dd_combine=rules.dual_discrepancy.non_responder_when,
        dd_decides=dd_decides,
        dd_aim_rate_satisfies=rules.dual_discrepancy.growth_on_aim_line_satisfies,
        decision_rules=decision_rules,
        progress_test=rules.progress_test.method,
        progress_confidence=rules.progress_test.confidence_percent / 100,
        fidelity_threshold_pct=policy.fidelity.threshold_percent,
        fidelity_basis=policy.fidelity.basis,
        low_fidelity_blocks_nonresponse=policy.fidelity.low_fidelity_blocks_not_responding,
        session_minutes_must_match_dosage=policy.fidelity.session_minutes_must_match_dosage,
        min_sessions_before_decision=policy_tier.min_sessions_before_decision,
        sessions_per_week=dosage.sessions_per_week if dosage else None,
        sessions_per_cycle=dosage.sessions_per_cycle if dosage else None,
        cycle_days=dosage.cycle_days if dosage else None,
        minutes_per_session=dosage.minutes_per_session if dosage else None,
        pm_every_days=pm_every_days,
        pm_every_sessions=frequency.every_sessions if frequency else None,
        pm_grace_days=policy.progress_monitoring.grace_days,
        review_after_weeks=(review.first_after_weeks or review.every_weeks) if review else None,
        review_every_weeks=review.every_weeks if review else None,
        exit_on_goal_met=rules.exit.on_goal_met,
        exit_points=rules.exit.points_at_goal,
        raise_goal_when_ahead=rules.raise_goal_when_ahead,
        no_progress_roi=rules.no_progress_roi,
        duration_min_weeks=duration_weeks.min if duration_weeks else None,
        duration_max_weeks=duration_max,
    )


def measures_combine(policy: PolicyDocument) -> str:
    """How a plan's several measures combine (``mtss.rules.plan.evaluate_plan(combine=...)``)."""
    return policy.decision_rules.multiple_measures.combine


def instructional_weekdays(policy: PolicyDocument) -> tuple[int, ...]:
    """The policy's school week as ``date.weekday()`` numbers (the engine's ``Case.weekdays``)."""
    return tuple(sorted(WEEKDAY_NAMES.index(name) for name in policy.calendar.instructional_weekdays))


def _normalise(text: str) -> str:
    return re.sub(r"[^a-z0-9]+", "", text.lower())


def find_measure(policy: PolicyDocument, name: str) -> ProgressMonitoringMeasure | None:
    """The progress-monitoring measure a name means: its key, display name, one of its
    aliases, or a common vendor name ("R-CBM", "Maze", "M-CAP"). ``None`` when none fits
    (or several do): the caller warns that no norms are found, it does not refuse."""
    wanted = _normalise(name)
    if not wanted:
        return None
    measures = policy.progress_monitoring.measures
    for measure in measures:
        if wanted in {_normalise(measure.key), _normalise(measure.name), *map(_normalise, measure.aliases)}:
            return measure
    words = VENDOR_NAMES.get(wanted)
    if words is None:
        return None
    fitting = [
        measure
        for measure in measures
        if any(_normalise(word) in _normalise(measure.key) or word in measure.name.lower() for word in words)
    ]
    return fitting[0] if len(fitting) == 1 else None


def norm_table(policy: PolicyDocument, measure: ProgressMonitoringMeasure | None) -> NormTable | None:
    """The norm table for a measure: the measure's own, else the dual-discrepancy rule's
    (when it belongs to that measure)."""
    tables = {table.key: table for table in policy.progress_monitoring.norm_tables}
    if measure is not None and measure.norm_table is not None:
        return tables[measure.norm_table]
    key = policy.decision_rules.dual_discrepancy.norm_table
    if key is not None and (measure is None or tables[key].measure == measure.key):
        return tables[key]
    return None


def norm_cuts(
    policy: PolicyDocument,
    *,
    measure: ProgressMonitoringMeasure | None,
    grade: int,
    on: date,
    points: Iterable[NormPoint] | None = None,
) -> NormCuts | None:
    """The dual-discrepancy level and growth cuts for a plan, from the policy's percentiles
    and the measure's norm table (``points`` from the database win over the table's inline
    points). ``None`` without a table or without rows for the grade."""
    table = norm_table(policy, measure)
    rule = policy.decision_rules.dual_discrepancy
    if points is None:
        if table is None:
            return None
        points = [NormPoint(p.grade, p.season, p.percentile, p.score) for p in table.points]
    weeks = None
    name = "norm table"
    if table is not None:
        weeks = {("fall", "winter"): table.weeks_fall_to_winter, ("winter", "spring"): table.weeks_winter_to_spring}
        name = table.name
    return dual_discrepancy_cuts(
        points,
        grade=grade,
        on=on,
        level_percentile=rule.level_percentile,
        growth_percentile=rule.growth_percentile,
        table_name=name,
        weeks_between=weeks,
    )


def _measure(
    policy: PolicyDocument, *, area: str, grade: int | None, key: str | None
) -> ProgressMonitoringMeasure | None:
    measures = policy.progress_monitoring.measures
    if key is not None:
        for candidate in measures:
            if candidate.key == key:
                return candidate
        known = ", ".join(candidate.key for candidate in measures) or "none"
        raise LookupError(f"policy {policy.name!r} has no progress-monitoring measure {key!r} (measures: {known})")
    if grade is None:
        return None
    fitting = [
        candidate
        for candidate in measures
        if area in candidate.areas and (not candidate.grades or grade in candidate.grades)
    ]
    return fitting[0] if len(fitting) == 1 else None
