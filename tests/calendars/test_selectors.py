"""Calendar selectors: the non-instructional weekdays per school, counted by hand, in constant queries."""

from __future__ import annotations

import pytest

from mtss.calendars import selectors, services
from mtss.calendars.models import CalendarEvent
from mtss.models import SchoolYear
from mtss.tenancy import tenant_context
from tests import factories as f
from tests.calendars.helpers import D, add

pytestmark = pytest.mark.django_db

# Monday 2026-12-14 .. Friday 2027-01-08: four weeks, 20 weekdays.
START, END = D(2026, 12, 14), D(2027, 1, 8)


@pytest.fixture
def winter(world):
    side = world.a
    add(side, "break", "Winter break", D(2026, 12, 21), D(2027, 1, 1))  # 10 weekdays, 4 weekend days
    add(side, "closure", "Snow day", D(2027, 1, 6), D(2027, 1, 6), school=side.school)
    add(world.b, "closure", "Other district's snow day", D(2027, 1, 7), D(2027, 1, 7))
    return side


def test_district_days_and_a_schools_own_exceptions(winter):
    side = winter
    with tenant_context(side.district):
        district = selectors.non_instructional_dates(district=side.district, school_id=None, start=START, end=END)
        school = selectors.non_instructional_dates(
            district=side.district, school_id=side.school.pk, start=START, end=END
        )
        other = selectors.non_instructional_dates(
            district=side.district, school_id=side.other_school.pk, start=START, end=END
        )
        assert len(district) == 10 and min(district) == D(2026, 12, 21) and max(district) == D(2027, 1, 1)
        assert all(day.weekday() < 5 for day in district)  # weekends are implicit, never listed
        assert school == district | {D(2027, 1, 6)}
        assert other == district  # the other school does not get the snow day; nor the other district's
        assert selectors.instructional_days(district=side.district, school_id=side.school.pk, start=START, end=END) == 9
        assert (
            selectors.instructional_days(district=side.district, school_id=side.other_school.pk, start=START, end=END)
            == 10
        )


def test_the_range_clips_events_that_start_before_it(winter):
    side = winter
    with tenant_context(side.district):
        days = selectors.non_instructional_dates(
            district=side.district, school_id=None, start=D(2026, 12, 30), end=D(2027, 1, 5)
        )
    assert days == frozenset({D(2026, 12, 30), D(2026, 12, 31), D(2027, 1, 1)})


def test_the_summer_between_two_school_years_is_not_instructional_but_before_the_first_year_is(world):
    side = world.a
    with tenant_context(side.district):
        SchoolYear.objects.create(
            district=side.district, name="2027-2028", start_date=D(2027, 8, 16), end_date=D(2028, 6, 20)
        )
        # 2027-06-28..30 in the first year (3), July 1 .. Aug 13 between the years (32), Aug 16..20 in the next (5).
        assert (
            selectors.instructional_days(
                district=side.district, school_id=None, start=D(2027, 6, 28), end=D(2027, 8, 20)
            )
            == 8
        )
        # Before the district's first known year the Monday-to-Friday default holds.
        assert (
            selectors.instructional_days(
                district=side.district, school_id=None, start=D(2026, 7, 27), end=D(2026, 7, 31)
            )
            == 5
        )


def test_the_bulk_variant_runs_two_queries_for_any_number_of_schools_and_events(world, django_assert_num_queries):
    side = world.a
    schools = [f.make_school(side.district) for _ in range(30)]
    with tenant_context(side.district):
        CalendarEvent.objects.bulk_create(
            [
                CalendarEvent(
                    district=side.district,
                    school=school,
                    kind="closure",
                    name="Snow day",
                    start_date=D(2027, 1, 4 + i % 5),
                    end_date=D(2027, 1, 4 + i % 5),
                )
                for i, school in enumerate(schools)
            ]
        )
        ids = [s.pk for s in schools] + [side.school.pk]
        with django_assert_num_queries(2):
            few = selectors.non_instructional_by_school(
                district=side.district, school_ids=ids[:1], start=START, end=END
            )
        with django_assert_num_queries(2):
            many = selectors.non_instructional_by_school(district=side.district, school_ids=ids, start=START, end=END)
    assert few[ids[0]] == many[ids[0]] == frozenset({D(2027, 1, 4)})
    assert many[ids[4]] == frozenset({D(2027, 1, 8)})
    assert many[side.school.pk] == frozenset()
    assert set(many) == set(ids)


def test_the_cycle_day_skips_days_without_school(world, django_assert_num_queries):
    side = world.a
    with tenant_context(side.district):
        year = SchoolYear.objects.get(district=side.district)
        services.day_cycle_set(district=side.district, actor=None, school_year=year, length=6, first_day=D(2026, 8, 3))
    add(side, "holiday", "Staff day", D(2026, 8, 10), D(2026, 8, 10))
    add(side, "closure", "Snow day", D(2026, 8, 12), D(2026, 8, 12), school=side.school)

    def day(date, school):
        return selectors.cycle_day(district=side.district, school_id=school.pk, day=date)

    with tenant_context(side.district):
        # Mon Aug 3 .. Fri Aug 7 are days 1-5; the weekend and the staff day take no cycle day.
        assert [day(D(2026, 8, d), side.other_school) for d in range(3, 14)] == [
            1,
            2,
            3,
            4,
            5,
            None,
            None,
            None,
            6,
            1,
            2,
        ]
        assert [day(D(2026, 8, d), side.school) for d in (11, 12, 13)] == [6, None, 1]
        with django_assert_num_queries(3):
            day(D(2027, 6, 30), side.school)
        # A district with no cycle has no cycle days.
    with tenant_context(world.b.district):
        assert selectors.cycle_day(district=world.b.district, school_id=world.b.school.pk, day=D(2026, 8, 3)) is None


def test_a_schools_own_cycle_overrides_the_districts(world):
    side = world.a
    with tenant_context(side.district):
        year = SchoolYear.objects.get(district=side.district)
        services.day_cycle_set(district=side.district, actor=None, school_year=year, length=6, first_day=D(2026, 8, 3))
        services.day_cycle_set(
            district=side.district, actor=None, school_year=year, length=2, first_day=D(2026, 8, 3), school=side.school
        )
        assert selectors.cycle_day(district=side.district, school_id=side.school.pk, day=D(2026, 8, 5)) == 1
        assert selectors.cycle_day(district=side.district, school_id=side.other_school.pk, day=D(2026, 8, 5)) == 3
