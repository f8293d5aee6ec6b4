"""Which district the current request or job works in.

The district lives in a context variable and, on PostgreSQL, in the session
settings `mtss.district_id` / `mtss.user_id` / `mtss.token_hash` that the
row-level-security policies read (ARCHITECTURE.md, Tenancy). With no district
set, a policy compares against NULL and the query sees no rows.

Every request runs inside `tenant_context(None)` (TenantMiddleware) so whatever
is activated during it is undone when it ends, and a pooled connection never
carries one district's setting into the next request.
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


_scope: ContextVar[Scope] = ContextVar("mtss_scope", default=Scope())

SET_SQL = (
    "SELECT set_config('mtss.district_id', %s, false), "
    "set_config('mtss.user_id', %s, false), set_config('mtss.token_hash', %s, false)"
)

_owner = threading.local()


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
    for conn in connections.all(initialized_only=True):
        if conn.vendor == "postgresql" and conn.connection is not None:
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
def tenant_context(district=None, *, user_id: int | None = None):
    """Work inside one district (or none); restores the previous scope on exit."""
    district_id = getattr(district, "pk", district)
    token = _scope.set(Scope(district_id=district_id, user_id=user_id))
    _apply()
    try:
        yield
    finally:
        _scope.reset(token)
        _apply()


def owner_mode_active() -> bool:
    return getattr(_owner, "active", False)


@contextlib.contextmanager
def owner_connections():
    """Connections opened inside keep the owning login role."""
    previous = owner_mode_active()
    _owner.active = True
    try:
        yield
    finally:
        _owner.active = previous


@contextlib.contextmanager
def owner_mode():
    """Reconnect as the owning login role (migrations, flush). Never in requests."""
    connections.close_all()
    try:
        with owner_connections():
            yield
    finally:
        connections.close_all()
