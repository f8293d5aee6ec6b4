from django.apps import AppConfig


class NotificationsConfig(AppConfig):
    name = "notifications"

    def ready(self):
        # Imported here, not at module level: models are not loaded when this module is.
        from mtss import events
        from notifications import triggers
        from notifications.services import notices_for_event, rimp_letter_queue

        # A team decision's parent notices (interventions.meetings.services.decision_apply).
        events.subscribe(events.DECISION_NOTICE_DUE, notices_for_event)
        # Every other policy trigger, from the event that causes it (notifications/triggers.py).
        events.subscribe(events.MEETING_SCHEDULED, triggers.on_meeting_scheduled)
        events.subscribe(events.AGENDA_STUDENTS_ADDED, triggers.on_agenda_students_added)
        events.subscribe(events.MEETING_CLOSED, triggers.on_meeting_closed)
        events.subscribe(events.PLACEMENT_STARTED, triggers.on_placement_started)
        events.subscribe(events.STUDENTS_ENROLLED, triggers.on_students_enrolled)
        events.subscribe(events.GUARDIAN_ADDED, triggers.on_guardian_added)
        events.subscribe(events.NOT_ON_TRACK_DETERMINED, triggers.on_not_on_track)
        # An approved Reading Improvement and Monitoring Plan's letter (interventions.rimp.services.rimp_approve).
        events.subscribe(events.RIMP_APPROVED, rimp_letter_queue)
