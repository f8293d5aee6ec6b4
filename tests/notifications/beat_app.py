"""The project's Celery app with a fast beat schedule, for the end-to-end beat test:
the same tasks as mtss/celery.py's schedule, every two seconds instead of daily."""

from mtss.celery import app

app.conf.beat_schedule = {
    "notices-outbox-sweep": {
        "task": "notifications.tasks.outbox_sweep",
        "schedule": 2.0,
        "kwargs": {"older_than_seconds": 0},
    },
    "notices-progress-reports": {"task": "notifications.tasks.progress_reports_due", "schedule": 2.0},
}
