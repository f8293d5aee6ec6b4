"""Calendar services: what is refused and how it is named (issue 12, "Bad input")."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError

from mtss.calendars import services
from mtss.calendars.models import CalendarEvent
from mtss.models import AuditEvent, SchoolYear
from mtss.tenancy import tenant_context
from tests.calendars.helpers import D, add

pytestmark = pytest.mark.django_db


def test_it_adds_a_district_break_and_a_school_snow_day_with_an_audit_event(world):
    side = world.a
    add(side, "break", "Winter break", D(2026, 12, 21), D(2027, 1, 1))
    snow = add(side, "closure", "Snow day", D(2027, 1, 12), D(2027, 1, 12), school=side.school)
    with tenant_context(side.district):
        assert list(CalendarEvent.objects.filter(district=side.district).values_list("name", "school_id")) == [
            ("Winter break", None),
            ("Snow day", side.school.pk),
        ]
        assert AuditEvent.objects.filter(
            district=side.district, verb="calendar_event.create", object_id=snow.pk
        ).exists()


def test_it_refuses_overlapping_breaks_naming_both_and_the_shared_dates(world):
    side = world.a
    add(side, "break", "Winter break", D(2026, 12, 21), D(2027, 1, 1))
    with pytest.raises(ValidationError) as info:
        add(side, "break", "Holiday recess", D(2026, 12, 28), D(2027, 1, 8))
    message = " ".join(info.value.messages)
    assert "“Winter break” (2026-12-21 to 2027-01-01)" in message
    assert "“Holiday recess” (2026-12-28 to 2027-01-08)" in message
    assert "both cover 2026-12-28 to 2027-01-01" in message
    with tenant_context(side.district):
        assert CalendarEvent.objects.filter(district=side.district).count() == 1  # nothing half-written


def test_a_school_break_overlapping_a_district_break_is_refused_but_two_schools_may_overlap(world):
    side = world.a
    add(side, "break", "Spring break", D(2027, 3, 22), D(2027, 3, 26), school=side.school)
    add(side, "break", "Spring break (middle)", D(2027, 3, 24), D(2027, 3, 31), school=side.other_school)
    with pytest.raises(ValidationError, match="both cover 2027-03-22 to 2027-03-26"):
        add(side, "break", "District spring break", D(2027, 3, 15), D(2027, 3, 26))
    # A holiday inside a break is not an overlap of breaks.
    add(side, "holiday", "Cesar Chavez Day", D(2027, 3, 24), D(2027, 3, 24))


def test_it_refuses_a_last_day_before_the_first_naming_the_field(world):
    with pytest.raises(ValidationError) as info:
        add(world.a, "closure", "Snow day", D(2027, 1, 12), D(2027, 1, 11))
    assert info.value.message_dict == {"end_date": ["The last day (2027-01-11) is before the first day (2027-01-12)."]}


def test_it_refuses_a_kind_it_does_not_know_and_an_empty_name(world):
    with pytest.raises(ValidationError) as info:
        add(world.a, "vacation", "Trip", D(2027, 1, 12), D(2027, 1, 12))
    assert list(info.value.message_dict) == ["kind"]
    with pytest.raises(ValidationError) as info:
        add(world.a, "holiday", "  ", D(2027, 1, 12), D(2027, 1, 12))
    assert list(info.value.message_dict) == ["name"]


def test_it_refuses_another_districts_school(world):
    with pytest.raises(ValidationError) as info:
        add(world.a, "closure", "Snow day", D(2027, 1, 12), D(2027, 1, 12), school=world.b.school)
    assert list(info.value.message_dict) == ["school"]


def test_a_closure_that_empties_the_school_year_is_refused_with_the_dates(world):
    side = world.a
    with pytest.raises(ValidationError) as info:
        add(side, "closure", "Building closed", D(2026, 7, 1), D(2027, 7, 31), school=side.school)
    message = " ".join(info.value.messages)
    assert "2026-2027 (2026-08-01 to 2027-06-30)" in message
    assert side.school.name in message


def test_a_school_year_with_only_weekend_days_is_refused_with_its_dates(world):
    side = world.a
    with pytest.raises(ValidationError) as info:
        services.school_year_save(
            district=side.district, actor=None, name="Summer", start_date=D(2027, 7, 3), end_date=D(2027, 7, 4)
        )
    assert (
        "Summer (2027-07-03 to 2027-07-04) would have no instructional day for the whole district"
        in info.value.messages[0]
    )
    with tenant_context(side.district):
        assert not SchoolYear.objects.filter(district=side.district, name="Summer").exists()


def test_a_school_year_ending_before_it_starts_names_the_last_day(world):
    with pytest.raises(ValidationError) as info:
        services.school_year_save(
            district=world.a.district, actor=None, name="2027-2028", start_date=D(2027, 8, 1), end_date=D(2027, 6, 1)
        )
    assert list(info.value.message_dict) == ["end_date"]


def test_edit_moves_an_event_and_is_validated_and_delete_removes_it(world):
    side = world.a
    add(side, "break", "Winter break", D(2026, 12, 21), D(2027, 1, 1))
    spring = add(side, "break", "Spring break", D(2027, 3, 22), D(2027, 3, 26))
    with tenant_context(side.district):
        with pytest.raises(ValidationError, match="overlaps"):
            services.calendar_event_update(
                district=side.district,
                actor=None,
                event=spring,
                kind="break",
                name="Spring break",
                start_date=D(2026, 12, 30),
                end_date=D(2027, 1, 5),
            )
        spring.refresh_from_db()
        assert spring.start_date == D(2027, 3, 22)
        services.calendar_event_update(
            district=side.district,
            actor=None,
            event=spring,
            kind="break",
            name="Spring break",
            start_date=D(2027, 3, 29),
            end_date=D(2027, 4, 2),
        )
        spring.refresh_from_db()
        assert (spring.start_date, spring.end_date) == (D(2027, 3, 29), D(2027, 4, 2))
        services.calendar_event_delete(district=side.district, actor=None, event=spring)
        assert list(CalendarEvent.objects.filter(district=side.district).values_list("name", flat=True)) == [
            "Winter break"
        ]
        assert AuditEvent.objects.filter(district=side.district, verb="calendar_event.delete").count() == 1


def test_a_day_cycle_must_start_inside_the_year(world):
    side = world.a
    with tenant_context(side.district):
        year = SchoolYear.objects.get(district=side.district)
        with pytest.raises(ValidationError) as info:
            services.day_cycle_set(
                district=side.district, actor=None, school_year=year, length=6, first_day=D(2027, 8, 1)
            )
        assert list(info.value.message_dict) == ["first_day"]
        with pytest.raises(ValidationError) as info:
            services.day_cycle_set(district=side.district, actor=None, school_year=year, length=1)
        assert list(info.value.message_dict) == ["length"]
