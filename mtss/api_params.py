"""Query-string parameters: the API answers a bad value with a 400 naming the parameter (never a
500); pages treat it as no filter (query_int)."""

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


def param_choice(params, name: str, choices) -> str | None:
    value = params.get(name) or None
    if value is not None and value not in choices:
        raise serializers.ValidationError({name: f"Must be one of: {', '.join(choices)}."})
    return value


def query_int(value) -> int | None:
    """A page's optional integer filter (?school=3): a missing or malformed value is no filter.

    Pages are lenient where the API answers 400: a hand-edited URL shows the unfiltered page.
    """
    try:
        return int(value)
    except (TypeError, ValueError):
        return None
