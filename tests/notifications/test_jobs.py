"""The real Redis, real Celery workers and a real beat, against the test database.

- the outbox: with the broker unreachable a decision still writes its notice; once the
  broker is back the sweeper hands it to a worker and it is sent once;
- two workers and a schedule run twice create and send each progress report once;
- celery beat drives the schedule end to end.
"""

from __future__ import annotations

import datetime as dt
import socket
import time
from pathlib import Path

import pytest
from django.conf import settings
from django.db import transaction

from mtss.celery import app
from mtss.tenancy import tenant_context
from notifications import services
from notifications.models import Notice, NoticeEvent
from notifications.tasks import district_progress_reports, outbox_sweep
from tests.notifications.helpers import FULL_CONTEXT

pytestmark = [pytest.mark.redis, pytest.mark.postgres]
ROOT = Path(__file__).resolve().parent.parent.parent


def _mail_count(tmp_path) -> int:
    folder = tmp_path / "var" / "mail"
    if not folder.exists():
        return 0
    return sum(p.read_text(errors="ignore").count("\nSubject: ") for p in folder.iterdir())


def _wait(condition, seconds=90, what="condition"):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(0.3)
    pytest.fail(f"timed out waiting for {what}")


def _closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]  # nothing listens once the probe is closed


@pytest.fixture
def broker_at():
    """Point this process's Celery producer at another broker URL, then restore it."""
    original = app.conf.broker_url

    def point(url: str):
        from kombu import pools

        app.conf.broker_url = url
        pools.reset()  # drop the pooled connections and producers of the previous URL
        app._pool = None
        app.amqp._producer_pool = None

    yield point
    point(original)


def _statuses(district) -> list[str]:
    with tenant_context(district):
        return list(Notice.objects.filter(district=district).values_list("status", flat=True))


@pytest.mark.django_db(transaction=True)
def test_with_the_broker_down_a_decision_keeps_its_notice_and_it_is_sent_once_when_back(
    letters, broker_at, start_worker, tmp_path
):
    assert not settings.CELERY_TASK_ALWAYS_EAGER
    side = letters["side"]
    district = side.district
    broker_at(f"redis://127.0.0.1:{_closed_port()}/0")
    with tenant_context(district), transaction.atomic():
        created = services.notices_for_event(
            district=district,
            student=side.students[0],
            trigger="tier_start",
            period_key="placement-7",
            tier=2,
            context={k: v for k, v in FULL_CONTEXT.items() if k != "from_tier"},
        )
    assert len(created) == 1  # the decision's transaction committed with its outbox row
    assert _statuses(district) == ["pending"]

    broker_at(settings.CELERY_BROKER_URL)  # Redis is back
    start_worker("outbox")
    assert outbox_sweep(older_than_seconds=0) == 1
    _wait(lambda: _statuses(district) == ["sent"], what="the swept notice to be sent")
    assert outbox_sweep(older_than_seconds=0) == 0  # nothing pending: a second sweep sends nothing
    time.sleep(1)
    assert _mail_count(tmp_path) == 1
    with tenant_context(district):
        assert NoticeEvent.objects.filter(district=district, verb="emailed").count() == 1


@pytest.mark.django_db(transaction=True)
def test_two_workers_and_a_schedule_run_twice_send_each_report_once(letters, start_worker, tmp_path):
    side = letters["side"]
    district = side.district
    start_worker("one")
    start_worker("two")
    as_of = dt.date(2026, 10, 20).isoformat()
    results = [district_progress_reports.delay(district.pk, as_of) for _ in range(4)]  # a re-run and duplicates
    counts = sorted(r.get(timeout=120) for r in results)
    assert sum(counts) == 3  # three students with plans, one guardian each: created once in all
    _wait(lambda: sorted(_statuses(district)) == ["sent"] * 3, what="three reports sent")
    # Duplicate send tasks for the same notices, on both workers at once: claimed, so no second mail.
    with tenant_context(district):
        ids = list(Notice.objects.filter(district=district).values_list("id", flat=True))
    services.enqueue_send(district.pk, ids + ids)
    time.sleep(3)
    assert _mail_count(tmp_path) == 3
    with tenant_context(district):
        assert Notice.objects.filter(district=district).count() == 3
        assert NoticeEvent.objects.filter(district=district, verb="emailed").count() == 3


@pytest.mark.django_db(transaction=True)
def test_celery_beat_runs_the_schedule_end_to_end(letters, start_worker, tmp_path):
    """beat -> progress_reports_due -> district fan-out -> notices -> worker sends them."""
    from mtss.models import SchoolYear

    side = letters["side"]
    district = side.district
    with tenant_context(district):  # make today a report day: the year began 9 weeks ago
        SchoolYear.objects.filter(district=district).update(start_date=dt.date.today() - dt.timedelta(weeks=9, days=1))
    start_worker("beat-worker")
    beat = start_worker("beat", app_module="tests.notifications.beat_app", kind="beat")
    _wait(lambda: sorted(_statuses(district)) == ["sent"] * 3, seconds=120, what="beat's progress reports")
    time.sleep(5)  # beat keeps firing every 2 s: still one report per student and period
    assert beat.poll() is None
    assert sorted(_statuses(district)) == ["sent"] * 3
    assert _mail_count(tmp_path) == 3
    assert set(app.conf.beat_schedule) >= {"notices-outbox-sweep", "notices-progress-reports"}


@pytest.mark.django_db(transaction=True)
def test_the_start_of_year_job_run_three_times_on_two_workers_sends_each_family_one_letter(
    letters, start_worker, tmp_path
):
    """beat's daily start_of_year_letters_due -> one job per district; a re-run and duplicates
    add nothing (the school year is the period), and each family gets one letter."""
    from mtss.models import SchoolYear
    from notifications.tasks import district_start_of_year_letters, start_of_year_letters_due

    side = letters["side"]
    district = side.district
    with tenant_context(district):  # the year's first instructional day was within the last few days
        SchoolYear.objects.filter(district=district).update(start_date=dt.date.today() - dt.timedelta(days=3))
    assert settings.CELERY_BEAT_SCHEDULE["notices-start-of-year"]["task"] == start_of_year_letters_due.name
    start_worker("one")
    start_worker("two")
    results = [district_start_of_year_letters.delay(district.pk) for _ in range(3)]
    assert sum(r.get(timeout=120) for r in results) == 3  # three enrolled students, one guardian each
    assert start_of_year_letters_due.delay().get(timeout=60) == 2  # fans out to both districts
    _wait(lambda: sorted(_statuses(district)) == ["sent"] * 3, what="three start-of-year letters sent")
    time.sleep(3)
    assert _mail_count(tmp_path) == 3
    with tenant_context(district):
        assert set(Notice.objects.filter(district=district).values_list("trigger", flat=True)) == {"start_of_year"}
