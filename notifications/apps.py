from django.apps import AppConfig


class NotificationsConfig(AppConfig):
    name = "notifications"

    def ready(self):
        # Imported here, not at module level: models are not loaded when this module is.
        from mtss import events
        from notifications.services import notices_for_event, rimp_letter_queue

        # A team decision's parent notices (interventions.meetings.services.decision_apply).
        events.subscribe(events.DECISION_NOTICE_DUE, notices_for_event)
        # An approved Reading Improvement and Monitoring Plan's letter (interventions.rimp.services.rimp_approve).
        events.subscribe(events.RIMP_APPROVED, rimp_letter_queue)
