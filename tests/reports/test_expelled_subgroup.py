"""The expelled subgroup in the district reports, with the small-n guard of every subgroup."""

from __future__ import annotations

import pytest

from mtss.tenancy import tenant_context
from students.models import Student
from tests.reports.test_district import _dashboard, district  # noqa: F401  (the hand-computed district)

pytestmark = pytest.mark.django_db


def test_gaps_by_subgroup_show_expelled_students_behind_the_small_n_guard(district, login):  # noqa: F811
    side = district["side"]
    with tenant_context(side.district):
        Student.objects.filter(pk__in=[district["s"][1].pk, district["s"][2].pk]).update(expelled=True)
    table = _dashboard(district, login).context["tables"]["gaps"]
    rows = {row[0].text: row for row in table.rows}
    expelled = rows["Expelled"]
    # Two students (S1 and S2, both in Tier 2 or 3): counted, but no share below the minimum n.
    assert expelled[1].text == "2" and expelled[2].text == "too few to judge"
