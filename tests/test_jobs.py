"""The real Redis and a real Celery worker (deselected only in the no-Redis fallback)."""

import os
import subprocess
import sys
import time
from pathlib import Path

import pytest
import redis
from django.conf import settings
from django.core.cache import cache
from django.db import connection

from mtss.celery import app
from mtss.tasks import district_school_count

pytestmark = pytest.mark.redis
ROOT = Path(__file__).resolve().parent.parent
QUEUE = f"test-jobs-{os.getpid()}"


@pytest.fixture
def worker(tmp_path):
    """A Celery worker process against the test database and the real broker."""
    db = connection.settings_dict
    env = dict(
        os.environ,
        MTSS_TESTING="1",
        DJANGO_SETTINGS_MODULE="mtss.settings",
        DATABASE_URL=f"postgres://{db['USER']}:{db['PASSWORD'] or ''}@{db['HOST']}:{db['PORT']}/{db['NAME']}",
    )
    pidfile = tmp_path / "worker.pid"
    # Its own queue: tasks other tests left in the shared broker never reach it.
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "celery",
            "-A",
            "mtss",
            "worker",
            "--pool=solo",
            "--loglevel=WARNING",
            f"--pidfile={pidfile}",
            f"--hostname=test-{os.getpid()}@%h",
            f"--queues={QUEUE}",
        ],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if process.poll() is not None:
            pytest.fail(f"the worker exited: {process.stdout.read()}")
        if app.control.ping(timeout=0.5, destination=[f"test-{os.getpid()}@{os.uname().nodename}"]):
            break
    else:
        process.kill()
        pytest.fail("the Celery worker did not answer within 60 s")
    yield process
    process.terminate()
    process.wait(timeout=30)


def test_the_cache_is_the_real_redis():
    assert settings.CACHES["default"]["BACKEND"].endswith("RedisCache")
    cache.set("mtss-test-probe", "ok", 30)
    client = redis.Redis.from_url(settings.REDIS_URL)
    assert any(b"mtss-test-probe" in key for key in client.keys("*mtss-test-probe*"))
    assert cache.get("mtss-test-probe") == "ok"


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_a_real_worker_runs_a_task_scoped_to_the_district(world, worker):
    assert not settings.CELERY_TASK_ALWAYS_EAGER
    result = district_school_count.apply_async(args=[world.a.district.pk], queue=QUEUE)
    assert result.get(timeout=60) == 2  # the worker saw district a's two schools through row-level security
