from django import template

register = template.Library()


@register.filter
def pct(value, digits: int = 1) -> str:
    """A share as "12.5 %", or "–" when there is none (no screened student in the group)."""
    if value is None or value == "":
        return "–"
    return f"{float(value):.{int(digits)}f} %"
