"""Writes on early-warning flags: the review queue's decisions (the flags themselves are written by
students.early_warning.indicators, the records by students.early_warning.importers)."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from mtss.models import District, User
from mtss.services import audit
from students.early_warning.models import EarlyWarningFlag

DECISIONS = (EarlyWarningFlag.Status.REVIEWED, EarlyWarningFlag.Status.DISMISSED, EarlyWarningFlag.Status.OPEN)


@transaction.atomic
def flag_decide(*, district: District, actor: User, flag: EarlyWarningFlag, status: str) -> EarlyWarningFlag:
    """The team reviewed (or dismissed, or reopened) a flag; the nightly run keeps the decision."""
    if flag.district_id != district.pk:
        raise ValidationError({"flag": "Select a valid flag."})
    if status not in DECISIONS:
        raise ValidationError({"status": f"Choose one of: {', '.join(DECISIONS)}."})
    if flag.status == EarlyWarningFlag.Status.CLEARED:
        raise ValidationError({"status": "This flag no longer fires; there is nothing to review."})
    flag.status = status
    flag.decided_by = actor
    flag.decided_at = timezone.now()
    flag.save(update_fields=["status", "decided_by", "decided_at"])
    # Ids and the status only: never the explanation (it is student data).
    audit(district=district, actor=actor, verb="early_warning.decide", obj=flag, changes={"status": status})
    return flag
