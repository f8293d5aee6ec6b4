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
from operator import attrgetter

from django.db import connection
from django.db.models import (
    BooleanField,
    CharField,
    DateField,
    FloatField,
    ForeignKey,
    IntegerField,
    Max,
    Model,
    TextField,
)
from django.utils import timezone

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
    getters = [_getter(f) for f in fields]
    rows = (tuple(get(obj) for get in getters) for obj in objs)
    copy_rows(model, [f.column for f in fields], rows)
    for obj in objs:
        obj._state.adding = False
        obj._state.db = connection.alias
    return objs


# Field types whose value goes to the database as it is: their pre_save and prep methods
# only return or coerce the Python value (strings, numbers, booleans, dates, foreign keys).
_PLAIN = (CharField, TextField, IntegerField, BooleanField, FloatField, ForeignKey, DateField)
_PREP = ("pre_save", "get_db_prep_save", "get_db_prep_value", "get_prep_value")


def _getter(field):
    """How one field's database value is read from an instance.

    Django's own insert path (pre_save fills auto_now(_add) and defaults, get_db_prep_save
    adapts) costs microseconds a field, minutes at 400,000 students; a plain field that does
    not override any of those steps (not a DateTimeField, JSONField, phone number ...) is
    read directly.
    """
    cls = type(field)
    for base in _PLAIN:
        if isinstance(field, base):
            auto = getattr(field, "auto_now", False) or getattr(field, "auto_now_add", False)
            if not auto and all(getattr(cls, name) is getattr(base, name) for name in _PREP):
                return attrgetter(field.attname)
            break
    return lambda obj: field.get_db_prep_save(field.pre_save(obj, add=True), connection)


def copy_values(model: type[Model], fields: Sequence[str], rows: Iterable[tuple]) -> int:
    """COPY plain tuples (in `fields` order, by attribute name: ``plan_id``) into the model's table.

    The fast path for the millions of rows of a state-sized seed (sessions, attendance,
    probes): no model instance per row, whose construction and per-field preparation cost
    more than the database's own work. Every other concrete field takes its model default
    (computed once; ``auto_now``/``auto_now_add`` is now), so the rows are what
    `bulk_create` would write. A primary key not among `fields` comes from its sequence;
    draw it first with `next_ids` when the caller needs the ids. Returns the row count.
    """
    meta = model._meta
    given = set(fields)
    extra = [
        f
        for f in meta.concrete_fields
        if f.column and f.attname not in given and not (f.primary_key and f.auto_created)
    ]
    if connection.vendor != "postgresql":
        defaults = {f.attname: _default(f) for f in extra}
        objs = [model(**defaults, **dict(zip(fields, row, strict=True))) for row in rows]
        return len(model.objects.bulk_create(objs, batch_size=BATCH))
    constants = tuple(f.get_db_prep_save(_default(f), connection) for f in extra)
    columns = [meta.get_field(name).column for name in fields] + [f.column for f in extra]
    return copy_rows(model, columns, (row + constants for row in rows))


def _default(field):
    if getattr(field, "auto_now", False) or getattr(field, "auto_now_add", False):
        return timezone.now()
    return field.get_default()


def next_ids(model: type[Model], n: int) -> list[int]:
    """`n` fresh primary keys from the table's identity sequence."""
    if n == 0:
        return []
    if connection.vendor != "postgresql":
        # SQLite (the small embedded demo): one writer, inside the seed's transaction.
        first = (model.objects.aggregate(top=Max("pk"))["top"] or 0) + 1
        return list(range(first, first + n))
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
