"""Report jobs. Tasks take ids, enter the district's tenant context and call services
(ARCHITECTURE.md, Jobs); each is safe to retry (deliveries are claimed, the
snapshot is replaced whole)."""

from __future__ import annotations

from celery import shared_task
from django.utils import timezone

import mtss.celery  # noqa: F401  (the project's app is current before a task is sent; README, "Jobs")
from mtss.models import District, User
from mtss.tenancy import tenant_context
from reports import services


@shared_task
def weekly_fidelity_summaries_due() -> int:
    """Beat, Mondays: create this week's deliveries in every district and queue each one."""
    queued = 0
    today = timezone.localdate()
    for district in District.objects.order_by("pk"):
        with tenant_context(district):
            ids = services.deliveries_due(district=district, today=today)
        for delivery_id in ids:
            send_fidelity_summary.delay(district.pk, delivery_id)
            queued += 1
    return queued


@shared_task(autoretry_for=(Exception,), retry_backoff=60, retry_backoff_max=3600, max_retries=4)
def send_fidelity_summary(district_id: int, delivery_id: int) -> str:
    district = District.objects.get(pk=district_id)
    with tenant_context(district):
        delivery = services.delivery_send(district=district, delivery_id=delivery_id)
    return delivery.status if delivery is not None else "claimed elsewhere"


@shared_task
def refresh_evaluations_all() -> int:
    """Beat, nightly: the district-wide snapshots (evaluations, dashboard counts) of every district."""
    for district in District.objects.order_by("pk"):
        refresh_evaluations.delay(district.pk)
    return District.objects.count()


@shared_task
def refresh_evaluations(district_id: int, actor_id: int | None = None) -> int:
    district = District.objects.get(pk=district_id)
    actor = User.objects.filter(pk=actor_id).first() if actor_id else None
    with tenant_context(district):
        evaluated = services.evaluations_refresh(district=district, actor=actor)
        # The dashboard's counts (tiers, movement, screening participation) with it: one
        # nightly job and one "Recompute now" for everything the page reads from a snapshot.
        services.dashboard_refresh(district=district, actor=actor)
    return evaluated


@shared_task
def retention_due() -> int:
    """Beat, nightly: each district's retention dry run (and purge, where the policy says so)."""
    for district in District.objects.order_by("pk"):
        retention_run.delay(district.pk)
    return District.objects.count()


@shared_task
def retention_run(district_id: int) -> int:
    """The dry run, kept as the report; then its purge only when the district's policy sets
    `privacy.retention.automatic_purge` (reports/retention.py). Returns the purge run's id."""
    from reports import retention

    district = District.objects.get(pk=district_id)
    with tenant_context(district):
        run = retention.retention_dry_run(district=district, actor=None)
        if run.total and retention.automatic_purge(district=district, as_of=run.as_of):
            retention.retention_purge(district=district, run=run, actor=None)
    return run.pk


@shared_task(autoretry_for=(Exception,), retry_backoff=30, max_retries=3)
def record_copy_build(district_id: int, request_id: int) -> str:
    """Build the zip of an approved copy-of-record request (reports/record_copy.py)."""
    from reports.record_copy import copy_build

    district = District.objects.get(pk=district_id)
    with tenant_context(district):
        return copy_build(district=district, request_id=request_id).status
