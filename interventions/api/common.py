"""Shared by the interventions API modules: limits and JSON helpers. Permissions are asked at each call
site with `mtss.api_permissions.require(request, "may_…", obj)`."""

from __future__ import annotations

import datetime as dt
import math
from decimal import Decimal

from rest_framework import serializers

MAX_BULK_SESSIONS = 500
MAX_PROBES = 1000


# --- helpers --------------------------------------------------------------------------------


def _jsonable(value):
    """Finding values as plain JSON (dates as ISO strings, no NaN or infinity)."""
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple, set, frozenset)):
        return [_jsonable(v) for v in value]
    if isinstance(value, (dt.date, dt.datetime)):
        return value.isoformat()
    if isinstance(value, Decimal):
        value = float(value)
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if value is None or isinstance(value, (bool, int, float, str)):
        return value
    return str(value)


def _plan_ids(mapping: dict, field: str) -> dict[int, object]:
    """{"<plan id>": value} from JSON (keys are strings) -> {plan id: value}."""
    result = {}
    for key, value in (mapping or {}).items():
        try:
            result[int(key)] = value
        except (TypeError, ValueError):
            raise serializers.ValidationError({field: f"“{key}” is not a plan id."}) from None
    return result


def _student_ids_of_sessions(sessions) -> set[int]:
    ids = set()
    for session in sessions:
        if session.plan_id:
            ids.add(session.plan.student_id)
        ids.update(row.plan.student_id for row in session.attendance.all())
    return ids
