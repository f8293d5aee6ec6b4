"""The weekly fidelity summary: subscribe, the Monday job builds the PDF and e-mails it once."""

from __future__ import annotations

import datetime as dt
import io

import pytest
from django.conf import settings
from django.core import mail
from django.urls import reverse
from pypdf import PdfReader

from mtss.models import AuditEvent, MembershipSchool
from mtss.tenancy import tenant_context
from reports import services, tasks
from reports.models import ReportDelivery, ReportSubscription
from tests.reports.cases import access_logs
from tests.test_jobs import QUEUE, worker  # noqa: F401  (the real Celery worker fixture and its queue)


def _subscribe(fidelity, login):
    client = login(fidelity["side"].principal)
    url = reverse("reports_subscribe", kwargs={"school_id": fidelity["school"].pk})
    response = client.post(url, {"active": "1", "next": "/reports/subscriptions/"})
    assert response.status_code == 302 and response["Location"] == "/reports/subscriptions/"
    return client, url


def _monday_after(fidelity) -> dt.date:
    """The Monday after the case's range: its week is the case's fourth week."""
    return fidelity["start"] + dt.timedelta(days=28)


def test_a_principal_subscribes_and_unsubscribes(fidelity, login):
    client, url = _subscribe(fidelity, login)
    side = fidelity["side"]
    with tenant_context(side.district):
        subscription = ReportSubscription.objects.get(district=side.district, user=side.principal)
        assert subscription.is_active and subscription.school_id == fidelity["school"].pk
        assert AuditEvent.objects.filter(district=side.district, verb="report.subscribe").count() == 1
    page = client.get(reverse("reports_subscriptions"))
    assert fidelity["school"].name in page.content.decode() and "active" in page.content.decode()
    client.post(url, {"active": "0"})
    with tenant_context(side.district):
        assert not ReportSubscription.objects.get(pk=subscription.pk).is_active
    assert client.get(url).status_code == 405


def test_nobody_subscribes_to_a_school_that_is_not_theirs(fidelity, login, world):
    url = reverse("reports_subscribe", kwargs={"school_id": fidelity["school"].pk})
    assert login(world.b.principal).post(url, {"active": "1"}).status_code == 404
    assert login(fidelity["side"].teacher).post(url, {"active": "1"}).status_code == 404


def test_the_monday_job_emails_the_pdf_once(fidelity, login, monkeypatch):
    _subscribe(fidelity, login)
    side = fidelity["side"]
    monday = _monday_after(fidelity)
    monkeypatch.setattr(tasks.timezone, "localdate", lambda: monday)
    monkeypatch.setattr(
        tasks.send_fidelity_summary, "delay", lambda *args: tasks.send_fidelity_summary.apply(args=args).get()
    )
    assert tasks.weekly_fidelity_summaries_due() == 1
    [message] = mail.outbox
    assert message.to == [side.principal.email]
    assert fidelity["school"].name in message.subject
    name, content, mimetype = message.attachments[0]
    assert mimetype == "application/pdf" and content.startswith(b"%PDF")
    text = " ".join(page.extract_text() for page in PdfReader(io.BytesIO(content)).pages)
    assert fidelity["school"].name in text and "Sessions attended" in text
    # The last full week is the case's fourth: G1 met 4 times, P3 5 times (4 present, 1 provider absent).
    week_start = fidelity["start"] + dt.timedelta(days=21)
    assert f"{week_start.isoformat()}" in text
    for student in ("Ames", "Baker", "Cole", "Diaz"):
        assert student not in text  # aggregates only
    with tenant_context(side.district):
        delivery = ReportDelivery.objects.get(district=side.district)
        assert (delivery.status, delivery.period_start, delivery.attempts) == ("sent", week_start, 1)
    [log] = access_logs(side.district, action="export")
    assert log.student_ids == [] and "weekly fidelity summary" in log.what
    # A second beat, or a retry, sends nothing more.
    assert tasks.weekly_fidelity_summaries_due() == 0
    with tenant_context(side.district):
        assert services.delivery_send(district=side.district, delivery_id=delivery.pk) is None
    assert len(mail.outbox) == 1


def test_a_failed_send_is_recorded_and_retried(fidelity, login, monkeypatch):
    _subscribe(fidelity, login)
    side = fidelity["side"]
    with tenant_context(side.district):
        [delivery_id] = services.deliveries_due(district=side.district, today=_monday_after(fidelity))
    from django.core.mail import EmailMessage

    original = EmailMessage.send
    monkeypatch.setattr(EmailMessage, "send", lambda self, **kw: (_ for _ in ()).throw(OSError("smtp down")))
    with tenant_context(side.district), pytest.raises(OSError):
        services.delivery_send(district=side.district, delivery_id=delivery_id)
    with tenant_context(side.district):
        delivery = ReportDelivery.objects.get(pk=delivery_id)
        assert (delivery.status, delivery.attempts, delivery.last_error) == ("failed", 1, "smtp down")
        assert services.deliveries_due(district=side.district, today=_monday_after(fidelity)) == [delivery_id]
    monkeypatch.setattr(EmailMessage, "send", original)
    with tenant_context(side.district):
        assert services.delivery_send(district=side.district, delivery_id=delivery_id).status == "sent"
    assert len(mail.outbox) == 1


def test_a_principal_who_left_the_school_gets_nothing(fidelity, login):
    _subscribe(fidelity, login)
    side = fidelity["side"]
    with tenant_context(side.district):
        MembershipSchool.objects.filter(district=side.district, membership__user=side.principal).delete()
        [delivery_id] = services.deliveries_due(district=side.district, today=_monday_after(fidelity))
        delivery = services.delivery_send(district=side.district, delivery_id=delivery_id)
        assert delivery.status == "skipped"
        assert not ReportSubscription.objects.get(district=side.district, user=side.principal).is_active
    assert mail.outbox == []


def test_the_pdf_download_matches_the_dashboard(fidelity, login):
    client = login(fidelity["side"].principal)
    url = reverse("reports_fidelity_pdf", kwargs={"school_id": fidelity["school"].pk})
    response = client.get(url, {"start": fidelity["start"].isoformat(), "end": fidelity["end"].isoformat()})
    assert response.status_code == 200 and response.content.startswith(b"%PDF")
    text = " ".join(page.extract_text() for page in PdfReader(io.BytesIO(response.content)).pages)
    assert "65%" in text and "Alex Archer" in text  # 44 of 68 sessions; by interventionist
    assert client.get(url, {"start": "nonsense"}).status_code == 400


@pytest.fixture
def mail_dir(tmp_path, monkeypatch):
    """The worker process writes mail as files here (its own settings read the environment)."""
    monkeypatch.setenv("MTSS_VAR_DIR", str(tmp_path))
    monkeypatch.setenv("EMAIL_BACKEND", "django.core.mail.backends.filebased.EmailBackend")
    return tmp_path / "mail"


@pytest.mark.redis
@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_a_real_worker_sends_the_weekly_summary(mail_dir, fidelity, login, worker):  # noqa: F811
    """mail_dir comes first: the worker process starts with its environment."""
    assert worker.poll() is None and not settings.CELERY_TASK_ALWAYS_EAGER
    _subscribe(fidelity, login)
    side = fidelity["side"]
    with tenant_context(side.district):
        [delivery_id] = services.deliveries_due(district=side.district, today=_monday_after(fidelity))
    result = tasks.send_fidelity_summary.apply_async(args=[side.district.pk, delivery_id], queue=QUEUE)
    assert result.get(timeout=120) == "sent"
    with tenant_context(side.district):
        assert ReportDelivery.objects.get(pk=delivery_id).status == "sent"
    files = list(mail_dir.glob("*.log"))
    assert len(files) == 1 and side.principal.email in files[0].read_text(errors="replace")
