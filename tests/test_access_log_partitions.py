"""The access log's monthly partitions and retention (mtss.access_log_partitions, migration 0006)."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.management import CommandError, call_command
from django.db import ProgrammingError, connection, transaction

from mtss import access_log_partitions as parts
from mtss.models import AccessLog
from mtss.tenancy import tenant_context

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True), pytest.mark.usefixtures("far_months")]

FAR_MONTHS = ["mtss_accesslog_2001_01", "mtss_accesslog_2001_02", "mtss_accesslog_2001_03"]
FAR_MONTHS += ["mtss_accesslog_2032_01", "mtss_accesslog_2041_05"]


@pytest.fixture
def far_months():
    """The far-off months these tests create are gone before and after each (a flush keeps tables)."""
    from mtss.tenancy import owner_mode

    def drop():
        with owner_mode(), connection.cursor() as cursor:
            for name in FAR_MONTHS:
                cursor.execute(f"DROP TABLE IF EXISTS {name}")

    drop()
    yield
    drop()


def _entry(district, at: dt.datetime) -> AccessLog:
    with tenant_context(district):
        entry = AccessLog.objects.create(district=district, action="view", what="x", path="/")
    # `at` is auto_now_add: back-date it as the owner (the application may not update the log).
    from mtss.tenancy import owner_mode

    with owner_mode(), tenant_context(district), connection.cursor() as cursor:
        cursor.execute("UPDATE mtss_accesslog SET at = %s WHERE id = %s", [at, entry.pk])
    return entry


def _where(entry_id: int) -> str:
    with connection.cursor() as cursor:
        cursor.execute("SELECT tableoid::regclass::text FROM mtss_accesslog WHERE id = %s", [entry_id])
        row = cursor.fetchone()
    return row[0] if row else ""


def test_a_row_lands_in_its_month_and_old_months_drop_whole(world):
    months = parts.months(dt.date(2001, 1, 1), dt.date(2001, 3, 1))
    assert parts.ensure_partitions(since=months[0], through=months[-1]) == [parts.partition_name(m) for m in months]
    assert parts.ensure_partitions(since=months[0], through=months[-1]) == []  # idempotent
    january = _entry(world.a.district, dt.datetime(2001, 1, 20, 12, tzinfo=dt.UTC))
    march = _entry(world.a.district, dt.datetime(2001, 3, 2, 12, tzinfo=dt.UTC))
    with tenant_context(world.a.district):
        assert _where(january.pk) == "mtss_accesslog_2001_01"
        assert _where(march.pk) == "mtss_accesslog_2001_03"
    # A cutoff inside March 2001 (before any other month): January and February go whole; March stays.
    assert parts.access_log_drop_before(dt.date(2001, 3, 15)) == ["mtss_accesslog_2001_01", "mtss_accesslog_2001_02"]
    with tenant_context(world.a.district):
        assert not AccessLog.objects.filter(pk=january.pk).exists()
        assert AccessLog.objects.filter(pk=march.pk).exists()


def test_a_month_created_late_takes_its_rows_from_the_default_partition(world):
    early = _entry(world.a.district, dt.datetime(2041, 5, 3, tzinfo=dt.UTC))
    with tenant_context(world.a.district):
        assert _where(early.pk) == parts.DEFAULT_PARTITION
    assert parts.ensure_partitions(since=dt.date(2041, 5, 1), through=dt.date(2041, 5, 1)) == ["mtss_accesslog_2041_05"]
    with tenant_context(world.a.district):
        assert _where(early.pk) == "mtss_accesslog_2041_05"


def test_partitions_keep_tenancy_and_stay_append_only_for_the_application(world):
    parts.ensure_partitions(since=dt.date(2032, 1, 1), through=dt.date(2032, 1, 1))
    theirs = _entry(world.b.district, dt.datetime(2032, 1, 5, tzinfo=dt.UTC))
    with tenant_context(world.a.district):
        assert not AccessLog.objects.filter(pk=theirs.pk).exists()
        # A partition named directly: the application role has no right on it at all.
        with pytest.raises(ProgrammingError, match="permission denied"), transaction.atomic():
            with connection.cursor() as cursor:
                cursor.execute("SELECT count(*) FROM mtss_accesslog_2032_01")


def test_a_district_with_a_shorter_period_loses_only_its_own_rows(world):
    ours = _entry(world.a.district, dt.datetime(2020, 2, 1, tzinfo=dt.UTC))
    theirs = _entry(world.b.district, dt.datetime(2020, 2, 1, tzinfo=dt.UTC))
    assert parts.access_log_delete_district_before(world.a.district, dt.date(2021, 1, 1)) == 1
    with tenant_context(world.a.district):
        assert not AccessLog.objects.filter(pk=ours.pk).exists()
    with tenant_context(world.b.district):
        assert AccessLog.objects.filter(pk=theirs.pk).exists()


def test_the_command_creates_months_ahead_and_names_a_bad_date(capsys):
    call_command("access_log_partitions", "--months-ahead", "2")
    today = dt.datetime.now(dt.UTC).date()
    with connection.cursor() as cursor:
        names = parts.existing_partitions(cursor)
    ahead = parts.next_month(parts.next_month(parts.month_start(today)))
    assert {parts.partition_name(parts.month_start(today)), parts.partition_name(ahead)} <= names
    with pytest.raises(CommandError, match="--drop-before"):
        call_command("access_log_partitions", "--drop-before", "last year")
