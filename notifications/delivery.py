"""Delivery tracking (issue 18, item 4): what comes back after a letter left.

The guardian portal calls `notice_viewed` and `notice_acknowledged` when a guardian opens or
acknowledges a letter; the mail provider's bounce webhook (or `manage.py notice_bounced`) calls
`notice_bounced`. Each writes at most one DeliveryEvent per notice and kind (a conditional insert,
so a retry or a second click writes nothing), and a NoticeEvent in the letter's history.
"""

from __future__ import annotations

from django.db import transaction

from mtss.models import District
from notifications.models import DeliveryEvent, DeliveryKind, Notice, NoticeEvent


def _record(district: District, notice: Notice, kind: str, *, guardian=None, detail: str = "") -> bool:
    """Insert the event unless the notice already has one of this kind; True when it is new.

    ON CONFLICT DO NOTHING on (district, notice, kind): two workers at once write one row."""
    with transaction.atomic():
        if DeliveryEvent.objects.filter(district=district, notice=notice, kind=kind).exists():
            return False
        DeliveryEvent.objects.bulk_create(
            [
                DeliveryEvent(
                    district=district,
                    notice=notice,
                    guardian=guardian if guardian is not None else notice.guardian,
                    kind=kind,
                    detail=detail[:300],
                )
            ],
            ignore_conflicts=True,
        )
        NoticeEvent.objects.create(district=district, notice=notice, status=notice.status, verb=kind, note=detail)
    return True


def notice_viewed(district: District, notice: Notice, guardian) -> bool:
    """The portal showed the letter to one of its guardians (the first view is kept)."""
    return _record(district, notice, DeliveryKind.PORTAL_VIEWED, guardian=guardian)


def notice_acknowledged(district: District, notice: Notice, guardian) -> bool:
    """A guardian acknowledged the letter in the portal; a view is implied."""
    _record(district, notice, DeliveryKind.PORTAL_VIEWED, guardian=guardian)
    return _record(district, notice, DeliveryKind.PORTAL_ACKNOWLEDGED, guardian=guardian)


def notice_bounced(district: District, notice: Notice, *, reason: str = "") -> bool:
    """The mail provider reported the e-mail undeliverable: the letter goes on the "to call" list."""
    return _record(district, notice, DeliveryKind.EMAIL_BOUNCED, detail=reason)
