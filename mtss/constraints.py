"""Database constraint violations as the constraint's own message, on its field.

Every CheckConstraint and UniqueConstraint of the product declares a
`violation_error_message` that names the field in words ("Expected end: the plan must
end after it starts."). The services check first and say more; the constraint is the last
word when two requests race or a check was missed, and then the user reads that message
on the field instead of `Constraint “plan_dates” is violated.` or a 500 (issue 14).
"""

from __future__ import annotations

from contextlib import contextmanager
from functools import cache

from django.apps import apps
from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.db import IntegrityError, models, transaction
from django.db.models import Q


def _fields_of(condition) -> list[str]:
    names = []
    for child in condition.children if isinstance(condition, Q) else []:
        if isinstance(child, Q):
            names += _fields_of(child)
        else:
            names.append(child[0].split("__")[0])
    return names


def constraint_field(constraint) -> str | None:
    """The field a constraint's message belongs on: a unique constraint's last field (the
    district leads them all), a check constraint's first field."""
    if isinstance(constraint, models.UniqueConstraint) and constraint.fields:
        named = [f for f in constraint.fields if f != "district"]
        # One record per district (a district's settings): the message is the form's, not a field's.
        return named[-1] if named else NON_FIELD_ERRORS
    if isinstance(constraint, models.CheckConstraint):
        names = [n for n in _fields_of(constraint.condition) if n != "district"]
        return names[0] if names else None
    return None


@cache
def _constraints() -> dict[str, object]:
    found = {}
    for model in apps.get_models():
        for constraint in model._meta.constraints:
            found[constraint.name] = constraint
    return found


def constraint_error(error: IntegrityError) -> ValidationError | None:
    """The ValidationError ({field: [message]}) of the constraint `error` violated, or None."""
    diag = getattr(error.__cause__, "diag", None)
    name = getattr(diag, "constraint_name", None)
    constraint = _constraints().get(name) if name else None
    if constraint is None:
        return None
    message = constraint.get_violation_error_message()
    field = constraint_field(constraint)
    return ValidationError({field: [message]} if field else [message])


@contextmanager
def friendly_constraints():
    """Turn a constraint violation inside the block into its ValidationError (other
    IntegrityErrors propagate unchanged). Use inside the service's transaction."""
    try:
        with transaction.atomic():
            yield
    except IntegrityError as error:
        friendly = constraint_error(error)
        if friendly is None:
            raise
        raise friendly from None
