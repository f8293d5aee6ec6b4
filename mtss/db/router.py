"""Read-replica routing for dashboards and exports (README, Production, "Read replica").

With DATABASE_REPLICA_URL set, settings add a `replica` alias: a hot standby fed by
streaming replication. Only code that asked for it reads there: a view wrapped in
`replica_view` (GET/HEAD of dashboards and exports) or a block in `replica_reads()`.
Everything else, every write, and any read after a write or inside a transaction
the block opened itself stays on `default`, so a page never misses a row it just
wrote (a standby lags the primary by its replay delay).

Tenancy holds there as on the primary: the replica connection uses the same backend
(mtss.db.backends.postgresql), so its transactions set `mtss.district_id` with
`set_config(..., true)` before the first statement, and the standby enforces the
same row-level-security policies, which replicated with the schema. `replica_reads()`
opens one read transaction on the replica for the whole block: the scope is set once
and every query of the page sees one snapshot.
"""

from __future__ import annotations

import contextlib
import functools
from contextvars import ContextVar
from dataclasses import dataclass

from django.db import DEFAULT_DB_ALIAS, connections, transaction

REPLICA = "replica"


@dataclass
class _Block:
    depth: int  # default's atomic blocks open when the block began
    wrote: bool = False


_block: ContextVar[_Block | None] = ContextVar("mtss_replica_block", default=None)


def replica_configured() -> bool:
    return REPLICA in connections.settings


def replica_settings(url: str, default: dict) -> dict:
    """The `replica` alias for a replica URL: the primary's backend and role options, no
    owner (migrations never run there), and a test mirror of `default` so the test runner
    creates no database on a read-only server."""
    import dj_database_url

    replica = dj_database_url.parse(url, conn_max_age=default.get("CONN_MAX_AGE", 0), conn_health_checks=True)
    replica["ENGINE"] = default["ENGINE"]
    for key in ("APP_ROLE", "DISABLE_SERVER_SIDE_CURSORS"):
        if key in default:
            replica[key] = default[key]
    replica["TEST"] = {"MIRROR": DEFAULT_DB_ALIAS}
    return replica


@contextlib.contextmanager
def replica_reads():
    """Send this block's reads to the replica when one is configured (else a no-op)."""
    if not replica_configured() or _block.get() is not None:
        yield
        return
    token = _block.set(_Block(depth=len(connections[DEFAULT_DB_ALIAS].atomic_blocks)))
    try:
        with transaction.atomic(using=REPLICA):
            yield
    finally:
        _block.reset(token)


def replica_view(view):
    """A read-only page (dashboard, export): its GET/HEAD reads from the replica."""

    @functools.wraps(view)
    def wrapped(request, *args, **kwargs):
        if request.method not in ("GET", "HEAD"):
            return view(request, *args, **kwargs)
        with replica_reads():
            return view(request, *args, **kwargs)

    return wrapped


class ReplicaRouter:
    """DATABASE_ROUTERS entry: reads inside `replica_reads()` go to the replica, the rest to default."""

    def db_for_read(self, model, **hints):
        block = _block.get()
        if block is None or block.wrote:
            return DEFAULT_DB_ALIAS
        if len(connections[DEFAULT_DB_ALIAS].atomic_blocks) > block.depth:
            # A transaction opened inside the block is a write transaction: read your writes.
            return DEFAULT_DB_ALIAS
        return REPLICA

    def db_for_write(self, model, **hints):
        block = _block.get()
        if block is not None:
            block.wrote = True
        return DEFAULT_DB_ALIAS

    def allow_relation(self, obj1, obj2, **hints):
        # One database seen twice: an object read on the replica may point to one from default.
        return {obj1._state.db, obj2._state.db} <= {DEFAULT_DB_ALIAS, REPLICA, None}

    def allow_migrate(self, db, app_label, model_name=None, **hints):
        return db != REPLICA
