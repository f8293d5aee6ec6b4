from django.apps import AppConfig
from django.db.models.signals import post_migrate


def _secure_tables(sender, using="default", **kwargs):
    # Infrastructure, not business logic: keep the database's own guard in step
    # with the models after every migrate.
    from mtss.rls import ensure_row_level_security

    # post_migrate fires once per app after all migrations ran; once is enough.
    if sender.name == "mtss":
        ensure_row_level_security()


class MtssConfig(AppConfig):
    name = "mtss"
    verbose_name = "MTSS core"

    def ready(self) -> None:
        post_migrate.connect(_secure_tables, dispatch_uid="mtss.rls")
        from mtss.db.colocation import tie_district_joins
        from mtss.rls import district_models

        # Joins between district tables equate district_id too: co-located on Citus (README).
        tie_district_joins(district_models())
        # Not imported here, so that manage.py starts without them (issue 16, "Start-up"): the
        # OpenAPI extension (drf-spectacular) is registered by mtss/urls.py, which serves the
        # schema, and the Celery app by each tasks module, which sends the tasks.
        from mtss.sso import receivers  # noqa: F401  (MFA enrolments and resets into the audit trail)
