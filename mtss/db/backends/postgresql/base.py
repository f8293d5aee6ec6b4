"""PostgreSQL backend that connects, then drops to the application role.

The login role owns the tables (it runs migrations); the application role owns
nothing, so PostgreSQL's row-level security applies to it. Every new connection
also re-applies the district of the current context, so a connection opened in
the middle of a request or job is scoped like the one before it.
"""
import contextlib

from django.db.backends.postgresql import base

from mtss import tenancy


class DatabaseWrapper(base.DatabaseWrapper):
    def init_connection_state(self):
        super().init_connection_state()
        role = self.settings_dict.get("APP_ROLE")
        with self.connection.cursor() as cursor:
            if role and not tenancy.owner_mode_active():
                cursor.execute(f"SET ROLE {self.ops.quote_name(role)}")
            cursor.execute(tenancy.SET_SQL, tenancy.current_settings())
        if not self.get_autocommit():
            self.connection.commit()

    @contextlib.contextmanager
    def _nodb_cursor(self):
        # Creating and dropping databases (test set-up) is the owner's job.
        with tenancy.owner_connections(), super()._nodb_cursor() as cursor:
            yield cursor
