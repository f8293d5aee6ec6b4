"""Calendar test helpers: a district with the 2026-27 school year of tests/factories.py
(2026-08-01 .. 2027-06-30) and the .ics fixtures of tests/data/calendars/."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from mtss.calendars import services
from mtss.tenancy import tenant_context

DATA = Path(__file__).resolve().parent.parent / "data" / "calendars"
D = dt.date


def ics_bytes(name: str) -> bytes:
    return (DATA / name).read_bytes()


def add(side, kind, name, start, end, school=None):
    with tenant_context(side.district):
        return services.calendar_event_create(
            district=side.district, actor=None, kind=kind, name=name, start_date=start, end_date=end, school=school
        )
