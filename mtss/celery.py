"""The Celery app. Tasks take ids and call services (see ARCHITECTURE.md, Jobs).

The beat schedule is CELERY_BEAT_SCHEDULE in mtss/settings.py (task names only).
"""

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "mtss.settings")

app = Celery("mtss")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
