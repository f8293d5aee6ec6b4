"""Row-level security on every district-owned table (ARCHITECTURE.md, Tenancy).

Applied after every `migrate` (idempotent), so a new model with a `district`
column is protected without anyone remembering to: tests/test_rls.py fails if
any such table lacks its policy.
"""

from __future__ import annotations

from django.apps import apps
from django.db import connection
from django.db.models import Model

POLICY = "district_isolation"
DISTRICT_EXPR = "district_id = NULLIF(current_setting('mtss.district_id', true), '')::bigint"
# The access log is append-only for the application (FERPA record of access).
APPEND_ONLY = {"mtss_accesslog"}


def district_models() -> list[type[Model]]:
    """Every concrete model with a `district` foreign key: the tenant-owned tables."""
    found = []
    for model in apps.get_models(include_auto_created=True):
        if model._meta.proxy or not model._meta.managed:
            continue
        field = next((f for f in model._meta.concrete_fields if f.name == "district"), None)
        if field is not None and field.is_relation:
            found.append(model)
    return found


def app_role() -> str | None:
    """The role the application's queries run as: the login role itself when
    migrations have their own owner URL, else the DB_APP_ROLE it `SET ROLE`s to."""
    settings_dict = connection.settings_dict
    if settings_dict.get("APP_ROLE"):
        return settings_dict["APP_ROLE"]
    if settings_dict.get("OWNER"):
        return settings_dict["USER"]
    return None


def ensure_row_level_security() -> list[str]:
    """Create the app role, grant it table access, and (re)create every policy.

    FORCE ROW LEVEL SECURITY binds the tables' owner too, so a connection that
    ends up as the owner (a `RESET ROLE` in the DB_APP_ROLE fallback) still sees
    only its district. Only a superuser or a BYPASSRLS role (the migration role
    of docker-compose) is exempt, as PostgreSQL intends.
    """
    if connection.vendor != "postgresql":
        return []
    quote = connection.ops.quote_name
    role = app_role()
    tables = []
    with connection.cursor() as cursor:
        if role:
            cursor.execute(
                "DO $$ BEGIN IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = %s) THEN "
                f"CREATE ROLE {quote(role)} NOLOGIN; END IF; END $$;",
                [role],
            )
            cursor.execute(
                "SELECT pg_has_role(current_user, %s, 'MEMBER'), "
                "(SELECT rolsuper FROM pg_roles WHERE rolname = current_user)",
                [role],
            )
            is_member, is_super = cursor.fetchone()
            # The SET ROLE fallback needs the login role to be a member of the app role.
            if connection.settings_dict.get("APP_ROLE") and not is_member and not is_super:
                cursor.execute(f"GRANT {quote(role)} TO CURRENT_USER")
            cursor.execute(f"GRANT USAGE ON SCHEMA public TO {quote(role)}")
            cursor.execute(f"GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public TO {quote(role)}")
            cursor.execute(f"GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA public TO {quote(role)}")
            for table in APPEND_ONLY:
                cursor.execute(f"REVOKE UPDATE, DELETE ON {quote(table)} FROM {quote(role)}")
                # Its partitions (mtss.access_log_partitions): the app reaches them only through
                # the parent, whose rights apply; no right on a partition named directly.
                cursor.execute(
                    "SELECT inhrelid::regclass::text FROM pg_inherits WHERE inhparent = to_regclass(%s)", [table]
                )
                for (partition,) in cursor.fetchall():
                    cursor.execute(f"REVOKE ALL ON {partition} FROM {quote(role)}")
            # The one delete the application may make on the access log: the retention job's counted
            # purge of its own district's old rows (mtss/migrations/0007_retention.py, reports/retention.py).
            cursor.execute("SELECT to_regprocedure('mtss_accesslog_purge(timestamptz, integer)')")
            if cursor.fetchone()[0] is not None:
                cursor.execute(f"GRANT EXECUTE ON FUNCTION mtss_accesslog_purge(timestamptz, integer) TO {quote(role)}")
        for model in district_models():
            table = model._meta.db_table
            # A model whose migration has not been written yet has no table: the
            # RLS test (every district model has its policy) fails for it instead.
            cursor.execute("SELECT to_regclass(%s)", [quote(table)])
            if cursor.fetchone()[0] is None:
                continue
            using = DISTRICT_EXPR
            extra = getattr(model, "rls_extra", None)
            if extra:
                using = f"({DISTRICT_EXPR}) OR ({extra})"
            cursor.execute(f"ALTER TABLE {quote(table)} ENABLE ROW LEVEL SECURITY")
            cursor.execute(f"ALTER TABLE {quote(table)} FORCE ROW LEVEL SECURITY")
            cursor.execute(f"DROP POLICY IF EXISTS {POLICY} ON {quote(table)}")
            cursor.execute(f"CREATE POLICY {POLICY} ON {quote(table)} USING ({using}) WITH CHECK ({DISTRICT_EXPR})")
            tables.append(table)
    return tables
