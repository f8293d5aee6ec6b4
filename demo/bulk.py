"""Fast bulk inserts for the demo generator: PostgreSQL COPY, a drop-in for `bulk_create`.

`seed_demo --students 400000` writes millions of rows (students, grants, sessions,
attendance, probes). Django's `bulk_create` builds one parameterised INSERT per batch,
and compiling and binding those parameters costs more than the database's own work.
COPY streams the rows instead (psycopg 3 `cursor.copy`, issue 16 item 5).

Two details of this project shape how:

* Row-level security is FORCEd on every district table (mtss/rls.py), and PostgreSQL
  does not support COPY FROM into a table with row-level security ("use equivalent
  INSERT statements instead", the COPY reference page). So the rows are copied into a
  temporary table of the same shape (a temporary table has no policies) and moved
  with one `INSERT ... SELECT`, which the policies check as any insert, inside the
  caller's transaction and tenant context: no owner connection, no bypass.
* Callers need the new rows' ids (plans are referenced by probes, sessions by
  attendance). The ids are drawn first from the table's own sequence
  (`nextval` over `generate_series`), set on the objects, and copied with the rows,
  so the objects come back with their primary keys exactly as from `bulk_create`.

On SQLite (the embedded demo) it is `bulk_create`; the small demo is unchanged.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from django.db import connection
from django.db.models import Model

BATCH = 2000
# Rows per COPY round trip into the staging table (memory, not correctness).
CHUNK = 50_000


def copy_create(objs: Sequence[Model], *, batch_size: int = BATCH) -> Sequence[Model]:
    """Insert unsaved model instances (all of one model); set their primary keys; return them."""
    if not objs:
        return objs
    model = type(objs[0])
    if connection.vendor != "postgresql":
        return model.objects.bulk_create(objs, batch_size=batch_size)
    meta = model._meta
    pk = meta.pk
    for obj in objs:  # as bulk_create: a related object saved after assignment gives its id now
        obj._prepare_related_fields_for_save(operation_name="copy_create")
    missing = [obj for obj in objs if obj.pk is None]
    for obj, new_id in zip(missing, next_ids(model, len(missing)), strict=True):
        setattr(obj, pk.attname, new_id)
    fields = [f for f in meta.concrete_fields if f.column]
    # Django's own insert path: pre_save fills auto_now(_add) and defaults, get_db_prep_save adapts.
    rows = (
        tuple(field.get_db_prep_save(field.pre_save(obj, add=True), connection) for field in fields) for obj in objs
    )
    copy_rows(model, [f.column for f in fields], rows)
    for obj in objs:
        obj._state.adding = False
        obj._state.db = connection.alias
    return objs


def next_ids(model: type[Model], n: int) -> list[int]:
    """`n` fresh primary keys from the table's identity sequence."""
    if n == 0:
        return []
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT nextval(pg_get_serial_sequence(%s, %s)) FROM generate_series(1, %s)",
            [model._meta.db_table, model._meta.pk.column, n],
        )
        return [row[0] for row in cursor.fetchall()]


def copy_rows(model: type[Model], columns: list[str], rows: Iterable[tuple]) -> int:
    """COPY plain tuples (database values, in `columns` order) into the model's table; the row count.

    Columns left out take their database default (an id column left out draws from its sequence).
    """
    table = connection.ops.quote_name(model._meta.db_table)
    staging = connection.ops.quote_name(f"copy_{model._meta.db_table}")
    cols = ", ".join(connection.ops.quote_name(c) for c in columns)
    total = 0
    with connection.cursor() as cursor:
        # The same columns and types, none of the constraints (NOT NULL included: a column left
        # out is NULL here and takes its default below) or policies; dropped at the end.
        cursor.execute(f"CREATE TEMPORARY TABLE {staging} AS SELECT {cols} FROM {table} WITH NO DATA")
        raw = cursor.cursor  # the psycopg cursor under Django's wrapper
        done = False
        iterator = iter(rows)
        while not done:
            count = 0
            with raw.copy(f"COPY {staging} ({cols}) FROM STDIN") as copy:
                for row in iterator:
                    copy.write_row(row)
                    count += 1
                    if count == CHUNK:
                        break
                else:
                    done = True
            if count:
                cursor.execute(f"INSERT INTO {table} ({cols}) SELECT {cols} FROM {staging}")
                cursor.execute(f"TRUNCATE {staging}")
            total += count
        cursor.execute(f"DROP TABLE {staging}")
    return total
