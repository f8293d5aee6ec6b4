"""Request-wide guards, and the request's district from the signed-in user's membership."""

from __future__ import annotations

from http import HTTPStatus

from django.db import transaction
from django.http import FileResponse, HttpResponseBadRequest, JsonResponse
from django.utils.cache import add_never_cache_headers
from rest_framework.response import Response as ApiResponse

from mtss import access_log
from mtss.selectors import membership_for_request
from mtss.tenancy import activate, current_scope, scope_context, tenant_context

FORM_TYPES = ("application/x-www-form-urlencoded", "multipart/form-data")


# allauth's SAML views (mtss/urls.py mounts them under /sso/).
SAML_PREFIX = "/sso/saml/"


def _is_api(request) -> bool:
    return request.path.startswith("/api/")


class RequestGuardMiddleware:
    """Outermost checks every endpoint shares, so no view has to remember them.

    - A NUL byte in a query parameter or a form field is a 400 naming it: PostgreSQL
      cannot store or compare it, and the query would fail with a 500. (JSON bodies:
      DRF's fields refuse it themselves.)
    - The API answers errors in JSON, even those Django renders itself (500, the
      400/413 of a body that is too large, an unknown path's 404).
    - Pages for a signed-in user and API responses show student data: no cache
      (browser, proxy) may keep them (`Cache-Control: no-store`).
    - A SAML request without a Host header is a 400: allauth's SAML views build their
      addresses from it and would fail with a 500 (HTTP/1.1 requires the header; only a
      hand-made request omits it).
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        name = self._nul_field(request)
        if name is not None:
            response = self._bad_parameter(request, name.replace("\x00", ""))
        elif request.path.startswith(SAML_PREFIX) and not request.META.get("HTTP_HOST"):
            response = HttpResponseBadRequest("Host: the request must name its host.", content_type="text/plain")
        else:
            response = self.get_response(request)
        if (
            _is_api(request)
            and response.status_code >= 400
            and not isinstance(response, ApiResponse)
            and "json" not in response.get("Content-Type", "")
        ):
            response = self._as_json(response)
        user = getattr(request, "user", None)
        if (_is_api(request) or (user is not None and user.is_authenticated)) and not response.has_header(
            "Cache-Control"
        ):
            add_never_cache_headers(response)
        return response

    @staticmethod
    def _nul_field(request) -> str | None:
        sources = [request.GET]
        # Pages' forms. The API parses its own body (DRF's fields refuse NUL); reading it here
        # would consume the stream. A body Django refuses (too large, too many fields) raises a
        # SuspiciousOperation here, which Django answers with a 400, as CSRF's check would.
        if request.method == "POST" and not _is_api(request) and request.content_type in FORM_TYPES:
            sources.append(request.POST)
        for source in sources:
            for name, values in source.lists():
                if "\x00" in name or any(isinstance(v, str) and "\x00" in v for v in values):
                    return name
        return None

    @staticmethod
    def _bad_parameter(request, name: str):
        message = "Null characters are not allowed."
        if _is_api(request):
            return JsonResponse({name: [message]}, status=400)
        return HttpResponseBadRequest(f"{name}: {message}", content_type="text/plain; charset=utf-8")

    @staticmethod
    def _as_json(response):
        try:
            reason = HTTPStatus(response.status_code).phrase
        except ValueError:
            reason = response.reason_phrase
        converted = JsonResponse({"detail": reason}, status=response.status_code)
        for header in ("Allow", "Retry-After", "WWW-Authenticate"):
            if response.has_header(header):
                converted[header] = response[header]
        return converted


class TenantMiddleware:
    """Run the request in one transaction scoped to its district (mtss.tenancy).

    The district, user and token are transaction-local settings, so the request's
    queries must share the transaction that set them; a pooler in transaction mode
    may hand the next transaction on this server connection to another district.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        # Outer scope: whatever a view or the API's token check activates is
        # undone when the request ends. savepoint=False: inside a test's
        # transaction this adds no SAVEPOINT round trip.
        with tenant_context(None), transaction.atomic(savepoint=False):
            request.district = None
            request.membership = None
            if request.user.is_authenticated:
                activate(user_id=request.user.pk)
                membership = membership_for_request(request)
                if membership is not None:
                    request.membership = membership
                    request.district = membership.district
                    activate(district=membership.district_id)
            response = self.get_response(request)
            access_log.flush(request)
            if response.streaming and not isinstance(response, FileResponse):
                response.streaming_content = _scoped_stream(response.streaming_content, current_scope())
        return response


def _scoped_stream(content, scope):
    # A streamed body is read after the request's transaction ended: its queries
    # run in the request's scope again (each in its own scoped transaction).
    with scope_context(scope):
        yield from content
