from django.apps import AppConfig


class StudentsConfig(AppConfig):
    name = "students"

    def ready(self):
        # Imported here, not at module level: models are not loaded when this module is.
        from mtss import events
        from students.privacy.services import api_disclosure_record

        # An API client read student rows (mtss.access_log.AccessLoggedList): the record of disclosures.
        events.subscribe(events.STUDENT_DATA_DISCLOSED, api_disclosure_record)
