"""The family's own session: separate from staff sign-in, so neither side accepts the other.

Staff pages ask `request.user` (django.contrib.auth); the portal never sets it. The portal
asks its own session key, which staff sign-in never sets. Signing in on one side clears the
session (`flush`), so one browser is never both.
"""

from __future__ import annotations

from functools import wraps

from django.conf import settings
from django.shortcuts import redirect
from django.utils import translation
from django_ratelimit.core import is_ratelimited

from mtss.tenancy import activate
from notifications.portal.models import GuardianAccount

SESSION_KEY = "_portal_account"


def sign_in(request, *, account_id: int, district_id: int) -> None:
    request.session.flush()  # ends any staff session in this browser, and fixes the session id anew
    request.session[SESSION_KEY] = {"account": account_id, "district": district_id}


def sign_out(request) -> None:
    request.session.flush()


def _account(request) -> GuardianAccount | None:
    if getattr(request.user, "is_authenticated", False):
        return None  # staff are never families, even with a stale portal key
    data = request.session.get(SESSION_KEY)
    if not isinstance(data, dict):
        return None
    activate(district=data.get("district"))
    account = (
        GuardianAccount.objects.select_related("district")
        .filter(pk=data.get("account"), district_id=data.get("district"), is_active=True)
        .first()
    )
    if account is None:
        activate(district=None)
    return account


def family_required(view):
    """A signed-in family account, its district active and its language on; else the sign-in page."""

    @wraps(view)
    def wrapper(request, *args, **kwargs):
        account = _account(request)
        if account is None:
            return redirect("portal_sign_in")
        request.account = account
        request.district = account.district  # the access log's district (mtss.access_log.flush)
        with translation.override(account.language):
            request.LANGUAGE_CODE = account.language
            response = view(request, *args, **kwargs)
            if hasattr(response, "render") and not getattr(response, "is_rendered", True):
                response.render()
        return response

    return wrapper


def attempt_limited(request, group: str) -> bool:
    """Counts one sign-in or code attempt for this client IP; True over PORTAL_RATE_PER_IP."""
    return is_ratelimited(
        request, group=f"portal-{group}", key="ip", rate=lambda g, r: settings.PORTAL_RATE_PER_IP, increment=True
    )
