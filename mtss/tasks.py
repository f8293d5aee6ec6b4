"""Core Celery tasks. Tasks take ids, scope themselves to the district, and call
selectors or services (ARCHITECTURE.md, Jobs)."""

from celery import shared_task

import mtss.celery  # noqa: F401  (the project's app is current before a task is sent; README, "Jobs")
from mtss.models import District
from mtss.selectors import school_list
from mtss.tenancy import tenant_context


@shared_task
def district_school_count(district_id: int) -> int:
    """A health check that crosses the whole job path: broker, worker, database under RLS."""
    district = District.objects.get(pk=district_id)
    with tenant_context(district):
        return school_list(district=district).count()


@shared_task(ignore_result=True)
def password_reset_send(email: str, domain: str, use_https: bool) -> None:
    """Send the reset link if the address has an active account (Django's own form does the lookup)."""
    from django.contrib.auth.forms import PasswordResetForm

    form = PasswordResetForm({"email": email})
    if form.is_valid():
        form.save(domain_override=domain, use_https=use_https)
