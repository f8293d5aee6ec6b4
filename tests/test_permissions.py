"""Each row of the README's permission matrix: who sees which student."""

import pytest
from django.urls import reverse
from guardian.core import ObjectPermissionChecker

from interventions.models import TierPlacement
from mtss.tenancy import tenant_context
from students.access import visible_students
from students.selectors import StudentFilters, student_list
from students.services import student_grant_access, student_revoke_access
from tests import factories as f

pytestmark = pytest.mark.django_db


def _visible(world, role):
    user = world.a.users[role]
    membership = f.membership_of(user, world.a.district)
    with tenant_context(world.a.district, user_id=user.pk):
        return set(visible_students(district=world.a.district, membership=membership).values_list("pk", flat=True))


def _ids(students):
    return {s.pk for s in students}


def test_district_admin_sees_every_student_of_the_district(world):
    assert _visible(world, "district_admin") == _ids(world.a.students)


@pytest.mark.parametrize("role", ["principal", "psychologist", "counselor", "read_only"])
def test_school_roles_see_the_students_of_their_schools(world, role):
    assert _visible(world, role) == _ids(world.a.students[:3])  # school 1 only, not the middle school


def test_teacher_sees_only_own_enrolled_students(world):
    teacher = world.a.teacher
    assert _visible(world, "teacher") == set()
    with tenant_context(world.a.district):
        student_grant_access(district=world.a.district, user=teacher, student_ids=[world.a.students[1].pk])
    assert _visible(world, "teacher") == {world.a.students[1].pk}
    with tenant_context(world.a.district):
        student_revoke_access(district=world.a.district, user=teacher, student_ids=[world.a.students[1].pk])
    assert _visible(world, "teacher") == set()


def test_a_grant_is_a_django_guardian_object_permission(world):
    student = world.a.students[0]
    with tenant_context(world.a.district):
        student_grant_access(district=world.a.district, user=world.a.teacher, student_ids=[student.pk])
        checker = ObjectPermissionChecker(world.a.teacher)
        assert checker.has_perm("view_student", student)
        assert not checker.has_perm("view_student", world.a.students[1])


def test_granting_ignores_another_districts_students(world):
    with tenant_context(world.a.district):
        created = student_grant_access(
            district=world.a.district,
            user=world.a.teacher,
            student_ids=[world.b.students[0].pk, world.a.students[0].pk],
        )
    assert created == 1
    assert _visible(world, "teacher") == {world.a.students[0].pk}


def test_specialist_sees_caseload_plus_flagged_students_of_own_schools(world):
    specialist = world.a.intervention_specialist
    caseload, flagged, other_school_flagged = world.a.students[0], world.a.students[1], world.a.students[3]
    with tenant_context(world.a.district):
        student_grant_access(district=world.a.district, user=specialist, student_ids=[caseload.pk])
        for student in (flagged, other_school_flagged):
            TierPlacement.objects.create(
                district=world.a.district, student=student, area="reading", tier=2, start_date="2026-09-01"
            )
        TierPlacement.objects.create(
            district=world.a.district,
            student=world.a.students[2],
            area="math",
            tier=2,
            start_date="2026-01-01",
            end_date="2026-06-01",
        )  # closed: not flagged now
    assert _visible(world, "intervention_specialist") == {caseload.pk, flagged.pk}


def test_nobody_sees_another_districts_students(world):
    for role in world.a.users:
        assert _visible(world, role).isdisjoint(_ids(world.b.students))


def test_a_member_of_two_districts_works_in_one_at_a_time(world, login):
    user = world.a.principal
    from mtss.services import membership_create

    membership_create(district=world.b.district, user=user, role="district_admin")
    client = login(user)
    listed = client.get(reverse("student_list")).context["page"].paginator.count
    assert listed == 3  # district a, as principal
    assert client.get(reverse("student_detail", args=[world.b.students[0].pk])).status_code == 404
    client.post(reverse("district_switch"), {"district": world.b.district.pk})
    assert client.get(reverse("student_list")).context["page"].paginator.count == 4  # district b, as admin
    assert client.get(reverse("student_detail", args=[world.a.students[0].pk])).status_code == 404


def test_switching_to_a_district_without_membership_changes_nothing(world, login):
    client = login(world.a.principal)
    client.post(reverse("district_switch"), {"district": world.b.district.pk})
    assert client.get(reverse("student_list")).context["district"] == world.a.district


def test_list_filters_never_widen_visibility(world):
    user = world.a.principal
    membership = f.membership_of(user, world.a.district)
    with tenant_context(world.a.district, user_id=user.pk):
        rows = student_list(
            district=world.a.district, membership=membership, filters=StudentFilters(school_id=world.a.other_school.pk)
        )
        assert list(rows) == []
