"""Sign-in, sign-out, throttling, password reset, and production security settings."""

import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.core import mail
from django.urls import reverse

from tests.factories import PASSWORD

pytestmark = pytest.mark.django_db
ROOT = Path(__file__).resolve().parent.parent


def test_it_signs_in_and_out(world, client):
    user = world.a.principal
    response = client.post(reverse("login"), {"username": user.username, "password": PASSWORD})
    assert response.status_code == 302 and response["Location"] == "/"
    assert client.get("/").context["membership"].role == "principal"
    assert client.get(reverse("logout")).status_code == 405  # sign-out is a POST (CSRF-protected)
    client.post(reverse("logout"))
    assert client.get(reverse("student_list")).status_code == 302


def test_it_says_clearly_when_the_password_is_wrong(world, client):
    response = client.post(reverse("login"), {"username": world.a.principal.username, "password": "nope"})
    assert response.status_code == 200
    assert "do not match" in response.content.decode()


def test_it_locks_sign_in_after_repeated_failures(world, client, settings):
    user = world.a.principal
    for _ in range(settings.AXES_FAILURE_LIMIT):
        client.post(reverse("login"), {"username": user.username, "password": "wrong"})
    locked = client.post(reverse("login"), {"username": user.username, "password": PASSWORD})
    assert locked.status_code == 429
    assert "paused" in locked.content.decode()


@pytest.fixture
def jobs_in_process():
    """The reset mail goes out from a job (mtss.tasks.password_reset_send): run it in-process."""
    from mtss.celery import app

    previous = app.conf.task_always_eager
    app.conf.task_always_eager = True
    yield
    app.conf.task_always_eager = previous


def test_it_emails_a_password_reset_link(world, client, jobs_in_process):
    user = world.a.principal
    response = client.post(reverse("password_reset"), {"email": user.email})
    assert response.status_code == 302
    assert len(mail.outbox) == 1 and mail.outbox[0].to == [user.email]
    link = next(line for line in mail.outbox[0].body.splitlines() if "/accounts/reset/" in line)
    path = link.split("testserver", 1)[1]
    form = client.get(path, follow=True)
    assert form.context["validlink"]
    done = client.post(
        form.redirect_chain[-1][0], {"new_password1": "a-new-Passw0rd-x", "new_password2": "a-new-Passw0rd-x"}
    )
    assert done.status_code == 302
    response = client.post(reverse("login"), {"username": user.username, "password": "a-new-Passw0rd-x"})
    assert response.status_code == 302


def test_it_does_not_reveal_whether_an_email_has_an_account(world, client, jobs_in_process):
    response = client.post(reverse("password_reset"), {"email": "nobody@example.org"})
    assert response.status_code == 302 and len(mail.outbox) == 0


def test_it_passes_the_deploy_checklist_with_production_settings():
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PYTEST", "DJANGO_"))}
    env.update(
        SECRET_KEY="x" * 20 + "-production-like-secret-key-0123456789abcdef",
        DJANGO_DEBUG="0",
        ALLOWED_HOSTS="mtss.example.org",
        MTSS_TESTING="0",
    )
    result = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_it_refuses_to_start_in_production_without_a_secret_key():
    env = {k: v for k, v in os.environ.items() if not k.startswith("PYTEST")}
    env.update(DJANGO_DEBUG="0", SECRET_KEY="", MTSS_TESTING="0")
    result = subprocess.run([sys.executable, "manage.py", "check"], cwd=ROOT, env=env, capture_output=True, text=True)
    assert result.returncode != 0 and "SECRET_KEY must be set" in result.stderr
