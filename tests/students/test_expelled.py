"""The "expelled" subgroup LAUSD names (seed 000: "... students with disabilities (SWD), expelled
students, students in foster care ..."): on the student, in the roster import, in the reports."""

from __future__ import annotations

import pytest
from django.urls import reverse

from mtss.tenancy import tenant_context
from students.models import SUBGROUPS, Student
from tests import factories as f
from tests.students.test_oneroster_import import ANNA, MARY, copy_sample, run, student

pytestmark = pytest.mark.django_db


def test_expelled_is_a_subgroup_of_the_student():
    assert "expelled" in SUBGROUPS
    assert Student._meta.get_field("expelled").default is False


def test_the_roster_import_reads_the_expelled_column(world, tmp_path):
    district = world.a.district
    folder = copy_sample(tmp_path, "v1p1-full")
    text = (folder / "manifest.csv").read_text().replace("file.demographics,absent", "file.demographics,bulk")
    (folder / "manifest.csv").write_text(text)
    (folder / "demographics.csv").write_text(
        "sourcedId,status,dateLastModified,birthDate,sex,expelled\n"
        f"{MARY},,,2008-02-29,female,true\n"
        f"{ANNA},,,2009-09-04,male,false\n"
    )
    result = run(district, folder)
    assert result.errors == []
    assert student(district, MARY).expelled and not student(district, ANNA).expelled
    assert not any("columns not used" in w and "expelled" in w for w in result.warnings)


def test_the_student_list_filters_by_the_expelled_subgroup(world, login):
    side = world.a
    with tenant_context(side.district):
        expelled = f.make_student(side.district, side.school, last_name="Zeta", expelled=True)
    page = login(side.principal).get(reverse("student_list"), {"subgroup": "expelled"}).content.decode()
    assert expelled.last_name in page and side.students[0].last_name not in page
