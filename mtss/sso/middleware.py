"""Issue 15: "TOTP is required for district administrators": until one has enrolled, every page
sends them to the enrolment page first (the roles are MTSS_MFA_REQUIRED_ROLES)."""

from __future__ import annotations

from allauth.mfa.models import Authenticator
from allauth.mfa.utils import is_mfa_enabled
from django.conf import settings
from django.http import JsonResponse
from django.shortcuts import redirect
from django.urls import reverse

# allauth's MFA and re-authentication pages (/sso/), signing out, and the assets they need.
EXEMPT_PREFIXES = ("/sso/", "/accounts/logout/", "/static/", "/i18n/", "/healthz")


class RequireMfaMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        membership = getattr(request, "membership", None)
        if (
            membership is not None
            and membership.role in settings.MTSS_MFA_REQUIRED_ROLES
            and not request.path.startswith(EXEMPT_PREFIXES)
            and not is_mfa_enabled(request.user, [Authenticator.Type.TOTP])
        ):
            if request.path.startswith("/api/"):
                return JsonResponse(
                    {"detail": "Two-factor authentication is required for your role: enrol at /sso/2fa/."}, status=403
                )
            return redirect(reverse("mfa_activate_totp"))
        return self.get_response(request)
