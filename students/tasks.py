"""The students app's Celery tasks (found by autodiscovery): the nightly OneRoster API sync here,
and the early-warning jobs (students/early_warning/tasks.py). Thin: ids in, a service called."""

from __future__ import annotations

from celery import shared_task

import mtss.celery  # noqa: F401  (the project's app is current before a task is sent; README, "Jobs")
from mtss.models import District
from mtss.tenancy import tenant_context
from students.early_warning.tasks import indicators_refresh, indicators_refresh_all  # noqa: F401


# A whole roster over the API: longer than the default time limit (mtss/settings.py).
@shared_task(acks_late=True, soft_time_limit=7200, time_limit=7260)
def roster_sync(district_id: int, full: bool = False) -> str:
    """Pull and import one district's roster from its OneRoster API; returns the sync's state."""
    from students.services import roster_sync_run

    district = District.objects.get(pk=district_id)
    return roster_sync_run(district=district, full=full).state


@shared_task
def roster_sync_due() -> int:
    """Queue the sync of every district that turned it on; returns how many were queued."""
    from students.models import RosterSync
    from students.services import roster_sync_request

    queued = 0
    # The district table is the tenant list itself (no row-level security on it).
    for district in District.objects.order_by("id"):
        with tenant_context(district):
            if not RosterSync.objects.filter(district=district, enabled=True).exists():
                continue
            if roster_sync_request(district=district, actor=None) is None:
                continue  # one is already under way
        roster_sync.delay(district.pk)
        queued += 1
    return queued
