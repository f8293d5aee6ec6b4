"""The students app's Celery tasks (found by autodiscovery): the early-warning jobs."""

from students.early_warning.tasks import indicators_refresh, indicators_refresh_all  # noqa: F401
