"""The district is a per-transaction setting, never a session one (issue 16, scope 1).

A pooler in transaction mode gives the next transaction on a server connection to
any client; these tests check, on a plain connection, what such a client would
find after ours: nothing. tests/tenancy/test_pgbouncer.py runs the same through
a real PgBouncer.
"""

from __future__ import annotations

import pytest
from django.db import connection, transaction

from mtss.tenancy import tenant_context
from students.models import Student

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def _session_district() -> str | None:
    # Autocommit, no scope: what the next client of this server connection would see.
    with connection.cursor() as cursor:
        cursor.execute("SELECT current_setting('mtss.district_id', true), count(*) FROM students_student")
        return cursor.fetchone()


def test_a_job_sees_its_district_in_autocommit_and_leaves_nothing_behind(world):
    assert connection.get_autocommit()
    with tenant_context(world.a.district):
        # Each statement runs in a short transaction of its own that set the district.
        assert set(Student.objects.values_list("district_id", flat=True)) == {world.a.district.pk}
        with connection.cursor() as cursor:
            cursor.execute("SELECT count(*) FROM students_student")
            assert cursor.fetchone() == (4,)
    assert _session_district() in {("", 0), (None, 0)}


def test_a_transaction_keeps_its_district_and_ends_it_at_commit(world):
    with tenant_context(world.b.district), transaction.atomic():
        assert Student.objects.count() == 4
        assert set(Student.objects.values_list("district_id", flat=True)) == {world.b.district.pk}
    assert _session_district() in {("", 0), (None, 0)}


def test_a_rolled_back_savepoint_does_not_drop_the_district(world):
    with tenant_context(world.a.district), transaction.atomic():
        try:
            with transaction.atomic():
                with tenant_context(world.b.district):
                    assert set(Student.objects.values_list("district_id", flat=True)) == {world.b.district.pk}
                    raise RuntimeError("roll back the savepoint")
        except RuntimeError:
            pass
        assert set(Student.objects.values_list("district_id", flat=True)) == {world.a.district.pk}


def test_a_request_leaves_no_district_on_its_connection(world, client):
    client.force_login(world.a.district_admin)
    response = client.get("/api/v1/students/")
    assert response.status_code == 200
    assert response.json()["count"] == 4
    assert _session_district() in {("", 0), (None, 0)}


def test_a_streamed_response_reads_in_its_requests_district(world, client):
    from mtss.middleware import _scoped_stream
    from mtss.tenancy import Scope

    def rows():
        yield str(Student.objects.count())

    body = "".join(_scoped_stream(rows(), Scope(district_id=world.a.district.pk)))
    assert body == "4"
    assert _session_district() in {("", 0), (None, 0)}
