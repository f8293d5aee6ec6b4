"""Query-string parameters of the API: a bad value is a 400 naming the parameter, never a 500."""
from __future__ import annotations

import datetime as dt

from rest_framework import serializers


def param_int(params, name: str) -> int | None:
    value = params.get(name, "")
    if value in ("", None):
        return None
    try:
        return int(value)
    except ValueError:
        raise serializers.ValidationError({name: "Must be an integer."}) from None


def param_date(params, name: str) -> dt.date | None:
    value = params.get(name, "")
    if value in ("", None):
        return None
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        raise serializers.ValidationError({name: "Must be a date (YYYY-MM-DD)."}) from None
