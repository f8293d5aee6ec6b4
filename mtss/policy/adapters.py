"""Turn a policy document into what the decision-rule engine reads.

The engine (``mtss/rules/``) knows nothing of the document's shape: it takes a
``RuleConfig`` for one tier and area. This module is the only translation, so a
change to the document format touches the engine nowhere else.
"""
import math

from mtss.policy.schema import PolicyDocument, ProgressMonitoringMeasure
from mtss.rules.config import DECISION_RULES, RuleConfig


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
    }

    return RuleConfig(
        policy_name=policy.name,
        policy_version=version if version is not None else policy.version,
        tier=tier,
        area=area,
        is_top_tier=policy.is_top_tier(tier),
        baseline_k=policy.progress_monitoring.baseline_points,
        min_weeks=rules.min_weeks,
        roi_min_points=rules.trend.min_points_for_roi,
        four_point_n=rules.four_point.consecutive_points,
        four_point_min_points=rules.four_point.min_points,
        four_point_tolerance=rules.four_point.tolerance,
        trend_method=rules.trend.method,
        tukey_variant=rules.trend.tukey_variant,
        trend_min_points=rules.trend.min_points,
        parallel_tolerance_abs=parallel_units,
        parallel_tolerance_rel=rules.trend.parallel_tolerance_percent / 100,
        # Level and growth cuts in score units come from the case's norms (the
        # screening app converts the policy's percentiles); none are fixed here.
        dd_level_cut=None,
        dd_roi_cut=None,
        dd_level_points=rules.dual_discrepancy.level_points,
        dd_combine=rules.dual_discrepancy.non_responder_when,
        dd_decides=rules.dual_discrepancy.decides_when_applicable,
        decision_rules=tuple(rule for rule in DECISION_RULES if driving.get(rule, False)),
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
        candidate for candidate in measures
        if area in candidate.areas and (not candidate.grades or grade in candidate.grades)
    ]
    return fitting[0] if len(fitting) == 1 else None
