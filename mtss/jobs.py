"""Queueing a Celery job from a staff action: after the commit, never waiting on Redis.

Issue 16, item 8: with Redis down, closing a meeting took 21.5 s, because publishing a task
first subscribed to its result in the result backend, which retried 20 times, 1 s apart. A
staff action must not wait on the broker or the result store, so every job queued from a
request goes through `enqueue`:

- it is published without a result subscription (``ignore_result``: nothing in a request
  waits for a job's result) and without kombu's publish retries (``retry=False``), over a
  connection whose connect timeout is CELERY_BROKER_CONNECTION_TIMEOUT (mtss/settings.py);
- a broker error is logged by its type and swallowed: the caller's rows are committed and
  the job's periodic sweep (the notice outbox, a queued print batch, a queued sync) hands
  them to a worker once the broker is back. The caller decides what "left for the sweeper"
  means for its own rows; `enqueue` says whether the job was handed over.

Without a broker (the embedded demo) Celery runs the task in-process (task_always_eager),
and an error of the task itself is raised as before.
"""

from __future__ import annotations

import logging

from django.db import transaction

log = logging.getLogger(__name__)


def is_broker_error(error: BaseException) -> bool:
    from kombu.exceptions import OperationalError

    return isinstance(error, (OperationalError, ConnectionError, OSError, TimeoutError))


def enqueue(task, *args, queue: str | None = None) -> bool:
    """Publish `task(*args)` now; True when the broker took it, False when it was unreachable."""
    options = {"retry": False, "ignore_result": True}
    if queue:
        options["queue"] = queue
    try:
        task.apply_async(args, **options)
    except Exception as error:  # kombu raises several kinds; none may undo the caller's commit
        if task.app.conf.task_always_eager and not is_broker_error(error):
            raise
        log.warning("broker unavailable, %s left for its sweeper: %s", task.name, type(error).__name__)
        return False
    return True


def enqueue_on_commit(task, *args, queue: str | None = None) -> None:
    """`enqueue` once the caller's transaction commits: the worker must find the rows it reads."""
    transaction.on_commit(lambda: enqueue(task, *args, queue=queue))
