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
        from mtss import (
            api_schema,  # noqa: F401  (registers the OpenAPI auth extension)
            celery,  # noqa: F401  (binds @shared_task to the project's Celery app)
        )
        from mtss.sso import receivers  # noqa: F401  (MFA enrolments and resets into the audit trail)
