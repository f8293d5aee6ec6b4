"""A temporary staging table filled with COPY on PostgreSQL (batched inserts on SQLite).

The importers stream their valid rows here and the indicator computation its working
sets, so that what follows is set-based SQL and Python holds no per-row state. The table
lives in the caller's transaction and is dropped at the end.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping, Sequence

from django.db import connection

BATCH = 5000


class Stage:
    def __init__(self, table: str, columns: Sequence[tuple[str, str]]):
        """`columns`: (name, SQL type) pairs; the types must read the same on both databases."""
        self.table = table
        self.columns = [name for name, _type in columns]
        self.ddl = f"CREATE TEMP TABLE {table} (" + ", ".join(f"{n} {t}" for n, t in columns) + ")"
        self.postgres = connection.vendor == "postgresql"
        self._batch: list[tuple] = []
        self.count = 0

    def __enter__(self) -> Stage:
        with connection.cursor() as cursor:
            cursor.execute(f"DROP TABLE IF EXISTS {self.table}")
            cursor.execute(self.ddl)
        return self

    def add(self, row: tuple) -> None:
        self.count += 1
        self._batch.append(row)
        if len(self._batch) >= BATCH:
            self.flush()

    def extend(self, rows: Iterable[tuple]) -> None:
        for row in rows:
            self.add(row)

    def flush(self) -> None:
        if not self._batch:
            return
        names = ", ".join(self.columns)
        with connection.cursor() as cursor:
            if self.postgres:
                with cursor.cursor.copy(f"COPY {self.table} ({names}) FROM STDIN") as copy:
                    for row in self._batch:
                        copy.write_row(row)
            else:
                marks = ", ".join(["%s"] * len(self.columns))
                rows = [tuple(v.isoformat() if isinstance(v, dt.date) else v for v in row) for row in self._batch]
                cursor.executemany(f"INSERT INTO {self.table} ({names}) VALUES ({marks})", rows)
        self._batch = []

    def done(self) -> None:
        """Flush, and give the planner the table's size (PostgreSQL does not analyse temp tables)."""
        self.flush()
        if self.postgres:
            with connection.cursor() as cursor:
                cursor.execute(f"ANALYZE {self.table}")

    def drop(self) -> None:
        with connection.cursor() as cursor:
            cursor.execute(f"DROP TABLE IF EXISTS {self.table}")

    def __exit__(self, *exc) -> None:
        self._batch = []
        self.drop()


def fetchall(sql: str, params: Sequence | Mapping = ()) -> list[tuple]:
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchall()


def execute(sql: str, params: Sequence = ()) -> int:
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.rowcount


def as_date(value) -> dt.date:
    """SQLite hands dates back as text."""
    return value if isinstance(value, dt.date) else dt.date.fromisoformat(str(value)[:10])
