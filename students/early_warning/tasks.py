"""Early-warning jobs: thin, they take ids and call the computation (ARCHITECTURE.md, Jobs).

Safe to retry: the computation upserts flags and replaces the day's snapshot."""

from __future__ import annotations

from celery import shared_task

import mtss.celery  # noqa: F401  (the project's app is current before a task is sent; README, "Jobs")
from mtss.models import District


@shared_task
def indicators_refresh(district_id: int) -> dict:
    """After an import, or for one district: recompute its flags."""
    from students.early_warning.indicators import indicators_refresh as refresh

    district = District.objects.filter(pk=district_id).first()
    if district is None:
        return {}
    result = refresh(district=district)
    return {"students": result.students, "flagged": dict(result.flagged), "cleared": result.cleared}


@shared_task
def indicators_refresh_all() -> int:
    """Beat, nightly: every district's flags, each as its own job."""
    ids = list(District.objects.order_by("pk").values_list("pk", flat=True))
    for district_id in ids:
        indicators_refresh.delay(district_id)
    return len(ids)
