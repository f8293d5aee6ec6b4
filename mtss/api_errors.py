from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import IntegrityError
from rest_framework import exceptions
from rest_framework.views import exception_handler as drf_exception_handler

from mtss.constraints import constraint_error


def exception_handler(exc, context):
    """Django model validation errors and database constraint violations become 400s naming
    the field, never 500s."""
    if isinstance(exc, IntegrityError):
        friendly = constraint_error(exc)
        if friendly is None:
            raise exc
        exc = friendly
    if isinstance(exc, DjangoValidationError):
        detail = exc.message_dict if hasattr(exc, "error_dict") else {"non_field_errors": exc.messages}
        exc = exceptions.ValidationError(detail)
    return drf_exception_handler(exc, context)
