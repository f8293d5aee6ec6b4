"""Screening jobs: take ids, scope themselves to the district, call services (ARCHITECTURE.md, Jobs)."""

from __future__ import annotations

import datetime as dt

from celery import shared_task
from django.db import transaction

from mtss.models import District


def policy_changed(*, district_id: int, effective_from) -> None:
    """mtss.events.POLICY_CHANGED: risk levels follow the policy, so re-band once the version is committed."""
    transaction.on_commit(lambda: risk_recompute_task.delay(district_id, str(effective_from)))


@shared_task
def risk_recompute_task(district_id: int, since: str | None = None) -> dict:
    """Re-band the district's scores after a policy change (screening.services.risk_recompute).

    Idempotent and safe to retry: it rewrites only the scores whose level differs from
    what the policy now says. `since` (ISO date): only scores tested on or after it.
    """
    from screening.services import risk_recompute

    district = District.objects.get(pk=district_id)
    return risk_recompute(district=district, since=dt.date.fromisoformat(str(since)[:10]) if since else None)
