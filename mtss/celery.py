"""The Celery app. Tasks take ids and call services (see ARCHITECTURE.md, Jobs).

The beat schedule is CELERY_BEAT_SCHEDULE in mtss/settings.py (task names only, and crontabs as
data, `cron(...)`, which `_crontabs` turns into Celery's when Celery reads its configuration).
"""

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "mtss.settings")


def _crontabs(sender, **kwargs) -> None:
    from celery.schedules import crontab

    sender.conf.beat_schedule = {
        name: {**entry, "schedule": crontab(**entry["schedule"]["crontab"])}
        if isinstance(entry["schedule"], dict)
        else entry
        for name, entry in sender.conf.beat_schedule.items()
    }


app = Celery("mtss")
app.on_after_configure.connect(_crontabs)
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
