"""Celery tasks for notices. Thin: take ids, enter the district, call a service.

The beat schedule (mtss/celery.py) is small and fixed; each periodic task fans out
to the districts that are due (ARCHITECTURE.md, Jobs). Every task is safe to run
twice: notices have a unique key, and sending is claimed with a conditional update.
"""

from __future__ import annotations

import logging

from celery import shared_task
from django.utils import timezone

import mtss.celery  # noqa: F401  (the project's app is current before a task is sent; README, "Jobs")
from mtss.models import District
from mtss.tenancy import tenant_context

log = logging.getLogger(__name__)


def _districts():
    # The district table is the tenant list itself (no row-level security on it).
    return list(District.objects.order_by("id").values_list("id", flat=True))


# One letter: rendering takes seconds and each SMTP step is bounded by EMAIL_TIMEOUT (30 s). The
# soft limit raises in the task, which records the notice failed for a later retry; the hard
# limit (shorter than the claim, NOTICE_CLAIM_SECONDS) kills a worker child stuck regardless.
@shared_task(bind=True, max_retries=5, acks_late=True, soft_time_limit=120, time_limit=150)
def notice_send(self, district_id: int, notice_id: int):
    """Generate and deliver one notice; retry with exponential backoff on failure."""
    from notifications.letters.blocks import LetterIncomplete
    from notifications.services import backoff_seconds
    from notifications.services import notice_send as send

    district = District.objects.get(pk=district_id)
    with tenant_context(district):
        try:
            notice = send(district=district, notice_id=notice_id)
        except LetterIncomplete:
            return "incomplete"  # recorded on the notice; a retry cannot supply the data
        except Exception as error:
            if self.request.called_directly or self.app.conf.task_always_eager:
                return "failed"  # in-process (demo): the sweeper retries later
            raise self.retry(exc=error, countdown=backoff_seconds(self.request.retries + 1)) from error
    return notice.status if notice is not None else "skipped"


@shared_task
def outbox_sweep(district_id: int | None = None, older_than_seconds: int = 60) -> int:
    """Hand pending notices (the broker was down at commit) and failed ones whose backoff
    is over to the workers, mark "maybe sent" the e-mails whose worker died mid-delivery,
    and queue the print batches the broker never got. Runs every minute from beat;
    returns how many notices it queued."""
    from notifications.services import enqueue_send, notices_stalled_mark, outbox_due, print_batches_requeue

    queued = 0
    for pk in [district_id] if district_id else _districts():
        district = District.objects.get(pk=pk)
        with tenant_context(district):
            notices_stalled_mark(district=district)
            print_batches_requeue(district=district, older_than_seconds=older_than_seconds)
            ids = outbox_due(district=district, older_than_seconds=older_than_seconds)
        if ids and enqueue_send(pk, ids):
            queued += len(ids)
    return queued


# Merging a few hundred letters takes about a minute; the limits stop a merge that hangs
# (PRINT_BATCH_STALE_SECONDS in notifications/services.py is longer than the hard one).
@shared_task(acks_late=True, soft_time_limit=840, time_limit=900)
def print_batch_build_task(district_id: int, batch_id: int) -> str | None:
    """Merge one print batch (notifications.services.print_batch_build)."""
    from notifications.services import print_batch_build

    district = District.objects.get(pk=district_id)
    with tenant_context(district):
        batch = print_batch_build(district=district, batch_id=batch_id)
    return batch.status if batch is not None else None


@shared_task
def progress_reports_due() -> int:
    """Daily: fan out to every district; each queues the reports whose period has come."""
    for pk in _districts():
        district_progress_reports.delay(pk, timezone.localdate().isoformat())
    return len(_districts())


@shared_task
def district_progress_reports(district_id: int, as_of: str | None = None) -> int:
    import datetime as dt

    from notifications.services import progress_reports_create

    district = District.objects.get(pk=district_id)
    with tenant_context(district):
        created = progress_reports_create(district=district, as_of=dt.date.fromisoformat(as_of) if as_of else None)
    return len(created)


@shared_task
def point_card_summaries_due() -> int:
    """Each school-day evening: fan out to every district; each queues the check-in/check-out card
    summaries its plans ask for (daily ones every day, weekly ones on Fridays)."""
    for pk in _districts():
        district_point_card_summaries.delay(pk, timezone.localdate().isoformat())
    return len(_districts())


@shared_task
def district_point_card_summaries(district_id: int, as_of: str | None = None) -> int:
    import datetime as dt

    from notifications.services import point_card_summaries_create

    district = District.objects.get(pk=district_id)
    with tenant_context(district):
        created = point_card_summaries_create(district=district, as_of=dt.date.fromisoformat(as_of) if as_of else None)
    return len(created)


@shared_task
def staff_reminders_due() -> int:
    """Weekly on Monday: remind providers of overdue probes and due reviews."""
    for pk in _districts():
        district_staff_reminders.delay(pk)
    return len(_districts())


@shared_task
def district_staff_reminders(district_id: int) -> int:
    from notifications.reminders import staff_reminders_send

    district = District.objects.get(pk=district_id)
    with tenant_context(district):
        return staff_reminders_send(district=district)


@shared_task
def screening_letters_due() -> int:
    """Daily: every district's benchmark windows that closed in the last week."""
    for pk in _districts():
        district_screening_letters.delay(pk)
    return len(_districts())


@shared_task
def district_screening_letters(district_id: int) -> int:
    """One task per window that closed in the last week; each is idempotent (the window is the period)."""
    from notifications.services import closed_windows

    district = District.objects.get(pk=district_id)
    with tenant_context(district):
        windows = [w.pk for w in closed_windows(district=district, today=timezone.localdate())]
    for window_id in windows:
        window_screening_letters.delay(district_id, window_id)
    return len(windows)


@shared_task
def window_screening_letters(district_id: int, window_id: int) -> int:
    from notifications.services import screening_letters_create
    from screening.models import ScreeningWindow

    district = District.objects.get(pk=district_id)
    with tenant_context(district):
        window = ScreeningWindow.objects.get(district=district, pk=window_id)
        return screening_letters_create(district=district, window=window)


@shared_task
def start_of_year_letters_due() -> int:
    """Daily: every district whose school year's first instructional day has come."""
    for pk in _districts():
        district_start_of_year_letters.delay(pk)
    return len(_districts())


@shared_task
def district_start_of_year_letters(
    district_id: int, school_year_id: int | None = None, actor_id: int | None = None
) -> int:
    """The start-of-year letters of one district: of the year due today (the daily job), or of
    `school_year_id` whenever a district administrator sends them. Idempotent per year."""
    from mtss.models import SchoolYear, User
    from notifications.triggers import start_of_year_due, start_of_year_letters_create

    district = District.objects.get(pk=district_id)
    with tenant_context(district):
        if school_year_id is not None:
            year = SchoolYear.objects.get(district=district, pk=school_year_id)
        else:
            year = start_of_year_due(district=district, today=timezone.localdate())
        if year is None:
            return 0
        actor = User.objects.filter(pk=actor_id).first() if actor_id else None
        return len(start_of_year_letters_create(district=district, school_year=year, actor=actor))
