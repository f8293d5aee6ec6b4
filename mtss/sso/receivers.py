"""The audit trail of MFA changes (issue 15: "an audit event for each enrolment and reset").

allauth reports enrolment, removal and reset of an authenticator only through these signals;
each receiver hands straight to a service (mtss.sso.services.mfa_recorded).
"""

from __future__ import annotations

from allauth.mfa import signals
from django.dispatch import receiver

from mtss.sso import services


@receiver(signals.authenticator_added, dispatch_uid="mtss.sso.mfa_added")
def _added(sender, request, user, authenticator, **kwargs):
    services.mfa_recorded(user=user, verb="mfa.enrolled", authenticator_type=authenticator.type)


@receiver(signals.authenticator_removed, dispatch_uid="mtss.sso.mfa_removed")
def _removed(sender, request, user, authenticator, **kwargs):
    services.mfa_recorded(user=user, verb="mfa.removed", authenticator_type=authenticator.type)


@receiver(signals.authenticator_reset, dispatch_uid="mtss.sso.mfa_reset")
def _reset(sender, request, user, authenticator, **kwargs):
    services.mfa_recorded(user=user, verb="mfa.reset", authenticator_type=authenticator.type)
