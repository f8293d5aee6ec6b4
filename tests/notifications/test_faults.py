"""Notice jobs under faults (issue 16, item 8), with real parts: a real Celery worker on the real
Redis against the test database, and mail servers the test runs on loopback.

- a worker killed with SIGKILL after the mail server accepted a letter, before the commit:
  after a restart and a sweep nothing is lost and nothing is sent twice; the letter whose
  outcome no one recorded is "maybe sent", for staff to check, not sent again;
- a mail server that accepts the connection and never answers: the send times out
  (EMAIL_TIMEOUT), is recorded failed with a next attempt, and the worker goes on working;
- the broker down during a staff action: the action returns after one refused publish (no
  result-store subscription, no retries) and leaves the notice for the sweeper, which sends
  it once Redis is back.
"""

from __future__ import annotations

import datetime as dt
import os
import signal
import socket
import threading
import time
from collections import Counter
from email import message_from_bytes

import pytest
from django.conf import settings
from django.db import transaction
from django.urls import reverse

from mtss.celery import app
from mtss.tenancy import tenant_context
from notifications import services
from notifications.models import Notice, NoticeEvent, NoticeStatus
from notifications.tasks import outbox_sweep
from tests.notifications.helpers import FULL_CONTEXT

pytestmark = [pytest.mark.redis, pytest.mark.postgres]


def _wait(condition, seconds=120, what="condition", every=None):
    """Poll `condition`; call `every` (a sweep) at most every two seconds meanwhile."""
    deadline = time.monotonic() + seconds
    last = 0.0
    while time.monotonic() < deadline:
        if every is not None and time.monotonic() - last >= 2:
            last = time.monotonic()
            every()
        if condition():
            return
        time.sleep(0.3)
    pytest.fail(f"timed out waiting for {what}")


class _Server:
    """A loopback TCP server run by the test; `handle(conn)` serves one connection in a thread."""

    def __init__(self, handle):
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(16)
        self.port = self.sock.getsockname()[1]
        self.connections = 0
        self.open: list[socket.socket] = []
        self._handle = handle
        self._stop = threading.Event()
        threading.Thread(target=self._serve, daemon=True).start()

    def _serve(self):
        self.sock.settimeout(0.2)
        while not self._stop.is_set():
            try:
                conn, _addr = self.sock.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            self.connections += 1
            self.open.append(conn)
            threading.Thread(target=self._handle, args=(conn,), daemon=True).start()

    def close(self):
        self._stop.set()
        for conn in self.open:
            conn.close()
        self.sock.close()


class SmtpSink:
    """Just enough SMTP for Django's backend; keeps each accepted message. `on_message(n)` runs
    after the n-th message's data arrived and before the server answers 250 (the moment a
    crash makes the outcome unknown to the sender)."""

    def __init__(self, on_message=None):
        self.messages: list = []
        self.on_message = on_message
        self.server = _Server(self._handle)
        self.port = self.server.port

    def _handle(self, conn):
        reader = conn.makefile("rb")
        try:
            conn.sendall(b"220 sink ready\r\n")
            while line := reader.readline():
                verb = line[:4].upper()
                if verb == b"DATA":
                    conn.sendall(b"354 go ahead\r\n")
                    data = b""
                    while (chunk := reader.readline()) not in (b".\r\n", b""):
                        data += chunk
                    self.messages.append(message_from_bytes(data))
                    if self.on_message:
                        self.on_message(len(self.messages))
                    conn.sendall(b"250 queued\r\n")
                elif verb == b"QUIT":
                    conn.sendall(b"221 bye\r\n")
                    return
                else:  # EHLO, MAIL, RCPT, RSET, NOOP
                    conn.sendall(b"250 ok\r\n")
        except OSError:
            return
        finally:
            conn.close()

    def recipients(self) -> Counter:
        return Counter(m["To"] for m in self.messages)

    def close(self):
        self.server.close()


def _mail_env(port: int, **extra) -> dict:
    return {
        "EMAIL_BACKEND": "django.core.mail.backends.smtp.EmailBackend",
        "EMAIL_HOST": "127.0.0.1",
        "EMAIL_PORT": str(port),
        "EMAIL_USE_TLS": "0",
        **extra,
    }


def _notices(district) -> list[Notice]:
    with tenant_context(district):
        return list(Notice.objects.filter(district=district).order_by("id"))


def _verbs(district) -> Counter:
    with tenant_context(district):
        return Counter(NoticeEvent.objects.filter(district=district).values_list("verb", flat=True))


def _with_emails(side):
    """Every guardian of the three students with plans on e-mail, each at their own address."""
    from students.models import Guardian

    with tenant_context(side.district):
        for guardian in Guardian.objects.filter(district=side.district):
            guardian.email = f"guardian-{guardian.pk}@example.org"
            guardian.save(update_fields=["email"])


@pytest.mark.django_db(transaction=True)
def test_a_worker_killed_mid_batch_loses_nothing_and_sends_nothing_twice(letters, start_worker):
    assert not settings.CELERY_TASK_ALWAYS_EAGER
    side = letters["side"]
    district = side.district
    _with_emails(side)
    workers = {}

    def kill_first_worker(count):
        if count == 1:  # the mail server has the first letter; the worker never hears back
            os.kill(workers["first"].pid, signal.SIGKILL)
            workers["first"].wait(timeout=30)

    sink = SmtpSink(on_message=kill_first_worker)
    env = _mail_env(sink.port, EMAIL_TIMEOUT="5", NOTICE_CLAIM_SECONDS="3")
    try:
        workers["first"] = start_worker("first", env=env)
        with tenant_context(district), transaction.atomic():  # the batch: three reports, queued on commit
            created = services.progress_reports_create(district=district, as_of=dt.date(2026, 10, 20))
        assert len(created) == 3
        _wait(lambda: workers["first"].poll() is not None, what="the first worker to be killed")
        assert workers["first"].returncode == -signal.SIGKILL
        in_flight = [n for n in _notices(district) if n.send_started_at is not None]
        assert len(in_flight) == 1 and in_flight[0].status == NoticeStatus.GENERATED  # the attempt is on record

        start_worker("restarted", env=env)  # the remaining tasks, and the sweeper's, go to it

        def settled():
            return all(n.status in (NoticeStatus.SENT, NoticeStatus.MAYBE_SENT) for n in _notices(district))

        _wait(settled, what="every notice sent or maybe sent", every=lambda: outbox_sweep(older_than_seconds=0))
        time.sleep(4)  # longer than a claim: a late duplicate would have arrived
        assert outbox_sweep(older_than_seconds=0) == 0
        notices = _notices(district)
        statuses = Counter(n.status for n in notices)
        assert statuses == {NoticeStatus.SENT: 2, NoticeStatus.MAYBE_SENT: 1}
        maybe = next(n for n in notices if n.status == NoticeStatus.MAYBE_SENT)
        assert maybe.pk == in_flight[0].pk
        # 0 lost: every family's letter reached the mail server; 0 duplicated: each exactly once.
        assert sink.recipients() == Counter({n.email: 1 for n in notices})
        assert _verbs(district)["emailed"] == 2 and _verbs(district)["maybe_sent"] == 1
    finally:
        sink.close()


@pytest.mark.django_db(transaction=True)
def test_a_hung_mail_server_times_out_the_send_and_the_worker_goes_on(letters, start_worker, login):
    from mtss.tasks import district_school_count

    side = letters["side"]
    district = side.district
    hung = _Server(lambda conn: None)  # accepts the connection and never says a word
    try:
        start_worker("hung-mail", env=_mail_env(hung.port, EMAIL_TIMEOUT="2"))
        with tenant_context(district), transaction.atomic():
            services.notices_for_event(
                district=district,
                student=side.students[0],
                trigger="tier_start",
                period_key="placement-hung",
                tier=2,
                context={k: v for k, v in FULL_CONTEXT.items() if k != "from_tier"},
            )
        _wait(lambda: [n.status for n in _notices(district)] == ["failed"], what="the send to time out")
        notice = _notices(district)[0]
        assert hung.connections >= 1
        assert "timed out" in notice.last_error
        assert notice.next_attempt_at is not None and notice.send_started_at is None  # retried later, not stuck
        # The worker is free: it runs the next job at once.
        assert district_school_count.apply_async((district.pk,)).get(timeout=60) >= 1
        # The district administrator sees it on the failures list, with the reason.
        page = login(side.district_admin).get(reverse("letter_settings")).content.decode()
        assert f'id="failure-{notice.pk}" data-status="failed"' in page and "timed out" in page
        with tenant_context(district):  # its backoff over, the sweeper hands it to a worker again
            assert services.outbox_due(district=district, now=notice.next_attempt_at, older_than_seconds=0) == [
                notice.pk
            ]
    finally:
        hung.close()


@pytest.fixture
def redis_at():
    """Point this process's broker and result store at another URL, then restore them."""
    original = app.conf.broker_url, app.conf.result_backend

    def point(broker: str, backend: str):
        from kombu import pools

        app.conf.broker_url, app.conf.result_backend = broker, backend
        pools.reset()  # drop the pooled connections and producers of the previous URL
        app._pool = None
        app.amqp._producer_pool = None
        app._backend_cache = None
        app._local.__dict__.pop("backend", None)

    yield point
    point(*original)


@pytest.mark.django_db(transaction=True)
def test_with_redis_down_a_staff_action_returns_at_once_and_the_sweeper_sends_later(
    letters, redis_at, start_worker, login, tmp_path
):
    side = letters["side"]
    district = side.district
    # Redis is down: whatever listens there drops each connection at once. The old publish first
    # subscribed to the result in the result store, which retried 20 times, 1 s apart.
    down = _Server(lambda conn: conn.close())
    try:
        redis_at(f"redis://127.0.0.1:{down.port}/0", f"redis://127.0.0.1:{down.port}/1")
        with tenant_context(district):  # a notice that failed once, for staff to retry
            created = services.notices_for_event(
                district=district,
                student=side.students[0],
                trigger="tier_start",
                period_key="placement-down",
                tier=2,
                context={k: v for k, v in FULL_CONTEXT.items() if k != "from_tier"},
            )
            Notice.objects.filter(pk=created[0].pk).update(status=NoticeStatus.FAILED, last_error="SMTP down")
        down.connections = 0
        client = login(side.district_admin)
        response = client.post(reverse("notice_retry", kwargs={"notice_id": created[0].pk}), {"next": "failures"})
        assert response.status_code == 302 and response["Location"] == reverse("letter_settings")
        assert _notices(district)[0].status == NoticeStatus.PENDING  # committed, left for the sweeper
        assert 1 <= down.connections <= 2  # one refused publish, no retry loop, no result store
    finally:
        down.close()
    redis_at(settings.CELERY_BROKER_URL, settings.CELERY_RESULT_BACKEND)  # Redis is back
    start_worker("after-outage")
    assert outbox_sweep(older_than_seconds=0) == 1
    _wait(lambda: [n.status for n in _notices(district)] == ["sent"], what="the swept notice to be sent")
    assert outbox_sweep(older_than_seconds=0) == 0
    assert _verbs(district)["emailed"] == 1
    folder = tmp_path / "var" / "mail"
    assert sum(p.read_text(errors="ignore").count("\nSubject: ") for p in folder.iterdir()) == 1
