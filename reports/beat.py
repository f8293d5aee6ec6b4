"""The reports app's entries of the Celery beat schedule (merged into mtss/celery.py).

Each entry fans out to every district; the tasks are idempotent (a delivery per
subscription and week is unique and claimed; the snapshot is replaced whole), so
a beat that fires twice sends nothing twice.
"""
from celery.schedules import crontab

BEAT_SCHEDULE = {
    # Monday morning, after the weekend: last week's fidelity summary to subscribers.
    "reports-weekly-fidelity": {"task": "reports.tasks.weekly_fidelity_summaries_due",
                                "schedule": crontab(hour=6, minute=45, day_of_week="mon")},
    # Nightly: the district dashboard's evaluation snapshot (reports.models.PlanEvaluation).
    "reports-evaluations-nightly": {"task": "reports.tasks.refresh_evaluations_all",
                                    "schedule": crontab(hour=2, minute=15)},
}
