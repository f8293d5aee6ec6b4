"""Which district the current request or job works in.

The district lives in a context variable and, on PostgreSQL, in the settings
`mtss.district_id` / `mtss.user_id` / `mtss.token_hash` that the row-level-security
policies read (ARCHITECTURE.md, Tenancy). With no district set, a policy compares
against NULL and the query sees no rows.

The settings are set per TRANSACTION (`set_config(..., true)`), never for the
session: behind a pooler in transaction mode (PgBouncer) the next transaction on
the same server connection may belong to another district's client, and a
session setting would carry this district into it. So every query must run in a
transaction that set them first:

- the PostgreSQL backend (mtss.db.backends.postgresql) sets them when an
  outermost `transaction.atomic()` begins, and runs a statement issued outside any
  transaction (autocommit) inside a short transaction of its own that sets them;
- `activate()` / `tenant_context()` re-set them inside the transaction that is
  open when the scope changes;
- every request runs in one transaction (TenantMiddleware).

A job or command enters `tenant_context(district)`; its statements are scoped as
above while keeping their own commits (an outbox claim commits before the mail
goes out), so it need not hold one long transaction.
"""

from __future__ import annotations

import contextlib
import threading
from contextvars import ContextVar
from dataclasses import dataclass, replace

from django.db import connections


@dataclass(frozen=True)
class Scope:
    district_id: int | None = None
    user_id: int | None = None
    token_hash: str | None = None

    @property
    def empty(self) -> bool:
        return self.district_id is None and self.user_id is None and not self.token_hash


_scope: ContextVar[Scope] = ContextVar("mtss_scope", default=Scope())  # noqa: B039  (Scope is frozen)

# is_local = true: the values end with the transaction (pooler-safe, see above).
SET_SQL = (
    "SELECT set_config('mtss.district_id', %s, true), "
    "set_config('mtss.user_id', %s, true), set_config('mtss.token_hash', %s, true)"
)

_owner = threading.local()


def current_scope() -> Scope:
    return _scope.get()


def current_district_id() -> int | None:
    return _scope.get().district_id


def current_settings() -> list[str]:
    scope = _scope.get()
    return [
        "" if scope.district_id is None else str(scope.district_id),
        "" if scope.user_id is None else str(scope.user_id),
        scope.token_hash or "",
    ]


def _apply() -> None:
    """Re-set the settings in every transaction open now; autocommit statements set their own."""
    for conn in connections.all(initialized_only=True):
        if (
            conn.vendor == "postgresql"
            and conn.connection is not None
            and not conn.get_autocommit()
            and not conn.needs_rollback
        ):
            with conn.cursor() as cursor:
                cursor.execute(SET_SQL, current_settings())


def activate(**changes) -> None:
    """Change the scope in place; only inside a `tenant_context` that restores it."""
    if "district" in changes:
        district = changes.pop("district")
        changes["district_id"] = getattr(district, "pk", district)
    _scope.set(replace(_scope.get(), **changes))
    _apply()


@contextlib.contextmanager
def scope_context(scope: Scope):
    """Work inside exactly this scope (e.g. a streamed response re-entering its request's)."""
    token = _scope.set(scope)
    _apply()
    try:
        yield
    finally:
        _scope.reset(token)
        _apply()


def tenant_context(district=None, *, user_id: int | None = None):
    """Work inside one district (or none); restores the previous scope on exit."""
    return scope_context(Scope(district_id=getattr(district, "pk", district), user_id=user_id))


def owner_mode_active() -> bool:
    return getattr(_owner, "active", False)


@contextlib.contextmanager
def owner_connections():
    """Connections opened inside log in as the owner (MIGRATE_DATABASE_URL) and skip SET ROLE."""
    previous = owner_mode_active()
    _owner.active = True
    try:
        yield
    finally:
        _owner.active = previous


@contextlib.contextmanager
def owner_mode():
    """Reconnect as the owning role (migrations, flush). Never in requests."""
    connections.close_all()
    try:
        with owner_connections():
            yield
    finally:
        connections.close_all()
