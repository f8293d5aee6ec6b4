"""Reads of the school calendar: which days are not instructional, how many are.

How instructional days are counted (README, "School calendar"):

* Monday to Friday are instructional by default; Saturday and Sunday never are,
  and are left out of the returned sets because every consumer treats them as
  implicit (the engine takes `frozenset[date]` of the *weekday* exceptions).
* A weekday is not instructional when a holiday, break or closure of the whole
  district, or of the school itself, covers it.
* A weekday between two of the district's school years (the summer) is not
  instructional. Before the first known school year and after the last one the
  calendar knows nothing, so those weekdays keep the Monday-to-Friday default:
  a district that has entered only this year does not lose last spring.

Every function here runs a fixed number of queries, however many schools or events.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

from django.db.models import Q, QuerySet
from django.http import Http404

from mtss.calendars.models import CalendarEvent, DayCycle, Term
from mtss.models import District, SchoolYear
from mtss.rules import calendar as rules_calendar

ONE_DAY = dt.timedelta(days=1)


def _weekdays(start: dt.date, end: dt.date) -> Iterable[dt.date]:
    day = start
    while day <= end:
        if day.weekday() < 5:
            yield day
        day += ONE_DAY


def _summer_gaps(years: list[tuple[dt.date, dt.date]]) -> list[tuple[dt.date, dt.date]]:
    """The stretches between consecutive school years (both ends exclusive of the years)."""
    gaps = []
    ordered = sorted(years)
    reach = None
    for first, last in ordered:
        if reach is not None and first > reach + ONE_DAY:
            gaps.append((reach + ONE_DAY, first - ONE_DAY))
        reach = last if reach is None else max(reach, last)
    return gaps


def _clip(first: dt.date, last: dt.date, start: dt.date, end: dt.date) -> tuple[dt.date, dt.date] | None:
    lo, hi = max(first, start), min(last, end)
    return (lo, hi) if lo <= hi else None


def non_instructional_by_school(
    *, district: District, school_ids: Iterable[int | None], start: dt.date, end: dt.date
) -> dict[int | None, frozenset[dt.date]]:
    """Weekdays without school in [start, end] for each school, in two queries.

    The key None gives the district-wide days only (no school's exceptions).
    """
    wanted = list(dict.fromkeys(school_ids))
    if end < start:
        return {school_id: frozenset() for school_id in wanted}
    # Query 1: the district's school years, for the gaps between them.
    years = list(SchoolYear.objects.filter(district=district).values_list("start_date", "end_date"))
    shared: set[dt.date] = set()
    for gap in _summer_gaps(years):
        clipped = _clip(*gap, start, end)
        if clipped:
            shared.update(_weekdays(*clipped))
    # Query 2: the events that overlap the range, district-wide or of a wanted school.
    real_ids = [school_id for school_id in wanted if school_id is not None]
    events = (
        CalendarEvent.objects.filter(district=district, start_date__lte=end, end_date__gte=start)
        .filter(Q(school__isnull=True) | Q(school_id__in=real_ids))
        .values_list("school_id", "start_date", "end_date")
    )
    own: dict[int, set[dt.date]] = {}
    for school_id, first, last in events:
        days = _weekdays(*_clip(first, last, start, end))
        if school_id is None:
            shared.update(days)
        else:
            own.setdefault(school_id, set()).update(days)
    return {school_id: frozenset(shared | own.get(school_id, set())) for school_id in wanted}


def non_instructional_dates(
    *, district: District, school_id: int | None, start: dt.date, end: dt.date
) -> frozenset[dt.date]:
    """Weekdays without school in [start, end] for one school (None: the district-wide calendar)."""
    return non_instructional_by_school(district=district, school_ids=[school_id], start=start, end=end)[school_id]


def count_instructional_days(start: dt.date, end: dt.date, non_instructional: frozenset[dt.date]) -> int:
    """Weekdays in [start, end] not in `non_instructional`: the engine's own count, so the
    calendar page and every evaluation agree."""
    return rules_calendar.instructional_days(start, end, non_instructional)


def instructional_days(*, district: District, school_id: int | None, start: dt.date, end: dt.date) -> int:
    """How many instructional days [start, end] holds for the school (both ends included)."""
    off = non_instructional_dates(district=district, school_id=school_id, start=start, end=end)
    return count_instructional_days(start, end, off)


def cycle_day(*, district: District, school_id: int | None, day: dt.date) -> int | None:
    """The cycle day number (1..length) of `day`, or None.

    None when the district (or school) runs no day cycle in that school year, when
    `day` is before cycle day 1, or when `day` is not instructional. Days without
    school do not use up a cycle day: the cycle resumes where it stopped.
    """
    cycles = list(
        DayCycle.objects.filter(district=district, school_year__start_date__lte=day, school_year__end_date__gte=day)
        .filter(Q(school__isnull=True) | Q(school_id=school_id))
        .values_list("school_id", "length", "first_day")
    )
    if not cycles:
        return None
    # A school's own cycle overrides the district's.
    _, length, first_day = min(cycles, key=lambda row: row[0] is None)
    if day < first_day or day.weekday() >= 5:
        return None
    off = non_instructional_dates(district=district, school_id=school_id, start=first_day, end=day)
    if day in off:
        return None
    before = count_instructional_days(first_day, day - ONE_DAY, off)
    return before % length + 1


def cycle_days_on(*, district: District, school_ids: Iterable[int], day: dt.date) -> dict[int, int | None]:
    """`cycle_day` of many schools on one day, in three queries (the specialist's home page):
    {school_id: cycle day number, or None}."""
    wanted = list(dict.fromkeys(school_ids))
    if not wanted or day.weekday() >= 5:
        return {school_id: None for school_id in wanted}
    cycles = list(
        DayCycle.objects.filter(district=district, school_year__start_date__lte=day, school_year__end_date__gte=day)
        .filter(Q(school__isnull=True) | Q(school_id__in=wanted))
        .values_list("school_id", "length", "first_day")
    )
    if not cycles:
        return {school_id: None for school_id in wanted}
    own = {school_id: (length, first) for school_id, length, first in cycles if school_id is not None}
    shared = next(((length, first) for school_id, length, first in cycles if school_id is None), None)
    earliest = min(first for _school, _length, first in cycles)
    off = non_instructional_by_school(district=district, school_ids=wanted, start=earliest, end=day)
    out: dict[int, int | None] = {}
    for school_id in wanted:
        cycle = own.get(school_id, shared)  # a school's own cycle overrides the district's
        days_off = off[school_id]
        if cycle is None or day < cycle[1] or day in days_off:
            out[school_id] = None
            continue
        length, first_day = cycle
        out[school_id] = count_instructional_days(first_day, day - ONE_DAY, days_off) % length + 1
    return out


# --- the calendar page ----------------------------------------------------------------------


def school_years(*, district: District) -> QuerySet[SchoolYear]:
    return SchoolYear.objects.filter(district=district).order_by("-start_date")


def school_year_get(*, district: District, school_year_id: int) -> SchoolYear:
    try:
        return SchoolYear.objects.get(district=district, pk=school_year_id)
    except SchoolYear.DoesNotExist:
        raise Http404 from None


def school_year_current(*, district: District, today: dt.date) -> SchoolYear | None:
    """The year containing `today`, else the next one to start, else the latest."""
    years = list(school_years(district=district))
    for year in years:
        if year.start_date <= today <= year.end_date:
            return year
    upcoming = [year for year in years if year.start_date > today]
    return min(upcoming, key=lambda y: y.start_date) if upcoming else (years[0] if years else None)


def calendar_events(*, district: District, start: dt.date, end: dt.date) -> QuerySet[CalendarEvent]:
    """Every event overlapping [start, end], district-wide and per school."""
    return (
        CalendarEvent.objects.filter(district=district, start_date__lte=end, end_date__gte=start)
        .select_related("school")
        .order_by("start_date", "end_date", "name")
    )


def calendar_event_get(*, district: District, event_id: int) -> CalendarEvent:
    """One event of the district; another district's answers exactly like a missing one."""
    try:
        return CalendarEvent.objects.select_related("school").get(district=district, pk=event_id)
    except CalendarEvent.DoesNotExist:
        raise Http404 from None


def terms(*, district: District, school_year: SchoolYear) -> QuerySet[Term]:
    return Term.objects.filter(district=district, school_year=school_year).order_by("start_date", "kind", "name")


def day_cycles(*, district: District, school_year: SchoolYear) -> QuerySet[DayCycle]:
    return DayCycle.objects.filter(district=district, school_year=school_year).select_related("school")
