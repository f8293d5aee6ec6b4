from django.apps import AppConfig


def _policy_changed(**kwargs) -> None:
    """mtss.events.POLICY_CHANGED, handled by screening.tasks, imported when a policy changes:
    not at start-up, where it would import Celery for every manage.py command (issue 16, "Start-up")."""
    from screening.tasks import policy_changed

    policy_changed(**kwargs)


class ScreeningConfig(AppConfig):
    name = "screening"

    def ready(self):
        # Imported here, not at module level: models are not loaded when this module is.
        from mtss import events

        events.subscribe(events.POLICY_CHANGED, _policy_changed)
