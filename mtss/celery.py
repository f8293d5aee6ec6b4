"""The Celery app. Tasks take ids and call services (see ARCHITECTURE.md, Jobs)."""
import os

from celery import Celery
from celery.schedules import crontab

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "mtss.settings")

app = Celery("mtss")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()

from reports.beat import BEAT_SCHEDULE as REPORTS_BEAT  # noqa: E402

# A small fixed schedule; each entry fans out to the districts that are due, and every
# task is idempotent (a notice's unique key, claimed sends), so a beat that fires twice
# or a second beat process never sends a letter twice (ARCHITECTURE.md, Jobs).
app.conf.beat_schedule = {
    "notices-outbox-sweep": {"task": "notifications.tasks.outbox_sweep", "schedule": 60.0},
    "notices-progress-reports": {"task": "notifications.tasks.progress_reports_due",
                                 "schedule": crontab(hour=6, minute=0)},
    "notices-screening-results": {"task": "notifications.tasks.screening_letters_due",
                                  "schedule": crontab(hour=6, minute=15)},
    "notices-staff-reminders": {"task": "notifications.tasks.staff_reminders_due",
                                "schedule": crontab(hour=6, minute=30, day_of_week="mon")},
    # One assignment, never app.conf.<...>.update(): reading app.conf loads the Django
    # settings, and importing the package must not (python -m mtss.rules.evaluate runs
    # without a SECRET_KEY; README, "Evaluating one case").
    **REPORTS_BEAT,
}
