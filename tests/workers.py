"""Real Celery workers (and beat) for tests, as subprocesses against the test database and the real broker."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import pytest
from django.conf import settings
from django.db import connection

from mtss.celery import app

ROOT = Path(__file__).resolve().parent.parent


def _env(tmp_path, extra: dict | None = None) -> dict:
    db = connection.settings_dict
    env = dict(
        os.environ,
        MTSS_TESTING="1",
        DJANGO_SETTINGS_MODULE="mtss.settings",
        DATABASE_URL=f"postgres://{db['USER']}:{db['PASSWORD'] or ''}@{db['HOST']}:{db['PORT']}/{db['NAME']}",
        MEDIA_ROOT=str(settings.MEDIA_ROOT),
        MTSS_VAR_DIR=str(tmp_path / "var"),
        EMAIL_BACKEND="django.core.mail.backends.filebased.EmailBackend",
    )
    env.update(extra or {})  # a fault test's mail server, timeouts and claim length
    return env


@pytest.fixture
def start_worker(tmp_path):
    # Tasks that earlier tests queued on the shared broker (imports' recomputations, notices) would
    # reach this test's workers first and hold up its own; drop them before the test queues anything.
    app.control.purge()
    processes = []

    def start(name: str, *extra: str, app_module: str = "mtss", kind: str = "worker", env: dict | None = None):
        hostname = f"{name}-{os.getpid()}"
        args = [sys.executable, "-m", "celery", "-A", app_module, kind, "--loglevel=WARNING"]
        if kind == "worker":
            args += ["--pool=solo", f"--hostname={hostname}@%h"]
        else:
            args += [f"--schedule={tmp_path / 'beat-schedule'}", "--max-interval=1"]
        process = subprocess.Popen(
            args + list(extra),
            cwd=ROOT,
            env=_env(tmp_path, env),
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        processes.append(process)
        if kind != "worker":
            return process
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if process.poll() is not None:
                pytest.fail(f"the worker exited: {process.stdout.read()}")
            if app.control.ping(timeout=0.5, destination=[f"{hostname}@{os.uname().nodename}"]):
                return process
        pytest.fail("the Celery worker did not answer within 60 s")

    yield start
    for process in processes:  # only the processes this fixture started, by their handles
        process.terminate()
    for process in processes:
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
