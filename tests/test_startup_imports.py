"""Management commands start without the heavy libraries (issue 16, item 7, "Start-up").

pandas, numpy and WeasyPrint take seconds to import; only the reports that chart, group
or print need them, and those import them where they are used. Every `manage.py` call
(a cron job, a migration, a health check) pays for whatever Django's start-up imports,
so setup and `manage.py help` must not pull them in. Checked in a fresh interpreter
(the test process itself has imported everything); not timed.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
# The libraries of jobs, the API schema and SAML sign-in: only what sends a task (the tasks
# modules import mtss.celery), serves or checks the schema (mtss/urls.py) or signs in by SAML
# needs them; the beat schedule's crontabs are data in the settings (mtss/settings.py `cron`).
HEAVY = ("pandas", "numpy", "weasyprint", "celery", "kombu", "redis", "drf_spectacular.plumbing", "saml2", "xmlsec")
REPORT = "import json, sys; print(json.dumps(sorted(m for m in {heavy!r} if m in sys.modules)))"


def _run(code: str) -> subprocess.CompletedProcess:
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "mtss.settings_test"}
    return subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True, timeout=300)


@pytest.mark.parametrize(
    "start",
    [
        "import django; django.setup()",
        # What `manage.py help` does: set up Django and load every app's command list.
        "import django; django.setup(); from django.core.management import get_commands; get_commands()",
        # A command that needs none of them, loaded as manage.py would load it.
        "import django; django.setup(); from django.core.management import load_command_class;"
        " load_command_class('demo', 'seed_demo')",
    ],
    ids=["setup", "help", "seed_demo"],
)
def test_start_up_imports_no_heavy_library(start):
    done = _run(f"{start}\n{REPORT.format(heavy=HEAVY)}")
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout.strip().splitlines()[-1]) == []


def test_loading_every_page_imports_no_data_library():
    # `manage.py check` and a web worker's boot import every URL's views; the report pages
    # import pandas and numpy in the functions that group with them, not at the top.
    done = _run(
        "import django; django.setup(); from django.urls import get_resolver; get_resolver().url_patterns\n"
        "import json, sys; print(json.dumps(sorted(m for m in ('pandas', 'numpy', 'weasyprint') if m in sys.modules)))"
    )
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout.strip().splitlines()[-1]) == []


def test_the_celery_app_still_has_its_crontabs():
    # mtss.celery builds Celery's crontab from the settings' data when Celery configures itself.
    code = (
        "import django; django.setup(); from mtss.celery import app;"
        " entry = app.conf.beat_schedule['reports-retention-nightly']['schedule'];"
        " print(type(entry).__name__, sorted(entry.hour), sorted(entry.minute))"
    )
    done = _run(code)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip().splitlines()[-1] == "crontab [3] [15]"


def test_a_tasks_module_makes_the_project_app_current():
    done = _run(
        "import django; django.setup(); import screening.tasks; from celery import current_app; print(current_app.main)"
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip().splitlines()[-1] == "mtss"


def test_the_check_sees_a_heavy_import():
    # The check can fail: importing the batch engine, which is built on pandas, shows pandas.
    done = _run(f"import django; django.setup(); import mtss.rules.batch\n{REPORT.format(heavy=HEAVY)}")
    assert done.returncode == 0, done.stderr
    assert "pandas" in json.loads(done.stdout.strip().splitlines()[-1])
