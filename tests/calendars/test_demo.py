"""The demo calendars: breaks for every district, Holland Patent's 6-day cycle."""

from __future__ import annotations

import pytest

from mtss.calendars import selectors
from mtss.calendars.demo import seed_calendars
from mtss.models import SchoolYear
from mtss.tenancy import tenant_context
from tests import factories as f
from tests.calendars.helpers import D

pytestmark = pytest.mark.django_db


def test_holland_patent_gets_its_breaks_and_a_six_day_cycle():
    district = f.make_district("holland-patent-ny", state="NY")
    school = f.make_school(district)
    with tenant_context(district):
        SchoolYear.objects.create(
            district=district, name="2026-2027", start_date=D(2026, 8, 31), end_date=D(2027, 6, 25)
        )
    assert seed_calendars(district) == 7  # 6 shared days off + spring break
    assert seed_calendars(district) == 0  # a second run adds nothing
    with tenant_context(district):
        # Dec 14 .. Jan 8: 20 weekdays, the winter break takes 10.
        assert (
            selectors.instructional_days(
                district=district, school_id=school.pk, start=D(2026, 12, 14), end=D(2027, 1, 8)
            )
            == 10
        )
        # Mon Aug 31 is day 1; Labor Day (Mon Sep 7) takes no cycle day: Fri Sep 4 is 5, Tue Sep 8 is 6.
        assert [
            selectors.cycle_day(district=district, school_id=school.pk, day=D(2026, 9, d)) for d in (4, 7, 8, 9)
        ] == [5, None, 6, 1]
        # Spring break in April for Holland Patent.
        assert D(2027, 4, 19) in selectors.non_instructional_dates(
            district=district, school_id=None, start=D(2027, 4, 1), end=D(2027, 4, 30)
        )
