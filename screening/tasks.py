"""Screening jobs: take ids, scope themselves to the district, call services (ARCHITECTURE.md, Jobs)."""

from __future__ import annotations

import datetime as dt

from celery import shared_task

import mtss.celery  # noqa: F401  (the project's app is current before a task is sent; README, "Jobs")
from mtss.jobs import enqueue_on_commit
from mtss.models import District


def policy_changed(*, district_id: int, effective_from) -> None:
    """mtss.events.POLICY_CHANGED: risk levels follow the policy, so re-band once the version is committed."""
    enqueue_on_commit(risk_recompute_task, district_id, str(effective_from))


# A whole district's scores: longer than the default time limit (mtss/settings.py).
@shared_task(soft_time_limit=3600, time_limit=3660)
def risk_recompute_task(district_id: int, since: str | None = None) -> dict:
    """Re-band the district's scores after a policy change (screening.services.risk_recompute).

    Idempotent and safe to retry: it rewrites only the scores whose level differs from
    what the policy now says. `since` (ISO date): only scores tested on or after it.
    """
    from screening.services import risk_recompute

    district = District.objects.get(pk=district_id)
    return risk_recompute(district=district, since=dt.date.fromisoformat(str(since)[:10]) if since else None)


# A 25,000-student roster takes minutes; the limits only stop a job that hangs.
@shared_task(acks_late=True, soft_time_limit=7200, time_limit=7260)
def import_run_task(district_id: int, run_id: int) -> str | None:
    """Run one queued import (screening.jobs.import_job_run). A duplicate delivery finds the run
    already claimed and does nothing."""
    from screening.jobs import import_job_run

    district = District.objects.get(pk=district_id)
    run = import_job_run(district=district, run_id=run_id)
    return run.status if run is not None else None


@shared_task
def import_uploads_purge_task() -> int:
    """Hourly (CELERY_BEAT_SCHEDULE): staged uploads are kept a day at most (they hold student data)."""
    from screening.jobs import import_uploads_purge_all

    return import_uploads_purge_all()
