"""Fixtures for the notices tests: files under a temporary MEDIA_ROOT, and a district whose
policy offers every letter language with a Tier 2 reading group that has probes and sessions."""

from __future__ import annotations

import pytest

from tests.notifications.helpers import add_point_cards, add_progress, all_language_policy, use_policy


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    from notifications.letters import render

    # The workers' one-minute letterhead memo is keyed by district id, and SQLite reuses
    # ids after a rolled-back test: start each test with an empty memo.
    render._letterheads.clear()
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"


@pytest.fixture(autouse=True)
def _jobs_in_process(request):
    """Run notice jobs in-process (as the demo does), except in test_jobs.py and
    test_faults.py, which start real workers. Without this, with REDIS_URL set, a test's send tasks would
    wait in the shared broker for whichever worker starts next."""
    from mtss.celery import app

    if request.module.__name__.endswith(("test_jobs", "test_faults")):
        yield
        return
    previous = app.conf.task_always_eager
    app.conf.task_always_eager = True
    yield
    app.conf.task_always_eager = previous


@pytest.fixture
def letters(program):
    """`program` (Loudon) with every letter language offered and six weeks of progress."""
    side = program["side"]
    use_policy(side.district, all_language_policy())
    for plan in program["plans"]:
        add_progress(plan)
    add_point_cards(program["plans"][0])  # the check-in/check-out card summary letter
    return program
