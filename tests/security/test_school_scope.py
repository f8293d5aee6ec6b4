"""A school-level membership with no schools sees no school (issue 16, access holes).

Before, `school_list()` read "no schools" as "every school", and the print centre,
which trusts it, let such a principal download every school's parent letters.
"""

from __future__ import annotations

import pytest

from mtss.models import Role
from mtss.selectors import school_list
from mtss.tenancy import tenant_context
from tests import factories as f

pytestmark = pytest.mark.django_db


def test_it_gives_a_principal_without_schools_no_school(world):
    principal = f.make_member(world.a.district, Role.PRINCIPAL, schools=[], username="principal-of-nothing")
    with tenant_context(world.a.district):
        membership = f.membership_of(principal, world.a.district)
        assert list(school_list(district=world.a.district, membership=membership)) == []


def test_it_still_gives_a_principal_their_schools_and_an_admin_all(world):
    with tenant_context(world.a.district):
        principal = f.membership_of(world.a.principal, world.a.district)
        admin = f.membership_of(world.a.district_admin, world.a.district)
        assert list(school_list(district=world.a.district, membership=principal)) == [world.a.school]
        assert set(school_list(district=world.a.district, membership=admin)) == {world.a.school, world.a.other_school}


def test_it_refuses_a_print_batch_to_a_principal_without_schools(world, login):
    principal = f.make_member(world.a.district, Role.PRINCIPAL, schools=[], username="principal-of-nothing")
    client = login(principal)
    page = client.get("/notices/print/")
    assert page.status_code == 200
    assert [row["school"] for row in page.context["queue"]] == []
    response = client.post("/notices/print/", {"school": world.a.school.pk})
    assert response.status_code == 404
