from django.apps import AppConfig


class ScreeningConfig(AppConfig):
    name = "screening"

    def ready(self):
        # Imported here, not at module level: models are not loaded when this module is.
        from mtss import events
        from screening.tasks import policy_changed

        events.subscribe(events.POLICY_CHANGED, policy_changed)
