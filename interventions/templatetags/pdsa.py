"""`{% pdsa_enabled as on %}`: whether the district's policy uses PDSA cycles (reporting.pdsa_cycles)."""

from django import template
from django.utils import timezone

from mtss.selectors import policy_document

register = template.Library()


@register.simple_tag(takes_context=True)
def pdsa_enabled(context) -> bool:
    request = context.get("request")
    district = getattr(request, "district", None)
    if district is None:
        return False
    cached = getattr(request, "_pdsa_enabled", None)
    if cached is None:
        _version, policy = policy_document(district=district, as_of=timezone.localdate())
        cached = bool(policy is not None and policy.reporting.pdsa_cycles)
        request._pdsa_enabled = cached
    return cached
