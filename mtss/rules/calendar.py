"""The school calendar as data: which days are instructional (issue 12, item 2).

The engine stays pure: a case carries the dates on which there is no school
(holidays, breaks, closures, snow days) and, optionally, the weekdays a school
teaches (Monday to Friday by default; weekends are implicit). Everything that
counts time in the rules counts *instructional days*: scheduled sessions and
fidelity, 6-day cycles, progress-monitoring gaps, review due dates and the time
spent in a tier. A probe or a session logged on a non-instructional day (a
make-up session) is still accepted and counted as delivered.

``batch.py`` computes the same counts with ``numpy.is_busday`` over a cumulative
table; both read the calendar the same way: a day is instructional when its
weekday is one of ``weekdays`` and it is not in ``non_instructional``.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, timedelta

WEEKDAYS: tuple[int, ...] = (0, 1, 2, 3, 4)  # Monday .. Friday (date.weekday())
WEEKDAY_NAMES = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


def normalise_weekdays(weekdays: Iterable[int]) -> tuple[int, ...]:
    days = tuple(sorted(set(int(day) for day in weekdays)))
    if not days or any(day < 0 or day > 6 for day in days):
        raise ValueError(f"weekdays must be numbers 0 (Monday) to 6 (Sunday), at least one; got {days!r}")
    return days


@dataclass(frozen=True, slots=True)
class SchoolCalendar:
    """Non-instructional dates and the weekdays that are school days."""

    non_instructional: frozenset[date] = field(default_factory=frozenset)
    weekdays: tuple[int, ...] = WEEKDAYS

    def is_instructional(self, day: date) -> bool:
        return is_instructional(day, self.non_instructional, self.weekdays)

    def count(self, first: date, last: date) -> int:
        return instructional_days(first, last, self.non_instructional, self.weekdays)


def weekmask(weekdays: Iterable[int]) -> str:
    """numpy's weekmask ("1111100") for the weekdays."""
    chosen = set(weekdays)
    return "".join("1" if day in chosen else "0" for day in range(7))


def is_instructional(
    day: date, non_instructional: frozenset[date] = frozenset(), weekdays: tuple[int, ...] = WEEKDAYS
) -> bool:
    return day.weekday() in weekdays and day not in non_instructional


def instructional_days(
    first: date, last: date, non_instructional: frozenset[date] = frozenset(), weekdays: tuple[int, ...] = WEEKDAYS
) -> int:
    """Instructional days from ``first`` to ``last``, both included (0 when last < first)."""
    if last < first:
        return 0
    days = (last - first).days + 1
    full_weeks, rest = divmod(days, 7)
    count = full_weeks * len(weekdays)
    start_weekday = first.weekday()
    for offset in range(rest):
        if (start_weekday + offset) % 7 in weekdays:
            count += 1
    for day in non_instructional:
        if first <= day <= last and day.weekday() in weekdays:
            count -= 1
    return count


def nth_instructional_day_after(
    anchor: date, n: int, non_instructional: frozenset[date] = frozenset(), weekdays: tuple[int, ...] = WEEKDAYS
) -> date:
    """The date on which ``n`` instructional days after ``anchor`` (exclusive) have passed."""
    day = anchor
    remaining = n
    per_week = len(set(weekdays))
    # Whole weeks first: any 7 days hold each weekday once, so a week gives `per_week` days less the
    # closures in it. Walking day by day cost 140 steps per review date on every caseload page.
    while per_week and remaining > per_week:
        weeks = (remaining - 1) // per_week
        end = day + timedelta(days=7 * weeks)
        closed = sum(1 for d in non_instructional if day < d <= end and d.weekday() in weekdays)
        remaining -= weeks * per_week - closed
        day = end
    while remaining > 0:
        day += timedelta(days=1)
        if is_instructional(day, non_instructional, weekdays):
            remaining -= 1
    return day


def expand_ranges(ranges: Iterable[tuple[date, date]]) -> frozenset[date]:
    """Every date of inclusive ``(first, last)`` ranges (a break, a closure)."""
    days: set[date] = set()
    for first, last in ranges:
        day = first
        while day <= last:
            days.add(day)
            day += timedelta(days=1)
    return frozenset(days)
