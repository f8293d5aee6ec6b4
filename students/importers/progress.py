"""An import job's progress: rows read, validated, written (issue 15, "a progress bar").

The job writes its progress to the cache (Redis in production), not to the database: the
import runs in one transaction, and a row it updated would stay invisible to the status
page until the end. The cache key carries the district (STYLE.md: key anything per tenant).
Only counts are kept, never row content.

The CSV reader (csvio.CsvTable) ticks `row_read()` for every row it yields, so every
importer that reads through it reports without knowing about jobs. Outside a job there is no
tracker and a tick costs one context-variable lookup.
"""

from __future__ import annotations

import contextlib
import time
from contextvars import ContextVar

TTL = 24 * 3600
INTERVAL = 0.5  # seconds between cache writes while reading

_current: ContextVar[Tracker | None] = ContextVar("import_progress", default=None)


def cache_key(district_id: int, run_id: int) -> str:
    return f"import-progress:{district_id}:{run_id}"


def current_progress(*, district_id: int, run_id: int) -> dict | None:
    from django.core.cache import cache

    return cache.get(cache_key(district_id, run_id))


class Tracker:
    """Counts for one run; writes them to the cache at most every INTERVAL seconds."""

    def __init__(self, *, district_id: int, run_id: int, total: int = 0):
        self.key = cache_key(district_id, run_id)
        self.state = {"phase": "queued", "total": total, "read": 0, "validated": 0, "written": 0}
        self._last = 0.0

    def phase(self, phase: str, **counts: int) -> None:
        self.state.update(counts, phase=phase)
        self.flush()

    def row_read(self) -> None:
        self.state["read"] += 1
        if self.state["read"] % 500 == 0 and time.monotonic() - self._last >= INTERVAL:
            self.flush()

    def flush(self) -> None:
        from django.core.cache import cache

        self._last = time.monotonic()
        cache.set(self.key, dict(self.state), TTL)


@contextlib.contextmanager
def tracking(tracker: Tracker):
    token = _current.set(tracker)
    try:
        yield tracker
    finally:
        _current.reset(token)


def tracker() -> Tracker | None:
    return _current.get()


def phase(name: str, **counts: int) -> None:
    """Report a phase (reading, validating, writing) if a job is tracking; else nothing."""
    current = _current.get()
    if current is not None:
        current.phase(name, **counts)
