"""iCalendar import: a realistic district calendar (a multi-day break, a recurring event,
timed and school-day entries), preview, idempotence, all-or-nothing, bad files."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError

from mtss.calendars import selectors, services
from mtss.calendars.ics import classify
from mtss.calendars.models import CalendarEvent
from mtss.tenancy import tenant_context
from tests.calendars.helpers import D, ics_bytes

pytestmark = pytest.mark.django_db


def _import(side, name, **kwargs):
    content = ics_bytes(name) if isinstance(name, str) else name
    with tenant_context(side.district):
        return services.ics_import(district=side.district, actor=None, content=content, **kwargs)


def _events(side):
    with tenant_context(side.district):
        return list(
            CalendarEvent.objects.filter(district=side.district)
            .order_by("start_date")
            .values_list("kind", "name", "start_date", "end_date", "school_id")
        )


def test_the_preview_lists_what_will_be_created_and_writes_nothing(world):
    result = _import(world.a, "district-2026-27.ics", dry_run=True)
    assert result.ok and result.dry_run
    assert [(d.kind, d.start_date, d.end_date) for d in result.created] == [
        ("holiday", D(2026, 9, 7), D(2026, 9, 7)),
        ("holiday", D(2026, 10, 2), D(2026, 10, 2)),  # the monthly professional-development Friday: 3 occurrences
        ("holiday", D(2026, 11, 6), D(2026, 11, 6)),
        ("break", D(2026, 11, 25), D(2026, 11, 27)),  # DTEND 2026-11-28 is exclusive
        ("holiday", D(2026, 12, 4), D(2026, 12, 4)),
        ("break", D(2026, 12, 21), D(2027, 1, 1)),
        ("holiday", D(2027, 1, 18), D(2027, 1, 18)),  # no DTEND: one day
        ("holiday", D(2027, 2, 15), D(2027, 2, 15)),
        ("break", D(2027, 3, 22), D(2027, 3, 26)),
        ("holiday", D(2027, 5, 31), D(2027, 5, 31)),
    ]
    assert {(s.name, s.reason) for s in result.skipped} == {
        ("Early Dismissal - Thanksgiving", "a school day or not recognised as a day without school"),
        ("Board of Education Meeting", "not an all-day event"),
        ("Last Day of School", "a school day or not recognised as a day without school"),
    }
    assert _events(world.a) == []


def test_the_import_writes_the_days_and_a_second_import_changes_nothing(world):
    side = world.a
    first = _import(side, "district-2026-27.ics")
    assert len(first.created) == 10 and not first.updated
    assert len(_events(side)) == 10
    with tenant_context(side.district):
        # Dec 14 .. Jan 8: 20 weekdays; the winter break takes 10.
        assert (
            selectors.instructional_days(
                district=side.district, school_id=None, start=D(2026, 12, 14), end=D(2027, 1, 8)
            )
            == 10
        )
    again = _import(side, "district-2026-27.ics")
    assert (len(again.created), len(again.updated), len(again.unchanged)) == (0, 0, 10)
    assert len(_events(side)) == 10
    assert _events(world.b) == []


def test_an_edited_file_updates_the_event_with_the_same_uid(world):
    side = world.a
    _import(side, "district-2026-27.ics")
    moved = ics_bytes("district-2026-27.ics").replace(
        b"DTSTART;VALUE=DATE:20270322\nDTEND;VALUE=DATE:20270327",
        b"DTSTART;VALUE=DATE:20270329\nDTEND;VALUE=DATE:20270403",
    )
    assert moved != ics_bytes("district-2026-27.ics")
    result = _import(side, moved)
    assert [(d.name, d.start_date, d.end_date) for d in result.updated] == [
        ("Spring Break", D(2027, 3, 29), D(2027, 4, 2))
    ]
    assert ("break", "Spring Break", D(2027, 3, 29), D(2027, 4, 2), None) in _events(side)
    assert len(_events(side)) == 10


def test_a_school_import_is_that_schools_exception(world):
    side = world.a
    _import(side, "district-2026-27.ics", school=side.school)
    assert {row[4] for row in _events(side)} == {side.school.pk}
    with tenant_context(side.district):
        assert (
            selectors.instructional_days(
                district=side.district, school_id=side.other_school.pk, start=D(2026, 12, 14), end=D(2027, 1, 8)
            )
            == 20
        )


def test_overlapping_breaks_in_a_file_import_nothing_and_name_the_dates(world):
    side = world.a
    result = _import(side, "overlapping-breaks.ics")
    assert not result.ok
    assert "both cover 2026-12-28 to 2027-01-01" in result.errors[0]
    assert len(result.created) == 2  # the preview still shows what the file holds
    assert _events(side) == []


def test_a_broken_file_is_refused_on_the_file_field(world):
    with pytest.raises(ValidationError) as info:
        _import(world.a, "broken.ics")
    assert list(info.value.message_dict) == ["file"]
    assert "could not be read" in info.value.message_dict["file"][0]
    with pytest.raises(ValidationError, match="not an iCalendar file"):
        _import(world.a, b"student_id,score\n1,40\n")
    with pytest.raises(ValidationError, match="empty"):
        _import(world.a, b"")


@pytest.mark.parametrize(
    ("summary", "kind"),
    [
        ("Winter Break", "break"),
        ("Thanksgiving Recess", "break"),
        ("Snow Day - Schools Closed", "closure"),
        ("Labor Day", "holiday"),
        ("No School - Superintendent's Conference Day", "holiday"),
        ("Early Dismissal - Thanksgiving", None),
        ("First Day of School", None),
        ("Picture Day", None),
        ("Homecoming Game", None),
    ],
)
def test_it_classifies_a_summary(summary, kind):
    assert classify(summary) == kind
