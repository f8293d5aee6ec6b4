"""The app's login role cannot leave row-level security (issue 16, scope 2), and the
policies themselves are well-formed (PostgreSQL only)."""

from __future__ import annotations

import psycopg
import pytest
from django.db import connection

from mtss.models import MembershipSchool
from mtss.rls import app_role, district_models
from mtss.tenancy import SET_SQL, tenant_context
from tests import factories as f

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def _login_as_app():
    """A fresh connection with exactly the app's credentials, outside Django."""
    params = connection.get_connection_params()
    params.pop("cursor_factory", None)
    params.pop("context", None)
    return psycopg.connect(**params, autocommit=True)


def test_the_app_logs_in_as_a_role_that_is_neither_owner_nor_superuser():
    assert not connection.settings_dict.get("APP_ROLE"), (
        "the app logs in as the owner and switches with SET ROLE (DB_APP_ROLE fallback); "
        "production and CI log in as the app role: set MIGRATE_DATABASE_URL (scripts/services.sh)"
    )
    with _login_as_app() as conn:
        (user,) = conn.execute("SELECT session_user").fetchone()
        assert user == app_role() == connection.settings_dict["USER"]
        flags = conn.execute("SELECT rolsuper, rolbypassrls FROM pg_roles WHERE rolname = session_user").fetchone()
        assert flags == (False, False)
        owned = conn.execute(
            "SELECT count(*) FROM pg_tables WHERE schemaname = 'public' AND tableowner = session_user"
        ).fetchone()
        assert owned == (0,)


def test_reset_role_gives_the_app_login_no_more_rows(world):
    with _login_as_app() as conn, conn.transaction():
        conn.execute(SET_SQL, [str(world.a.district.pk), "", ""])
        before = conn.execute("SELECT count(*), array_agg(DISTINCT district_id) FROM students_student").fetchone()
        conn.execute("RESET ROLE")
        conn.execute("SET SESSION AUTHORIZATION DEFAULT")
        after = conn.execute("SELECT count(*), array_agg(DISTINCT district_id) FROM students_student").fetchone()
        memberships = conn.execute("SELECT count(DISTINCT district_id) FROM mtss_membership").fetchone()
    assert before == (4, [world.a.district.pk])
    assert after == before
    assert memberships == (1,)
    with _login_as_app() as conn:
        conn.execute("RESET ROLE")
        assert conn.execute("SELECT count(*) FROM students_student").fetchone() == (0,)


def test_the_app_login_cannot_switch_off_row_level_security(world):
    with _login_as_app() as conn:
        with pytest.raises(psycopg.errors.InsufficientPrivilege), conn.transaction():
            # LOCAL: behind a pooler a session setting would outlive this test.
            conn.execute("SET LOCAL row_security = off")
            conn.execute("SELECT count(*) FROM students_student")


def test_every_district_table_forces_row_level_security_on_its_owner():
    tables = [m._meta.db_table for m in district_models()]
    with connection.cursor() as cursor:
        cursor.execute("SELECT relname FROM pg_class WHERE relname = ANY(%s) AND relforcerowsecurity", [tables])
        forced = {row[0] for row in cursor.fetchall()}
    assert sorted(set(tables) - forced) == []


def test_a_user_reads_the_schools_of_their_own_memberships_before_a_district_is_chosen(world):
    # The mtss_membershipschool rule was malformed (it replaced "user_id" inside the
    # setting's own name) and failed closed: sign-in saw no schools.
    principal = world.a.principal
    other = f.make_member(world.b.district, "principal", schools=[world.b.school, world.b.other_school])
    with tenant_context(None, user_id=principal.pk):
        rows = set(MembershipSchool.objects.values_list("membership__user_id", "school_id"))
    assert rows == {(principal.pk, world.a.school.pk)}
    with tenant_context(None, user_id=other.pk):
        assert MembershipSchool.objects.count() == 2
    with tenant_context(None):
        assert MembershipSchool.objects.count() == 0
