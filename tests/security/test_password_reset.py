"""Password reset: throttled per client IP and per e-mail, and the same work for any address.

Issue 16, web hardening: the reset form was not throttled, and it answered an unknown
address faster than a known one (25 vs 44 ms), because only a known one got its mail
rendered and sent in the request.
"""

from __future__ import annotations

import pytest
from django.core import mail
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

pytestmark = pytest.mark.django_db


@pytest.fixture
def queued(monkeypatch):
    from mtss.tasks import password_reset_send

    calls = []
    monkeypatch.setattr(password_reset_send, "apply_async", lambda args, **kw: calls.append(args))
    return calls


def test_it_does_the_same_work_for_a_known_and_an_unknown_address(world, client, queued):
    known = world.a.principal.email
    with CaptureQueriesContext(connection) as for_known:
        first = client.post(reverse("password_reset"), {"email": known})
    with CaptureQueriesContext(connection) as for_unknown:
        second = client.post(reverse("password_reset"), {"email": "nobody@example.org"})
    assert (first.status_code, first["Location"]) == (second.status_code, second["Location"])
    assert [q["sql"] for q in for_known.captured_queries] == [q["sql"] for q in for_unknown.captured_queries]
    assert mail.outbox == []  # nothing is looked up or sent in the request
    assert queued == [(known, "testserver", False), ("nobody@example.org", "testserver", False)]


def test_the_job_mails_only_a_known_address(world):
    from mtss.tasks import password_reset_send

    password_reset_send("nobody@example.org", "mtss.example.org", True)
    assert mail.outbox == []
    password_reset_send(world.a.principal.email, "mtss.example.org", True)
    [message] = mail.outbox
    assert message.to == [world.a.principal.email] and "https://mtss.example.org/accounts/reset/" in message.body


def test_it_throttles_requests_per_address(world, client, settings, queued):
    settings.PASSWORD_RESET_RATE_PER_EMAIL = "2/h"
    email = world.a.principal.email
    for ip in ("198.51.100.1", "198.51.100.2"):
        assert client.post(reverse("password_reset"), {"email": email}, REMOTE_ADDR=ip).status_code == 302
    throttled = client.post(reverse("password_reset"), {"email": email.upper()}, REMOTE_ADDR="198.51.100.3")
    assert throttled.status_code == 429
    assert "Too many password reset requests" in throttled.content.decode()
    assert len(queued) == 2


def test_it_throttles_requests_per_client_ip(world, client, settings, queued):
    settings.PASSWORD_RESET_RATE_PER_IP = "3/h"
    for n in range(3):
        assert client.post(reverse("password_reset"), {"email": f"x{n}@example.org"}).status_code == 302
    assert client.post(reverse("password_reset"), {"email": "x9@example.org"}).status_code == 429
    other = client.post(reverse("password_reset"), {"email": "x9@example.org"}, REMOTE_ADDR="198.51.100.7")
    assert other.status_code == 302
