"""Row-level security: the database itself keeps districts apart (PostgreSQL only)."""

import pytest
from django.db import connection, transaction
from django.db.utils import ProgrammingError

from mtss.models import AccessLog, Membership
from mtss.rls import POLICY, app_role, district_models
from mtss.tenancy import tenant_context
from students.models import Student

pytestmark = [pytest.mark.postgres, pytest.mark.django_db]


def _one(sql, params=()):
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchone()


def test_it_protects_every_table_with_a_district_column():
    models = district_models()
    assert len(models) >= 10
    missing = []
    for model in models:
        table = model._meta.db_table
        enabled = _one("SELECT relrowsecurity FROM pg_class WHERE relname = %s", [table])
        policy = _one("SELECT 1 FROM pg_policies WHERE tablename = %s AND policyname = %s", [table, POLICY])
        if not (enabled and enabled[0] and policy):
            missing.append(table)
    assert missing == [], f"tables with a district column but no row-level security: {missing}"


def test_it_connects_as_a_role_that_owns_no_table():
    (role,) = _one("SELECT current_user")
    assert role == app_role()
    owned = _one("SELECT count(*) FROM pg_tables WHERE schemaname = 'public' AND tableowner = current_user")
    assert owned == (0,)
    bypass = _one("SELECT rolbypassrls OR rolsuper FROM pg_roles WHERE rolname = current_user")
    assert bypass == (False,)


def test_it_shows_no_rows_when_no_district_is_set(world):
    with tenant_context(world.a.district):
        assert Student.objects.count() == 4
    with tenant_context(None):
        assert Student.objects.count() == 0
        # Even a raw query without any filter sees nothing.
        assert _one("SELECT count(*) FROM students_student") == (0,)


def test_it_hides_another_districts_rows_even_without_a_filter(world):
    with tenant_context(world.a.district):
        ids = set(Student.objects.values_list("district_id", flat=True))
        assert ids == {world.a.district.pk}
        assert not Student.objects.filter(pk=world.b.students[0].pk).exists()


def test_it_refuses_to_write_a_row_for_another_district(world):
    with tenant_context(world.a.district):
        with pytest.raises(ProgrammingError, match="row-level security"):
            with transaction.atomic():
                Student.objects.create(
                    district=world.b.district,
                    school=world.b.school,
                    local_id="X1",
                    first_name="A",
                    last_name="B",
                    birth_date="2017-01-01",
                    grade=2,
                    entry_date="2026-08-15",
                )


def test_it_cannot_move_a_row_into_another_district(world):
    student = world.a.students[0]
    with tenant_context(world.a.district):
        with pytest.raises(ProgrammingError, match="row-level security"):
            with transaction.atomic():
                Student.objects.filter(pk=student.pk).update(district=world.b.district)


def test_it_lets_a_user_read_only_their_own_memberships_before_a_district_is_chosen(world):
    principal = world.a.principal
    with tenant_context(None, user_id=principal.pk):
        users = set(Membership.objects.values_list("user_id", flat=True))
    assert users == {principal.pk}


def test_it_keeps_the_access_log_append_only(world):
    with tenant_context(world.a.district):
        entry = AccessLog.objects.create(district=world.a.district, action="view", what="x", path="/")
        with pytest.raises(ProgrammingError, match="permission denied"):
            with transaction.atomic():
                AccessLog.objects.filter(pk=entry.pk).update(what="changed")
        with pytest.raises(ProgrammingError, match="permission denied"):
            with transaction.atomic():
                AccessLog.objects.filter(pk=entry.pk).delete()
