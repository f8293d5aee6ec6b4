"""Plain-language names for the engine's rule ids and recommendations."""

from django import template
from django.utils.translation import gettext_lazy as _

register = template.Library()

RECOMMENDATIONS = {
    "insufficient_data": _("Not enough data yet"),
    "low_fidelity": _("Low fidelity: improve delivery first"),
    "continue": _("Continue the plan"),
    "raise_goal": _("Raise the goal"),
    "modify": _("Modify the plan"),
    "intensify": _("Intensify (next tier)"),
    "exit": _("Exit: goal met"),
    "refer_evaluation": _("Refer for a special-education evaluation"),
}

RULES = {
    "baseline": _("Baseline"),
    "goal": _("Goal and aim line"),
    "four_point": _("Four-point rule"),
    "trend": _("Trend vs. aim line"),
    "dual_discrepancy": _("Dual discrepancy"),
    "goal_met": _("Goal met"),
    "fidelity": _("Fidelity"),
    "minimum_sessions": _("Minimum sessions"),
    "pm_frequency": _("Progress-monitoring frequency"),
    "review_due": _("Team review"),
    "recommendation": _("Recommendation"),
}


@register.filter
def recommendation_label(value: str) -> str:
    return RECOMMENDATIONS.get(value, value)


@register.filter
def rule_label(value: str) -> str:
    return RULES.get(value, value)


# What a finding's status means, in words (the engine's codes never reach a page). A rule may
# give a status its own wording; otherwise the general one applies.
STATUSES = {
    "ok": _("done"),
    "insufficient_data": _("not enough data yet"),
    "invalid": _("cannot be drawn"),
    "not_applicable": _("does not apply"),
    "ahead": _("above the aim line"),
    "behind": _("below the aim line"),
    "mixed": _("around the aim line"),
    "on_track": _("on track"),
    "adequate": _("adequate"),
    "non_responder": _("not responding"),
    "low": _("low"),
    "met": _("met"),
    "not_met": _("not met"),
    "compliant": _("on schedule"),
    "not_compliant": _("behind schedule"),
    "due": _("due"),
    "not_due": _("not due"),
    "within": _("within the expected time"),
    "before_min": _("before the minimum time"),
    "past_max": _("past the expected time"),
    "no_progress": _("no progress"),
    "some_progress": _("some progress"),
    "adequate_progress": _("adequate progress"),
}
RULE_STATUSES = {
    ("goal_met", "not_met"): _("goal not met yet"),
    ("goal_met", "met"): _("goal met"),
    ("minimum_sessions", "met"): _("enough sessions"),
    ("minimum_sessions", "not_met"): _("too few sessions yet"),
    ("fidelity", "low"): _("below the policy's threshold"),
    ("review_due", "due"): _("a review is due"),
}
RULES.update({"progress": _("Progress"), "duration": _("Time in the tier"), "median_three": _("Median of three")})


@register.filter
def finding_status(finding) -> str:
    """A finding's status in words; a recommendation finding says the recommendation."""
    rule, status = getattr(finding, "rule", ""), getattr(finding, "status", "")
    if rule == "recommendation":
        return recommendation_label(status)
    label = RULE_STATUSES.get((rule, status)) or STATUSES.get(status)
    return str(label) if label else status.replace("_", " ")
