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
