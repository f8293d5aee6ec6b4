"""PostgreSQL backend that keeps every statement inside a transaction scoped to the tenant.

Row-level security reads `mtss.district_id` / `mtss.user_id` / `mtss.token_hash`,
which mtss.tenancy sets per transaction (pooler-safe). This backend makes that hold
for every statement:

- when an outermost `transaction.atomic()` begins, the current scope is set in it;
- a statement issued in autocommit while a scope is active runs inside a short
  transaction of its own that sets the scope first (so a job keeps its commits);
- a rolled-back savepoint drops what was set inside it: the scope is set again.

Roles (README, Production): production logs in as a non-owner role (DATABASE_URL)
and migrations connect as the owner (MIGRATE_DATABASE_URL, kept as OWNER in the
settings and used only inside `tenancy.owner_mode()`). For local set-ups that log
in as the owner, `DB_APP_ROLE` (APP_ROLE) makes each connection `SET ROLE` to the
non-owner role: a fallback only, since `RESET ROLE` undoes it and a session-level
role does not survive a transaction pooler.
"""

import contextlib

from django.db import transaction
from django.db.backends.postgresql import base, creation

from mtss import tenancy

# The tenant's settings and the JIT choice, for the transaction (see init_connection_state).
SCOPE_SQL = tenancy.SET_SQL + ", set_config('jit', %s, true)"


class DatabaseCreation(creation.DatabaseCreation):
    def _destroy_test_db(self, test_database_name, verbosity):
        # A pooler (PgBouncer in CI) may still hold server connections to the test database.
        self.connection.close_pool()
        with self._nodb_cursor() as cursor:
            cursor.execute(f"DROP DATABASE {self.connection.ops.quote_name(test_database_name)} WITH (FORCE)")


class DatabaseWrapper(base.DatabaseWrapper):
    creation_class = DatabaseCreation

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.execute_wrappers.append(self._in_scoped_transaction)

    def get_connection_params(self):
        params = super().get_connection_params()
        owner = self.settings_dict.get("OWNER")
        if owner and tenancy.owner_mode_active():
            params["user"] = owner["USER"]
            if owner.get("PASSWORD"):
                params["password"] = owner["PASSWORD"]
            else:
                params.pop("password", None)
            if owner.get("HOST"):
                params["host"] = owner["HOST"]
            if owner.get("PORT"):
                params["port"] = owner["PORT"]
        return params

    def _jit(self) -> str:
        return "on" if self.settings_dict.get("JIT") else "off"

    def init_connection_state(self):
        super().init_connection_state()
        # JIT compilation is off, deliberately (issue 16, item 7): the app's queries are short
        # and run once per request, and PostgreSQL priced one district-dashboard query at 10,000
        # students high enough to spend 8.4 s compiling it, for a query that runs in
        # milliseconds. Set for the session here (a direct connection) and again in every
        # transaction (`_set_scope`), which is what survives a transaction pooler; not in the
        # startup packet's `options`, which PgBouncer refuses. settings.DATABASES JIT=True
        # (DB_JIT=1) turns it back on for an analytics replica.
        with self.connection.cursor() as cursor:
            cursor.execute(f"SET jit = {self._jit()}")
        if not self.get_autocommit():
            self.connection.commit()
        role = self.settings_dict.get("APP_ROLE")
        if role and not tenancy.owner_mode_active():
            with self.connection.cursor() as cursor:
                cursor.execute(f"SET ROLE {self.ops.quote_name(role)}")
            if not self.get_autocommit():
                self.connection.commit()

    def _scope_active(self) -> bool:
        return not tenancy.owner_mode_active() and not tenancy.current_scope().empty

    def _set_scope(self) -> None:
        with self.cursor() as cursor:
            cursor.execute(SCOPE_SQL, [*tenancy.current_settings(), self._jit()])

    def set_autocommit(self, autocommit, force_begin_transaction_with_broken_autocommit=False):
        super().set_autocommit(autocommit, force_begin_transaction_with_broken_autocommit)
        if not autocommit:
            # The first statement of the new transaction sets the tenant.
            self._set_scope()

    def _savepoint_rollback(self, sid):
        super()._savepoint_rollback(sid)
        # Rolling back to a savepoint also undoes a set_config made after it.
        self._set_scope()

    def _in_scoped_transaction(self, execute, sql, params, many, context):
        if self.autocommit and not self.in_atomic_block and self._scope_active():
            with transaction.atomic(using=self.alias):
                return execute(sql, params, many, context)
        return execute(sql, params, many, context)

    @contextlib.contextmanager
    def _nodb_cursor(self):
        # Creating and dropping databases (test set-up) is the owner's job.
        with tenancy.owner_connections(), super()._nodb_cursor() as cursor:
            yield cursor
