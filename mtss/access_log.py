"""The FERPA access log: collect during a request, write one row at its end.

Views call `record(request, ...)` as they read student data; TenantMiddleware
writes everything collected with a single INSERT when the response is ready.
"""

from __future__ import annotations

from collections.abc import Iterable

from mtss import events
from mtss.client_ip import client_ip
from mtss.models import AccessLog, ApiToken


def record(request, *, action: str, what: str, student_ids: Iterable[int]) -> None:
    entries = request.__dict__.setdefault("_access_log", [])
    entries.append((action, what, sorted({int(i) for i in student_ids})))


# For a DRF list view (put it before the generic view class): log the students whose rows
# the page returned. `access_what` names them in the log; the rows' student id is the
# `access_student_field` of each serialized row (override `access_student_ids` otherwise).
# No docstring on purpose: drf-spectacular would show it as every such view's description.
class AccessLoggedList:
    access_what = ""
    access_student_field = "student"

    def access_student_ids(self, rows: list[dict]) -> list[int]:
        return [row[self.access_student_field] for row in rows]

    def list(self, request, *args, **kwargs):
        response = super().list(request, *args, **kwargs)
        rows = response.data["results"] if isinstance(response.data, dict) else response.data  # unpaginated
        student_ids = self.access_student_ids(rows)
        record(request._request, action="api_read", what=self.access_what, student_ids=student_ids)
        if isinstance(request.auth, ApiToken) and student_ids:
            # A bearer token is a client outside the school's pages: FERPA's record of disclosures
            # (34 CFR 99.32) names it as the recipient (students.privacy).
            events.announce(
                events.STUDENT_DATA_DISCLOSED,
                district=request._request.district,
                student_ids=list(student_ids),
                recipient=f"API client: {request.auth.name}",
                what=self.access_what,
                actor=request.user,
            )
        return response


def flush(request) -> None:
    entries = request.__dict__.pop("_access_log", None)
    district = getattr(request, "district", None)
    if not entries or district is None:
        return
    user = request.user if request.user.is_authenticated else None
    AccessLog.objects.bulk_create(
        [
            AccessLog(
                district=district,
                user=user,
                action=action,
                what=what,
                student_ids=ids,
                student_count=len(ids),
                path=request.path[:300],
                ip_address=client_ip(request),
            )
            for action, what, ids in entries
        ]
    )
