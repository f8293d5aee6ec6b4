"""Student search that ignores accents and case, served by indexes (issues 14 and 16).

PostgreSQL only (the embedded SQLite demo searches with a plain LIKE, students/search.py):

* the `unaccent` and `pg_trgm` extensions, and `btree_gin` so the district can lead the
  trigram index like every other index of the schema (ARCHITECTURE.md, Tenancy). All three
  are "trusted" extensions since PostgreSQL 13: the migration role creates them when it owns
  the database (docker/initdb/10-roles.sh makes `mtss_owner` the owner; the test and CI
  clusters migrate as `postgres`). docker/initdb/20-extensions.sh creates them too, as the
  superuser, for a cluster whose migration role may not;
* `mtss_fold(text)`: lower case without accents, declared IMMUTABLE so an index can use it.
  `unaccent(text)` alone is only STABLE because it reads the dictionary through the
  search_path; naming the dictionary with its schema makes the result fixed;
* `mtss_student_name(last, first, preferred)`: the folded text the search matches, and a
  GIN trigram index on (district_id, that expression): `LIKE '%vasquez%'` uses it;
* btree indexes on (district_id, upper(local_id)) and (district_id, upper(state_id)) for
  the id matches (case-insensitive equality).

Expression indexes written in SQL are not in the model's Meta (SQLite has no such
functions): students/search.py builds exactly these expressions, and
tests/students/test_search.py checks that the planner uses the indexes.
"""

from django.db import migrations

FORWARD = [
    "CREATE EXTENSION IF NOT EXISTS unaccent SCHEMA public",
    "CREATE EXTENSION IF NOT EXISTS pg_trgm",
    "CREATE EXTENSION IF NOT EXISTS btree_gin",
    """
    CREATE OR REPLACE FUNCTION public.mtss_fold(value text) RETURNS text
    LANGUAGE sql IMMUTABLE PARALLEL SAFE STRICT
    AS $$ SELECT lower(public.unaccent('public.unaccent'::regdictionary, value)) $$
    """,
    """
    CREATE OR REPLACE FUNCTION public.mtss_student_name(last_name text, first_name text, preferred_name text)
    RETURNS text
    LANGUAGE sql IMMUTABLE PARALLEL SAFE
    AS $$ SELECT public.mtss_fold(concat_ws(' ', last_name, first_name, preferred_name)) $$
    """,
    """
    CREATE INDEX IF NOT EXISTS student_name_trgm_idx ON students_student
    USING gin (district_id, public.mtss_student_name(last_name, first_name, preferred_name) gin_trgm_ops)
    """,
    "CREATE INDEX IF NOT EXISTS student_local_id_upper_idx ON students_student (district_id, upper(local_id))",
    "CREATE INDEX IF NOT EXISTS student_state_id_upper_idx ON students_student (district_id, upper(state_id))",
]

BACKWARD = [
    "DROP INDEX IF EXISTS student_state_id_upper_idx",
    "DROP INDEX IF EXISTS student_local_id_upper_idx",
    "DROP INDEX IF EXISTS student_name_trgm_idx",
    "DROP FUNCTION IF EXISTS public.mtss_student_name(text, text, text)",
    "DROP FUNCTION IF EXISTS public.mtss_fold(text)",
    # The extensions stay: other objects of the cluster may use them.
]


def _run(statements):
    def run(apps, schema_editor):
        if schema_editor.connection.vendor != "postgresql":
            return
        for statement in statements:
            schema_editor.execute(statement)

    return run


class Migration(migrations.Migration):
    dependencies = [
        ("students", "0006_safe_entry"),
    ]

    operations = [
        migrations.RunPython(_run(FORWARD), _run(BACKWARD), elidable=False),
    ]
