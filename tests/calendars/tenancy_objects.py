"""One district's calendar objects, for the cross-district URL check (tests/test_tenancy_urls.py)."""

from __future__ import annotations


def _event(side):
    cached = side.__dict__.get("_calendar_event")
    if cached is None:
        from tests.calendars.helpers import D, add

        cached = side.__dict__["_calendar_event"] = add(side, "closure", "Snow day", D(2027, 1, 12), D(2027, 1, 12))
    return cached


OBJECT_IDS = {
    "calendar_event_id": lambda side: _event(side).pk,
}
