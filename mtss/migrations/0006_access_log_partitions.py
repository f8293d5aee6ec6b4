"""The access log becomes a table partitioned by month on PostgreSQL (mtss.access_log_partitions).

The rows move into the new table; the partitions cover every month that has rows up to three
months ahead, and a default partition takes anything else. Django's model state does not
change (the primary key in the database becomes (id, at), as a partitioned table requires;
ids stay unique, drawn from one sequence). SQLite (the demo) keeps the plain table.
"""

import datetime as dt

from django.db import migrations

from mtss import access_log_partitions as parts

TABLE = parts.TABLE

DDL = [
    f"ALTER TABLE {TABLE} RENAME TO {TABLE}_unpartitioned",
    "CREATE SEQUENCE accesslog_id_seq AS bigint",
    f"""
    CREATE TABLE {TABLE} (
        id bigint NOT NULL DEFAULT nextval('accesslog_id_seq'),
        at timestamp with time zone NOT NULL,
        action varchar(20) NOT NULL,
        what varchar(120) NOT NULL,
        student_ids jsonb NOT NULL,
        student_count integer NOT NULL CONSTRAINT accesslog_student_count_check CHECK (student_count >= 0),
        path varchar(300) NOT NULL,
        ip_address inet NULL,
        user_id bigint NULL REFERENCES mtss_user (id) DEFERRABLE INITIALLY DEFERRED,
        district_id bigint NOT NULL REFERENCES mtss_district (id) DEFERRABLE INITIALLY DEFERRED,
        CONSTRAINT accesslog_pkey PRIMARY KEY (id, at)
    ) PARTITION BY RANGE (at)
    """,
    f"ALTER SEQUENCE accesslog_id_seq OWNED BY {TABLE}.id",
    f"CREATE TABLE {parts.DEFAULT_PARTITION} PARTITION OF {TABLE} DEFAULT",
]


def _partition(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    cursor = schema_editor.connection.cursor()
    for statement in DDL:
        cursor.execute(statement)
    cursor.execute(f"SELECT min(at), max(id) FROM {TABLE}_unpartitioned")
    first, last_id = cursor.fetchone()
    today = dt.datetime.now(dt.UTC).date()
    for month in parts.months(min(first.date(), today) if first else today, today + dt.timedelta(days=92)):
        parts.create_month(cursor, month)
    parts.protect_partition(cursor, parts.DEFAULT_PARTITION)
    cursor.execute(
        f"INSERT INTO {TABLE} (id, at, action, what, student_ids, student_count, path, ip_address, user_id, "
        f"district_id) SELECT id, at, action, what, student_ids, student_count, path, ip_address, user_id, "
        f"district_id FROM {TABLE}_unpartitioned"
    )
    if last_id:
        cursor.execute("SELECT setval('accesslog_id_seq', %s)", [last_id])
    cursor.execute(f"DROP TABLE {TABLE}_unpartitioned")
    # The model's index (the browse view: a district, newest first) and the foreign keys' own.
    cursor.execute(f"CREATE INDEX accesslog_district_at_idx ON {TABLE} (district_id, at DESC)")
    cursor.execute(f"CREATE INDEX accesslog_user_idx ON {TABLE} (user_id)")
    # mtss.rls re-creates the parent's policy after migrate (it is a district model).


class Migration(migrations.Migration):
    dependencies = [("mtss", "0005_sso")]

    operations = [migrations.RunPython(_partition, migrations.RunPython.noop, elidable=False)]
