"""The early-warning indicators (issue 17, item 2): pure functions, no database.

Policy thresholds and one student's numbers in, a finding out. The numbers come from
set-based queries over a whole district (students/early_warning/indicators.py); each
finding explains itself with them, as the decision rules do ("missed 19.5 of 160
instructional days (12.2 %) through 2026-03-20; the policy flags 10 % or more").

The preset defaults are the "ABC" indicators; their sources are in the policy schema
(mtss/policy/schema.py, `EarlyWarning`) and the README ("Early warning").
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal

ATTENDANCE = "attendance"
BEHAVIOR = "behavior"
COURSE_PERFORMANCE = "course_performance"
INDICATORS = (ATTENDANCE, BEHAVIOR, COURSE_PERFORMANCE)


@dataclass(frozen=True, slots=True)
class IndicatorFinding:
    indicator: str
    fired: bool
    explanation: str
    numbers: dict = field(default_factory=dict)


def _num(value: float) -> str:
    """19.0 -> "19", 19.5 -> "19.5": days and points as a person writes them."""
    return f"{value:g}" if float(value) == int(value) else f"{value:.1f}"


def chronic_absence(
    *,
    days_missed: float,
    days_enrolled: int,
    through: date,
    percent_missed: float,
    min_days_enrolled: int,
) -> IndicatorFinding:
    """Chronic absence: days missed / instructional days enrolled >= the policy's percentage.

    Attendance Works: "missing 10 percent or more of school days for any reason". Fewer than
    `min_days_enrolled` days enrolled: no judgement (a share of three days says nothing).
    """
    days_missed = float(days_missed)
    numbers = {
        "days_missed": round(days_missed, 2),
        "days_enrolled": days_enrolled,
        "through": through.isoformat(),
        "threshold_percent": percent_missed,
    }
    if days_enrolled < min_days_enrolled:
        return IndicatorFinding(
            ATTENDANCE,
            False,
            f"only {days_enrolled} instructional days enrolled through {through.isoformat()} "
            f"(fewer than {min_days_enrolled}): too few to judge",
            numbers,
        )
    share = days_missed / days_enrolled * 100
    numbers["percent_missed"] = round(share, 1)
    fired = share >= percent_missed
    verdict = "at or above" if fired else "below"
    return IndicatorFinding(
        ATTENDANCE,
        fired,
        f"missed {_num(days_missed)} of {days_enrolled} instructional days ({share:.1f} %) "
        f"through {through.isoformat()}; {verdict} the policy's {_num(percent_missed)} %",
        numbers,
    )


def behavior(
    *,
    office_referrals: int,
    suspensions: int,
    window_start: date,
    window_end: date,
    referrals_threshold: int,
    suspensions_threshold: int,
) -> IndicatorFinding:
    """Office discipline referrals or suspensions in the window at or above the policy's counts.

    A suspension is also a referral (the office acted on it), so the referral count includes it.
    """
    reasons = []
    if office_referrals >= referrals_threshold:
        reasons.append(f"{office_referrals} office referrals (policy: {referrals_threshold} or more)")
    if suspensions >= suspensions_threshold:
        reasons.append(f"{suspensions} suspensions (policy: {suspensions_threshold} or more)")
    numbers = {
        "office_referrals": office_referrals,
        "suspensions": suspensions,
        "window_start": window_start.isoformat(),
        "window_end": window_end.isoformat(),
        "referrals_threshold": referrals_threshold,
        "suspensions_threshold": suspensions_threshold,
    }
    span = f"from {window_start.isoformat()} to {window_end.isoformat()}"
    if reasons:
        return IndicatorFinding(BEHAVIOR, True, " and ".join(reasons) + f" {span}", numbers)
    return IndicatorFinding(
        BEHAVIOR,
        False,
        f"{office_referrals} office referrals and {suspensions} suspensions {span}: below the policy's counts",
        numbers,
    )


def course_performance(
    *,
    failed_courses: Sequence[str],
    gpa: float | None,
    courses: int,
    failures_threshold: int,
    gpa_at_or_below: float | None,
) -> IndicatorFinding:
    """Course failures in the year at or above the policy's count, or the GPA at or below its threshold."""
    failed = sorted(set(failed_courses))
    numbers = {
        "failures": len(failed),
        "failed_courses": failed,
        "gpa": None if gpa is None else round(float(gpa), 2),
        "courses": courses,
        "failures_threshold": failures_threshold,
        "gpa_threshold": gpa_at_or_below,
    }
    reasons = []
    if len(failed) >= failures_threshold:
        reasons.append(
            f"failing {len(failed)} of {courses} courses ({', '.join(failed)}; policy: {failures_threshold} or more)"
        )
    if gpa is not None and gpa_at_or_below is not None and float(gpa) <= gpa_at_or_below:
        reasons.append(f"grade point average {float(gpa):.2f} (policy: {gpa_at_or_below:.2f} or lower)")
    if reasons:
        return IndicatorFinding(COURSE_PERFORMANCE, True, " and ".join(reasons), numbers)
    gpa_text = "no GPA" if gpa is None else f"GPA {float(gpa):.2f}"
    return IndicatorFinding(
        COURSE_PERFORMANCE, False, f"{len(failed)} failures in {courses} courses, {gpa_text}: no flag", numbers
    )


# --- the grading scale ----------------------------------------------------------------------------

_PERCENT = re.compile(r"^\d{1,3}(\.\d+)?%?$")


class MarkError(ValueError):
    """A mark outside the district's grading scale."""


def grade_points(
    mark: str, *, letters: Mapping[str, float], failing: Sequence[str], percent_cuts: Mapping[str, float]
) -> tuple[Decimal, bool, str]:
    """(grade points, fails, letter) of a mark on the policy's scale; MarkError outside it.

    A letter must be one of the scale's; a number is a percentage from 0 to 100 that takes
    the letter of the highest cut it reaches.
    """
    text = mark.strip()
    if not text:
        raise MarkError("the mark is empty")
    upper = text.upper()
    if upper in letters:
        letter = upper
    elif _PERCENT.match(text):
        value = float(text.rstrip("%"))
        if value > 100:
            raise MarkError(f"{text!r} is above 100 %")
        reached = [(cut, name) for name, cut in percent_cuts.items() if value >= cut]
        if not reached:
            raise MarkError(f"{text!r} is below every percentage cut of the scale")
        letter = max(reached)[1]
    else:
        raise MarkError(f"{text!r} is not on the grading scale (letters: {', '.join(letters)}; or a percentage 0-100)")
    return Decimal(str(letters[letter])), letter in failing, letter
