"""Submit once: a data-entry form saves its work once, however often it is submitted.

Back and submit, a double click on a slow network, a retry after a time-out: each sends the
same form again. Every data-entry form carries a fresh one-time token (`SubmitOnceMixin`, a
hidden field); `submit_once` claims the token in the same transaction as the work, so

- the first submission saves and records where it went (the page of what it made);
- a repeat finds the token taken (the unique constraint decides, also for two requests at
  the same instant: the second waits for the first to commit) and is sent to that page with
  "already saved" instead of saving a second object;
- a submission the service refuses rolls the claim back with everything else, so the
  corrected form can be sent again with the same token.

A client that sends no token (an older page, a test posting by hand) is not deduplicated;
the database's natural keys still apply (one session per group and day, ...).
"""

from __future__ import annotations

import uuid
from collections.abc import Callable

from django import forms
from django.contrib import messages
from django.db import IntegrityError, transaction
from django.shortcuts import redirect
from django.utils.translation import gettext as _

from mtss.models import District, FormSubmission, User

TOKEN_FIELD = "submission"


class AlreadySubmitted(Exception):
    """The form's token was used by an earlier submission, which went to `url`."""

    def __init__(self, url: str):
        super().__init__(url)
        self.url = url


class SubmitOnceMixin:
    """A form mixin: a hidden one-time token. Put it before forms.Form / forms.ModelForm.

    The token is taken out of cleaned_data (so `**form.cleaned_data` still fits a service)
    and kept as `form.submission_token`.
    """

    submission_token: uuid.UUID | None = None

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields[TOKEN_FIELD] = forms.UUIDField(required=False, widget=forms.HiddenInput, initial=uuid.uuid4)

    def clean(self):
        data = super().clean()
        self.submission_token = self.cleaned_data.pop(TOKEN_FIELD, None)
        return data


def submit_once[T](
    *, district: District, user: User | None, token, work: Callable[[], T], url_of: Callable[[T], str]
) -> T:
    """Run `work` once per token; raises AlreadySubmitted for a repeat. `url_of(result)` is the
    page a repeat is sent to."""
    if not token:
        return work()
    with transaction.atomic():
        try:
            with transaction.atomic():
                claim = FormSubmission.objects.create(district=district, user=user, token=token)
        except IntegrityError:
            previous = FormSubmission.objects.filter(district=district, token=token).first()
            raise AlreadySubmitted(previous.result_url if previous is not None else "") from None
        result = work()
        claim.result_url = (url_of(result) or "")[:300]
        claim.save(update_fields=["result_url"])
        return result


def repeated(request, repeat: AlreadySubmitted, fallback: str, message: str | None = None):
    """The answer to a repeated submission: back to what the first one saved."""
    messages.info(request, message or _("This form was already sent; it was saved once and not again."))
    return redirect(repeat.url or fallback)
