"""The access log's partitions by month, and its retention (README, Production, "Access log retention").

Every page that shows student data writes a row (mtss.access_log), so the log grows with
every read. On PostgreSQL `mtss_accesslog` is partitioned by RANGE on `at`, one partition
per calendar month (UTC) named `mtss_accesslog_YYYY_MM`, plus a default partition for a row
no month partition covers yet. Old months then go with a DROP of a whole partition instead
of a DELETE that would bloat the table, and the browse view's query (a district, newest
first) reads only the recent months.

The application role owns no table, so it can neither create nor drop a partition: both run
as the owner (`tenancy.owner_mode()`, the migration role, which bypasses row-level
security) from the `access_log_partitions` management command, which the deployment runs
with its migrations and then monthly. Each partition gets the same district policy as the
parent (a query naming a partition directly sees no more) and, like the parent, is
append-only for the application role (mtss.rls).

The retention PERIOD is a per-district policy setting; the code that reads it calls
`access_log_drop_before(cutoff)` with the oldest cutoff of all districts (whole months
before it are dropped) and `access_log_delete_district_before(district, cutoff)` for a
district whose period is shorter than that.
"""

from __future__ import annotations

import datetime as dt

from django.db import connection, transaction

from mtss import rls, tenancy

TABLE = "mtss_accesslog"
DEFAULT_PARTITION = f"{TABLE}_default"


def month_start(day: dt.date) -> dt.date:
    return day.replace(day=1)


def next_month(month: dt.date) -> dt.date:
    return (month.replace(day=28) + dt.timedelta(days=4)).replace(day=1)


def partition_name(month: dt.date) -> str:
    return f"{TABLE}_{month:%Y_%m}"


def months(first: dt.date, last: dt.date) -> list[dt.date]:
    """Every month from the one of `first` to the one of `last`, both included."""
    found, month = [], month_start(first)
    while month <= month_start(last):
        found.append(month)
        month = next_month(month)
    return found


def protect_partition(cursor, name: str) -> None:
    """The parent's district policy on a partition; the app role gets no right on it (it
    reads and writes through the parent, whose rights and policy apply)."""
    quote = connection.ops.quote_name
    cursor.execute(f"ALTER TABLE {quote(name)} ENABLE ROW LEVEL SECURITY")
    cursor.execute(f"ALTER TABLE {quote(name)} FORCE ROW LEVEL SECURITY")
    cursor.execute(f"DROP POLICY IF EXISTS {rls.POLICY} ON {quote(name)}")
    cursor.execute(
        f"CREATE POLICY {rls.POLICY} ON {quote(name)} USING ({rls.DISTRICT_EXPR}) WITH CHECK ({rls.DISTRICT_EXPR})"
    )


def existing_partitions(cursor) -> set[str]:
    cursor.execute(
        "SELECT child.relname FROM pg_inherits JOIN pg_class child ON child.oid = pg_inherits.inhrelid "
        "JOIN pg_class parent ON parent.oid = pg_inherits.inhparent WHERE parent.relname = %s",
        [TABLE],
    )
    return {row[0] for row in cursor.fetchall()}


def create_month(cursor, month: dt.date) -> bool:
    """Create one month's partition (False if it exists). Rows of that month that landed in the
    default partition move into it first, as PostgreSQL requires before attaching."""
    name = partition_name(month)
    if name in existing_partitions(cursor):
        return False
    quote = connection.ops.quote_name
    low, high = month.isoformat(), next_month(month).isoformat()
    cursor.execute(f"CREATE TABLE {quote(name)} (LIKE {TABLE} INCLUDING DEFAULTS INCLUDING CONSTRAINTS)")
    cursor.execute(
        f"WITH moved AS (DELETE FROM {DEFAULT_PARTITION} WHERE at >= %s AND at < %s RETURNING *) "
        f"INSERT INTO {quote(name)} SELECT * FROM moved",
        [f"{low} 00:00+00", f"{high} 00:00+00"],
    )
    cursor.execute(
        f"ALTER TABLE {TABLE} ATTACH PARTITION {quote(name)} FOR VALUES FROM ('{low} 00:00+00') TO ('{high} 00:00+00')"
    )
    protect_partition(cursor, name)
    return True


def ensure_partitions(*, through: dt.date, since: dt.date | None = None) -> list[str]:
    """Create the monthly partitions from `since` (default: this month) through `through`.

    Owner only (see the module docstring); idempotent.
    """
    if connection.vendor != "postgresql":
        return []
    today = dt.datetime.now(dt.UTC).date()
    created = []
    with tenancy.owner_mode(), transaction.atomic(), connection.cursor() as cursor:
        for month in months(since or today, through):
            if create_month(cursor, month):
                created.append(partition_name(month))
        role = rls.app_role()
        if role:
            for name in existing_partitions(cursor):
                cursor.execute(
                    f"REVOKE ALL ON {connection.ops.quote_name(name)} FROM {connection.ops.quote_name(role)}"
                )
    return created


def access_log_drop_before(cutoff: dt.date) -> list[str]:
    """Drop every month partition that ends on or before `cutoff`'s month start (rows older
    than the cutoff in the month it falls in are kept until that month goes whole), and
    delete the default partition's rows older than the cutoff. Owner only. Returns what
    was dropped."""
    if connection.vendor != "postgresql":
        return []
    boundary = month_start(cutoff)
    dropped = []
    with tenancy.owner_mode(), transaction.atomic(), connection.cursor() as cursor:
        for name in sorted(existing_partitions(cursor)):
            if name == DEFAULT_PARTITION:
                continue
            year, month = (int(part) for part in name.removeprefix(f"{TABLE}_").split("_"))
            if next_month(dt.date(year, month, 1)) <= boundary:
                cursor.execute(f"ALTER TABLE {TABLE} DETACH PARTITION {connection.ops.quote_name(name)}")
                cursor.execute(f"DROP TABLE {connection.ops.quote_name(name)}")
                dropped.append(name)
        cursor.execute(f"DELETE FROM {DEFAULT_PARTITION} WHERE at < %s", [f"{cutoff.isoformat()} 00:00+00"])
    return dropped


def access_log_delete_district_before(district, cutoff: dt.date) -> int:
    """Delete one district's rows older than `cutoff` (a period shorter than the oldest
    district's). Owner only: the log is append-only for the application. Returns the count."""
    from mtss.models import AccessLog

    with tenancy.owner_mode(), tenancy.tenant_context(district), transaction.atomic():
        start = dt.datetime.combine(cutoff, dt.time.min, tzinfo=dt.UTC)
        deleted, _ = AccessLog.objects.filter(district=district, at__lt=start).delete()
    return deleted
