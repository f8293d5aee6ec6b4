"""Reading a district's published iCalendar (.ics) file into days without school.

Pure: bytes in, a list of `IcsDay` (or skipped entries with the reason) out; no
database. Parsing is the kept `icalendar` library (RFC 5545); recurring events are
expanded by `recurring-ical-events` (RRULE, RDATE, EXDATE and moved occurrences).

Only all-day events become calendar events: a district calendar marks days off
as all-day entries, while timed entries are meetings, games and concerts.
The kind comes from the summary's words (see `classify`); what is not recognised
is listed as skipped in the preview, never guessed.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import re
from dataclasses import dataclass

import icalendar
import recurring_ical_events

MAX_BYTES = 2 * 1024 * 1024  # a district's year calendar is a few kilobytes

# A school day with a note on it: these words win over any holiday word
# ("Early dismissal - Thanksgiving" is a school day).
_SCHOOL_DAY = re.compile(
    r"\b(early (dismissal|release)|half[- ]day|delayed (opening|start)|two[- ]hour delay|"
    r"first day|last day|school resumes|classes resume|school reopens|open house|picture day)\b",
    re.I,
)
_BREAK = re.compile(r"\b(break|recess|vacation)\b", re.I)
_CLOSURE = re.compile(r"\b(snow|weather|emergency|closing|closure|inclement)\b", re.I)
_HOLIDAY = re.compile(
    r"\b(holiday|no school|schools? closed|no classes|thanksgiving|christmas|new year'?s|"
    r"martin luther king|mlk|presidents'?|washington'?s birthday|lincoln'?s birthday|memorial day|labor day|"
    r"independence day|juneteenth|veterans'? day|columbus day|indigenous peoples'? day|good friday|"
    r"rosh hashanah|yom kippur|lunar new year|eid|diwali|cesar chavez|election day|"
    r"superintendent'?s conference|professional development|staff development|teacher (work|in-service)|"
    r"in-service|inservice|conference day|non-student day|student holiday)\b",
    re.I,
)


def classify(summary: str) -> str | None:
    """holiday / break / closure from an event's summary, or None for a school day.

    Order matters: a marked school day first, then break ("Thanksgiving Break" is a
    break), closure, and holiday last. Staff days without students (professional
    development, conference days) are days without instruction: holidays here.
    """
    if _SCHOOL_DAY.search(summary):
        return None
    if _BREAK.search(summary):
        return "break"
    if _CLOSURE.search(summary):
        return "closure"
    if _HOLIDAY.search(summary):
        return "holiday"
    return None


class IcsError(ValueError):
    """The file cannot be read as an iCalendar calendar; the message says why."""


@dataclass(frozen=True)
class IcsDay:
    """One all-day event (or one occurrence of a recurring one) that is a day off."""

    uid: str
    kind: str
    name: str
    start_date: dt.date
    end_date: dt.date  # inclusive (iCalendar's DTEND of an all-day event is exclusive)


@dataclass(frozen=True)
class IcsSkipped:
    name: str
    start_date: dt.date | None
    reason: str


def _uid(event, summary: str, start: dt.date, recurring: bool) -> str:
    uid = str(event.get("UID") or "").strip()
    if not uid:  # RFC 5545 requires a UID; some exporters omit it. Key by content instead.
        uid = "nouid-" + hashlib.sha256(f"{summary}|{start}".encode()).hexdigest()[:32]
    if recurring:
        uid = f"{uid}#{start.isoformat()}"
    if len(uid) > 250:
        uid = "sha256-" + hashlib.sha256(uid.encode()).hexdigest()
    return uid


def parse_ics(content: bytes, *, start: dt.date, end: dt.date) -> tuple[list[IcsDay], list[IcsSkipped]]:
    """Days off in the file between `start` and `end`, and what was skipped with the reason."""
    if not content or not content.strip():
        raise IcsError("The file is empty.")
    if len(content) > MAX_BYTES:
        raise IcsError(f"The file is larger than {MAX_BYTES // (1024 * 1024)} MB; a school calendar is much smaller.")
    if b"BEGIN:VCALENDAR" not in content[:2048].upper():
        raise IcsError("This is not an iCalendar file: it does not start with BEGIN:VCALENDAR.")
    try:
        calendar = icalendar.Calendar.from_ical(content)
        recurring_uids = {
            str(c.get("UID") or "")
            for c in calendar.walk("VEVENT")
            if c.get("RRULE") or c.get("RDATE") or c.get("RECURRENCE-ID")
        }
        occurrences = recurring_ical_events.of(calendar, components=["VEVENT"]).between(
            start, end + dt.timedelta(days=1)
        )
    except Exception as error:  # noqa: BLE001 - icalendar raises ValueError, KeyError, ... on broken input
        raise IcsError(f"The iCalendar file could not be read: {error}") from None
    days: list[IcsDay] = []
    skipped: list[IcsSkipped] = []
    seen: set[str] = set()
    for event in occurrences:
        summary = " ".join(str(event.get("SUMMARY") or "").split())[:200] or "(no title)"
        first = event.get("DTSTART").dt if event.get("DTSTART") else None
        if first is None:
            skipped.append(IcsSkipped(summary, None, "no start date (DTSTART)"))
            continue
        if isinstance(first, dt.datetime):
            skipped.append(IcsSkipped(summary, first.date(), "not an all-day event"))
            continue
        finish = event.get("DTEND").dt if event.get("DTEND") else None
        if isinstance(finish, dt.date) and not isinstance(finish, dt.datetime) and finish > first:
            last = finish - dt.timedelta(days=1)  # DTEND of an all-day event is the day after (RFC 5545 3.6.1)
        elif event.get("DURATION"):
            last = first + max(event.get("DURATION").dt - dt.timedelta(days=1), dt.timedelta(0))
        else:
            last = first
        kind = classify(summary)
        if kind is None:
            skipped.append(IcsSkipped(summary, first, "a school day or not recognised as a day without school"))
            continue
        # The library stamps every occurrence with a RECURRENCE-ID: ask the source file instead.
        recurring = str(event.get("UID") or "") in recurring_uids
        uid = _uid(event, summary, first, recurring)
        if uid in seen:  # the same occurrence twice in one file: keep the first
            continue
        seen.add(uid)
        days.append(IcsDay(uid=uid, kind=kind, name=summary, start_date=first, end_date=last))
    days.sort(key=lambda d: (d.start_date, d.end_date, d.name))
    skipped.sort(key=lambda s: (s.start_date or dt.date.min, s.name))
    return days, skipped
