"""Rate limits in the shared cache (django-ratelimit), and the 429 page they answer with.

- sign-in: failed attempts per client IP (LOGIN_RATE_PER_IP), beside django-axes'
  lockout of one username from one IP (settings, "Login throttling");
- password reset: requests per client IP and per e-mail address;
- PDFs rendered on request: per district and user (PDF_RATE_PER_USER).

Rates come from settings when the request arrives, so a deployment (or a test) can
change them. The client IP is mtss.client_ip's (RATELIMIT_IP_META_KEY).
"""

from __future__ import annotations

from django.conf import settings
from django.shortcuts import render
from django.utils.translation import gettext as _
from django_ratelimit.core import get_usage, is_ratelimited


def _rate(name: str):
    return lambda group, request: getattr(settings, name)


def _user_key(group, request) -> str:
    district = getattr(request, "district", None)
    return f"{district.pk if district else '-'}:{request.user.pk}"


def _email_key(group, request) -> str:
    return request.POST.get("email", "").strip().lower()


def login_failures_exceeded(request) -> bool:
    """Has this client IP failed to sign in as often as allowed? (Checks; does not count.)"""
    usage = get_usage(request, group="login-ip", key="ip", rate=_rate("LOGIN_RATE_PER_IP"), increment=False)
    return usage is not None and usage["count"] >= usage["limit"]


def login_failed(request) -> None:
    is_ratelimited(request, group="login-ip", key="ip", rate=_rate("LOGIN_RATE_PER_IP"), increment=True)


def password_reset_limited(request) -> bool:
    """Counts this request against the client IP and the e-mail it names; True over either limit."""
    by_ip = is_ratelimited(
        request, group="reset-ip", key="ip", rate=_rate("PASSWORD_RESET_RATE_PER_IP"), increment=True
    )
    by_email = is_ratelimited(
        request, group="reset-email", key=_email_key, rate=_rate("PASSWORD_RESET_RATE_PER_EMAIL"), increment=True
    )
    return by_ip or by_email


def pdf_render_limited(request) -> bool:
    """Counts one PDF render for this district and user; True over the limit."""
    return is_ratelimited(request, group="pdf", key=_user_key, rate=_rate("PDF_RATE_PER_USER"), increment=True)


def too_many_requests(request, message: str, *, group: str, key, rate_setting: str):
    usage = get_usage(request, group=group, key=key, rate=_rate(rate_setting), increment=False) or {}
    retry_after = max(int(usage.get("time_left") or 60), 1)
    response = render(
        request,
        "429.html",
        {"message": message, "minutes": max(retry_after // 60, 1)},
        status=429,
    )
    response["Retry-After"] = str(retry_after)
    return response


def login_too_many(request):
    return too_many_requests(
        request,
        _("Too many failed sign-ins from your network. Wait a few minutes, or reset your password."),
        group="login-ip",
        key="ip",
        rate_setting="LOGIN_RATE_PER_IP",
    )


def password_reset_too_many(request):
    return too_many_requests(
        request,
        _("Too many password reset requests. Wait a while, then ask again; check your spam folder meanwhile."),
        group="reset-ip",
        key="ip",
        rate_setting="PASSWORD_RESET_RATE_PER_IP",
    )


def pdf_too_many(request):
    return too_many_requests(
        request,
        _("You have downloaded many documents in a short time. Wait a minute, then try again."),
        group="pdf",
        key=_user_key,
        rate_setting="PDF_RATE_PER_USER",
    )


class PdfRenderRefused(Exception):
    pass


def pdf_render_limit(view):
    """For a view that renders a PDF in the request: each render the cache cannot spare
    counts against the user (PDF_RATE_PER_USER); over the limit, a 429 page instead.
    A repeat download of an unchanged document comes from the cache and is not counted."""
    from functools import wraps

    from mtss.pdf import render_guard

    def guard(request):
        if pdf_render_limited(request):
            raise PdfRenderRefused

    @wraps(view)
    def wrapped(request, *args, **kwargs):
        token = render_guard.set(lambda: guard(request))
        try:
            return view(request, *args, **kwargs)
        except PdfRenderRefused:
            request.__dict__.pop("_access_log", None)  # nothing was exported
            return pdf_too_many(request)
        finally:
            render_guard.reset(token)

    return wrapped
