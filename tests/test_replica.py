"""Read-replica routing against a real streaming replica (mtss.db.router; README, "Read replica").

scripts/services.sh starts a hot standby of the test server (pg_basebackup -R on loopback) and
prints REPLICA_DATABASE_URL; the test database, created on the primary, replicates to it. The
tests commit (transaction=True) so their rows reach the standby, and wait for the standby to
replay the primary's WAL before reading. CI sets REQUIRE_SERVICES=1: without the replica these
tests are an error there, never a skip (tests/conftest.py).
"""

from __future__ import annotations

import os
import time
from urllib.parse import urlparse

import psycopg
import pytest
from django.db import DEFAULT_DB_ALIAS, connections, transaction
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from mtss import tenancy
from mtss.db.router import REPLICA, replica_reads, replica_settings
from mtss.models import AccessLog
from students.models import Student
from tests import factories as f

pytestmark = [pytest.mark.postgres, pytest.mark.replica, pytest.mark.django_db(transaction=True)]


def _owner_conninfo(url: str, dbname: str) -> str:
    """The standby as the cluster owner (pausing replay needs it); the app role cannot."""
    parsed = urlparse(url)
    owner = urlparse(os.environ.get("MIGRATE_DATABASE_URL", "")).username or "postgres"
    return f"host={parsed.hostname} port={parsed.port or 5432} user={owner} dbname={dbname}"


@pytest.fixture
def replica():
    """The `replica` alias on the real standby, reading the test database the primary replicates."""
    default = connections[DEFAULT_DB_ALIAS].settings_dict
    config = replica_settings(os.environ["REPLICA_DATABASE_URL"], default)
    config["NAME"] = default["NAME"]
    connections.settings[REPLICA] = connections.configure_settings({DEFAULT_DB_ALIAS: dict(default), REPLICA: config})[
        REPLICA
    ]
    # Connect now: the test case's guard refuses a first connection to an alias it was not
    # told about, and pytest-django cannot set up a database the server refuses to create.
    connections[REPLICA].connect()
    try:
        yield connections[REPLICA]
    finally:
        connections[REPLICA].close()
        del connections[REPLICA]
        del connections.settings[REPLICA]


def _caught_up(replica_conn) -> None:
    """Wait until the standby has replayed everything the primary has written so far (bounded)."""
    with connections[DEFAULT_DB_ALIAS].cursor() as cursor:
        # The insert position: with synchronous_commit=off a commit may not be "written" yet.
        cursor.execute("SELECT pg_current_wal_insert_lsn()::text")
        target = cursor.fetchone()[0]
    deadline = time.monotonic() + 60
    while True:
        with replica_conn.cursor() as cursor:
            cursor.execute("SELECT pg_last_wal_replay_lsn() >= %s::pg_lsn", [target])
            if cursor.fetchone()[0]:
                return
        if time.monotonic() > deadline:
            raise AssertionError(f"the standby did not replay up to {target}")
        time.sleep(0.05)


def test_the_replica_is_a_standby(replica):
    with replica.cursor() as cursor:
        cursor.execute("SELECT pg_is_in_recovery()")
        assert cursor.fetchone()[0] is True
    with connections[DEFAULT_DB_ALIAS].cursor() as cursor:
        cursor.execute("SELECT pg_is_in_recovery()")
        assert cursor.fetchone()[0] is False


def test_reads_in_a_replica_block_come_from_the_standby(world, replica):
    """With replay paused, a row committed on the primary is missing from the block's reads only."""
    _caught_up(replica)
    owner = psycopg.connect(_owner_conninfo(os.environ["REPLICA_DATABASE_URL"], replica.settings_dict["NAME"]))
    owner.autocommit = True
    try:
        owner.execute("SELECT pg_wal_replay_pause()")
        with tenancy.tenant_context(world.a.district):
            f.make_student(world.a.district, world.a.school, last_name="Latecomer")
            primary = Student.objects.count()
            with replica_reads():
                on_replica = Student.objects.count()
                assert not Student.objects.filter(last_name="Latecomer").exists()
        assert on_replica == primary - 1
    finally:
        owner.execute("SELECT pg_wal_replay_resume()")
        owner.close()
    _caught_up(replica)
    with tenancy.tenant_context(world.a.district), replica_reads():
        assert Student.objects.filter(last_name="Latecomer").count() == 1


def test_tenancy_holds_on_the_replica(world, replica):
    _caught_up(replica)
    theirs = world.b.students[0].pk
    with tenancy.tenant_context(world.a.district), replica_reads():
        # No filter by district: row-level security on the standby does it.
        seen = set(Student.objects.values_list("pk", flat=True))
        assert seen == {s.pk for s in world.a.students}
        assert not Student.objects.filter(pk=theirs).exists()
    with tenancy.tenant_context(None), replica_reads():
        assert Student.objects.count() == 0
    with replica.cursor() as cursor:
        # The replica connection logs in as the app role, bound by the policies like on the primary.
        cursor.execute("SELECT current_user, rolbypassrls FROM pg_roles WHERE rolname = current_user")
        user, bypass = cursor.fetchone()
    assert user == "mtss_app" and bypass is False


def test_the_district_dashboard_and_its_export_read_on_the_replica_and_log_on_the_primary(world, replica, login):
    _caught_up(replica)
    client = login(world.a.district_admin)
    before = AccessLog.objects.using(DEFAULT_DB_ALIAS).filter(district=world.a.district).count()
    with (
        CaptureQueriesContext(replica) as on_replica,
        CaptureQueriesContext(connections[DEFAULT_DB_ALIAS]) as on_default,
    ):
        page = client.get(reverse("reports_district"))
        export = client.get(reverse("reports_district"), {"export": "tiers", "format": "csv"})
    assert page.status_code == 200 and export.status_code == 200
    replica_sql = [q["sql"] for q in on_replica.captured_queries]
    assert [sql for sql in replica_sql if '"interventions_tierplacement"' in sql]
    assert [sql for sql in replica_sql if "set_config('mtss.district_id'" in sql]
    assert not [sql for sql in replica_sql if sql.lstrip().upper().startswith(("INSERT", "UPDATE", "DELETE"))]
    # The pages' student queries did not run on the primary; the export's access-log row was written there.
    assert not [q for q in on_default.captured_queries if '"interventions_tierplacement"' in q["sql"]]
    assert [q for q in on_default.captured_queries if q["sql"].startswith('INSERT INTO "mtss_accesslog"')]
    with tenancy.tenant_context(world.a.district):
        assert AccessLog.objects.filter(district=world.a.district).count() == before + 1


def test_writes_and_what_follows_them_stay_on_the_primary(world, replica):
    _caught_up(replica)
    with tenancy.tenant_context(world.a.district), replica_reads():
        with CaptureQueriesContext(replica) as on_replica:
            assert Student.objects.count() == len(world.a.students)
            # A transaction opened in the block is a write transaction: its reads stay on the primary.
            with transaction.atomic():
                made = f.make_student(world.a.district, world.a.school, last_name="Written")
                assert Student.objects.filter(pk=made.pk).exists()
            # After a write, the block reads its own writes: on the primary.
            assert Student.objects.filter(pk=made.pk).exists()
        assert made._state.db == DEFAULT_DB_ALIAS
    assert not [q for q in on_replica.captured_queries if "INSERT" in q["sql"] or "UPDATE" in q["sql"]]
    assert len([q for q in on_replica.captured_queries if "students_student" in q["sql"]]) == 1


def test_a_post_to_a_routed_page_does_not_touch_the_replica(world, replica, login):
    client = login(world.a.district_admin)
    with CaptureQueriesContext(replica) as on_replica:
        client.post(reverse("reports_district"))
    assert on_replica.captured_queries == []
