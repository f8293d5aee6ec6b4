"""Two districts' requests through ONE PgBouncer server connection (issue 16, scope 1).

`make test` runs this in its PgBouncer pass: DATABASE_URL=$PGBOUNCER_URL, transaction
mode, default_pool_size = 1 (scripts/services.sh). Each district's client is its own
thread with its own Django connection, i.e. its own PgBouncer client; PgBouncer
hands both the same server connection, one transaction at a time.
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import pytest
from django.db import connection
from django.test import Client

pytestmark = [pytest.mark.postgres, pytest.mark.pgbouncer, pytest.mark.django_db(transaction=True)]

PROBE = "SELECT pg_backend_pid(), current_setting('mtss.district_id', true), (SELECT count(*) FROM students_student)"


def _probe():
    # Autocommit and no scope: exactly what the next transaction on the server
    # connection sees if a district was left behind.
    with connection.cursor() as cursor:
        cursor.execute(PROBE)
        return cursor.fetchone()


def _threads(n):
    pools = [ThreadPoolExecutor(1) for _ in range(n)]
    yield pools
    for pool in pools:
        pool.submit(lambda: connection.close()).result()
        pool.shutdown()


@pytest.fixture
def two_threads():
    yield from _threads(2)


def test_two_districts_interleave_over_one_server_connection_without_a_leak(world, two_threads):
    sides = [world.a, world.b]
    clients = []
    for side in sides:
        client = Client()
        client.force_login(side.district_admin)
        clients.append(client)

    def request(client):
        response = client.get("/api/v1/students/?page_size=100")
        assert response.status_code == 200
        return {row["id"] for row in response.json()["results"]}, _probe()

    server_pids = set()
    for _round in range(3):
        for pool, side, client in zip(two_threads, sides, clients, strict=False):
            seen, (pid, leftover, visible) = pool.submit(request, client).result()
            assert seen == {s.pk for s in side.students}
            assert leftover in ("", None)
            assert visible == 0
            server_pids.add(pid)
    assert len(server_pids) == 1, "the pool was meant to have one server connection"


def test_the_harness_would_catch_a_session_setting(world, two_threads):
    """Control: a session-level setting (the old `set_config(..., false)`) does leak here."""
    first, second = two_threads

    def set_session(value):
        with connection.cursor() as cursor:
            cursor.execute("SELECT set_config('mtss.district_id', %s, false)", [value])

    first.submit(set_session, str(world.a.district.pk)).result()
    try:
        _pid, leaked, visible = second.submit(_probe).result()
    finally:
        first.submit(set_session, "").result()
    assert leaked == str(world.a.district.pk)
    assert visible == 4


def test_two_jobs_interleave_statement_by_statement_without_a_leak(world, two_threads):
    """Jobs run in autocommit: each statement may land on the server connection right
    after the other district's. With a session setting, the second district's scope
    would answer the first's next query."""
    from mtss.tenancy import tenant_context
    from students.models import Student

    scopes = {}

    def enter(side):
        scopes[side.district.pk] = tenant_context(side.district)
        scopes[side.district.pk].__enter__()

    def leave(side):
        scopes.pop(side.district.pk).__exit__(None, None, None)

    def districts_seen():
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_backend_pid()")
            pid = cursor.fetchone()[0]
        return set(Student.objects.values_list("district_id", flat=True)), pid

    first, second = two_threads
    first.submit(enter, world.a).result()
    second.submit(enter, world.b).result()
    pids = set()
    try:
        for _round in range(3):
            seen, pid = first.submit(districts_seen).result()
            assert seen == {world.a.district.pk}
            pids.add(pid)
            seen, pid = second.submit(districts_seen).result()
            assert seen == {world.b.district.pk}
            pids.add(pid)
    finally:
        first.submit(leave, world.a).result()
        second.submit(leave, world.b).result()
    assert len(pids) == 1
