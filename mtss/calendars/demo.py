"""The demo districts' 2026-27 calendars (issue 12: "The demo has each district's
calendar with winter and spring breaks"). Called by seed_demo after the school years exist.

The dates follow the 2026-27 US calendar (Thanksgiving Thursday 2026-11-26, MLK Day
2027-01-18, Presidents' Day 2027-02-15); spring breaks differ by district as they do
in real life. Holland Patent runs a 6-day cycle (DOMAIN.md) from its first day.
"""

from __future__ import annotations

from datetime import date

from mtss.calendars import services
from mtss.calendars.models import CalendarEvent
from mtss.models import District, SchoolYear
from mtss.tenancy import tenant_context

YEAR = "2026-2027"

COMMON = [
    ("holiday", "Labor Day", date(2026, 9, 7), date(2026, 9, 7)),
    ("break", "Thanksgiving break", date(2026, 11, 25), date(2026, 11, 27)),
    ("break", "Winter break", date(2026, 12, 21), date(2027, 1, 1)),
    ("holiday", "Martin Luther King Jr. Day", date(2027, 1, 18), date(2027, 1, 18)),
    ("holiday", "Presidents' Day", date(2027, 2, 15), date(2027, 2, 15)),
    ("holiday", "Memorial Day", date(2027, 5, 31), date(2027, 5, 31)),
]
SPRING_BREAK = {
    "loudon-county-tn": (date(2027, 3, 15), date(2027, 3, 19)),
    "holland-patent-ny": (date(2027, 4, 19), date(2027, 4, 23)),
    "ohio-virtual-academy": (date(2027, 3, 22), date(2027, 3, 26)),
    "lausd-secondary": (date(2027, 3, 29), date(2027, 4, 2)),
}
DEFAULT_SPRING_BREAK = (date(2027, 3, 22), date(2027, 3, 26))
# Holland Patent's secondary schedule rotates over six lettered days.
DAY_CYCLES = {"holland-patent-ny": 6}


def seed_calendars(district: District, *, year_name: str = YEAR) -> int:
    """Write the district's days without school (and day cycle) for `year_name`; returns the events added.

    Idempotent: a district that already has manual events in that year is left as it is.
    Does nothing when the district has no such school year.
    """
    with tenant_context(district):
        year = SchoolYear.objects.filter(district=district, name=year_name).first()
        if (
            year is None
            or CalendarEvent.objects.filter(
                district=district, start_date__lte=year.end_date, end_date__gte=year.start_date
            ).exists()
        ):
            return 0
        spring = SPRING_BREAK.get(district.slug, DEFAULT_SPRING_BREAK)
        days = [*COMMON, ("break", "Spring break", *spring)]
        added = 0
        for kind, name, first, last in days:
            if year.start_date <= first and last <= year.end_date:
                services.calendar_event_create(
                    district=district, actor=None, kind=kind, name=name, start_date=first, end_date=last
                )
                added += 1
        if district.slug in DAY_CYCLES:
            services.day_cycle_set(
                district=district,
                actor=None,
                school_year=year,
                length=DAY_CYCLES[district.slug],
                first_day=year.start_date,
            )
    return added
