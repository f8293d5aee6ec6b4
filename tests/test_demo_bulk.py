"""demo/bulk.py: the COPY path seed_demo uses at scale writes what bulk_create would, under RLS.

On PostgreSQL the rows go through a staging table and one INSERT ... SELECT, so the
district's row-level security policies check them as any insert; on SQLite it is
bulk_create. Both must hand back the objects with their primary keys.
"""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import DatabaseError, transaction

from demo.bulk import copy_create
from mtss.models import School, SchoolYear
from mtss.tenancy import tenant_context
from students.models import Student
from tests.factories import make_district, make_school


@pytest.mark.django_db(transaction=True)
def test_copy_create_sets_ids_and_writes_every_field():
    district = make_district("bulk-a")
    with tenant_context(district), transaction.atomic():
        school = make_school(district)
        students = copy_create(
            [
                Student(
                    district=district,
                    school=school,
                    local_id=f"L{i}",
                    first_name=f"Ana{i}",
                    last_name="Núñez",
                    birth_date=dt.date(2015, 1, 1 + i),
                    grade=3,
                    entry_date=dt.date(2026, 8, 5),
                )
                for i in range(5)
            ]
        )
        assert all(s.pk for s in students)
        assert len({s.pk for s in students}) == 5
        stored = {s.pk: s for s in Student.objects.filter(district=district)}
        assert sorted(stored) == sorted(s.pk for s in students)
        first = stored[students[0].pk]
        assert (first.local_id, first.first_name, first.last_name, first.school_id) == (
            "L0",
            "Ana0",
            "Núñez",
            school.pk,
        )
        assert first.birth_date == dt.date(2015, 1, 1)
        # A later insert draws a fresh id from the same sequence (no collision with the copied ones).
        later = School.objects.create(district=district, name="Later", code="LATER", grade_low=0, grade_high=5)
        assert later.pk != school.pk
        year = copy_create(
            [
                SchoolYear(
                    district=district, name="2026-2027", start_date=dt.date(2026, 8, 1), end_date=dt.date(2027, 5, 31)
                )
            ]
        )[0]
        assert SchoolYear.objects.get(pk=year.pk).name == "2026-2027"


@pytest.mark.postgres  # row-level security is PostgreSQL's (tests/conftest.py)
@pytest.mark.django_db(transaction=True)
def test_copy_create_rows_of_another_district_are_refused():
    mine, theirs = make_district("bulk-b"), make_district("bulk-c")
    with tenant_context(theirs):
        their_school = make_school(theirs)
    with tenant_context(mine):
        with pytest.raises(DatabaseError, match="row-level security"), transaction.atomic():
            copy_create([School(district=theirs, name="Sneaky", code="X1", grade_low=0, grade_high=5)])
        assert not School.objects.filter(name="Sneaky").exists()
    with tenant_context(theirs):
        assert list(School.objects.filter(district=theirs).values_list("pk", flat=True)) == [their_school.pk]
