"""The one rule for a score, wherever it is entered: a finite number within the measure's range.

Score imports (screening/importers), the probe form and the "several probes" box, the
session form and the API all ask `score_problem`, so a value one entry path refuses is
refused by every other (issue 14: "Scores must be finite and within the measure's
range, the same rule as imports"). `nan` and `inf` parse as floats in Python and are
stored by PostgreSQL, after which every page that draws or evaluates the score fails;
the database refuses them too (the `*_score_finite` check constraints).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from django.utils.translation import gettext as _

#: The highest score a progress probe may have when its measure is not in the district's
#: catalog (a behaviour rating, a curriculum probe). The largest range of a catalog measure
#: is 0..1400 (Star scaled scores, screening/catalog.py); a probe above 10,000 is a typo.
PROBE_SCORE_CEILING = 10_000.0


@dataclass(frozen=True, slots=True)
class ScoreRange:
    """The scores a measure can have; an open end is None."""

    low: float | None = None
    high: float | None = None
    name: str = ""

    @classmethod
    def of(cls, measure) -> ScoreRange:
        """The range of a catalog measure (screening.Measure or its spec)."""
        return cls(measure.min_score, measure.max_score, measure.name)

    def label(self) -> str:
        low = "" if self.low is None else f"{self.low:g}"
        high = "" if self.high is None else f"{self.high:g}"
        return f"{low}..{high}"


def as_number(raw) -> float:
    """A posted score as a float; ValueError for text, booleans, `nan` and `inf`."""
    if isinstance(raw, bool) or raw is None:
        raise ValueError(raw)
    value = float(str(raw).strip()) if isinstance(raw, str) else float(raw)
    if not math.isfinite(value):
        raise ValueError(raw)
    return value


def score_problem(value, score_range: ScoreRange | None = None) -> str | None:
    """Why `value` is not a score of the measure, or None when it is one.

    The sentence is the import's ("52.5 is outside the range of Maze (0..100)"), so a
    rejected-rows report and a form say the same thing.
    """
    try:
        number = as_number(value)
    except (TypeError, ValueError):
        return _("“%(s)s” is not a number") % {"s": value}
    if score_range is None:
        return None
    if (score_range.low is not None and number < score_range.low) or (
        score_range.high is not None and number > score_range.high
    ):
        return _("%(score)s is outside the range of %(name)s (%(range)s)") % {
            "score": f"{number:.15g}",
            "name": score_range.name or _("the measure"),
            "range": score_range.label(),
        }
    return None


# Beyond any measure's range, yet a literal every database can read: SQLite has no `inf`
# literal, so a constraint written with float("inf") breaks the embedded demo's migrate.
FINITE_BOUND = 1e300


def finite_score_q(field: str = "score"):
    """A Q for a check constraint: the column holds a finite number. In PostgreSQL 'NaN' sorts
    above every number, so `< 1e300` refuses NaN as well as +Infinity."""
    from django.db.models import Q

    return Q(**{f"{field}__lt": FINITE_BOUND, f"{field}__gt": -FINITE_BOUND})
