"""Writes of the record of disclosures: one row per student, one INSERT per disclosure."""

from __future__ import annotations

from collections.abc import Iterable

from mtss.models import District, User
from students.privacy.models import Disclosure, DisclosureChannel


def disclosures_record(
    *,
    district: District,
    student_ids: Iterable[int],
    channel: str,
    recipient: str,
    purpose: str,
    what: str,
    actor: User | None,
) -> int:
    """Record that these students' data left the product (FERPA 34 CFR 99.32(a)); returns the row count.

    Set-based: an export of 5,000 students is one bulk INSERT, in the caller's transaction, so a
    download that fails before its response leaves no record of a disclosure that never happened.
    The ids come from selectors scoped to `district`; row-level security refuses any other.
    """
    ids = sorted({int(i) for i in student_ids})
    if not ids:
        return 0
    actor_id = actor.pk if actor is not None and actor.is_authenticated else None
    Disclosure.objects.bulk_create(
        [
            Disclosure(
                district=district,
                student_id=student_id,
                channel=channel,
                recipient=recipient[:200],
                purpose=purpose[:200],
                what=what[:200],
                disclosed_by_id=actor_id,
            )
            for student_id in ids
        ],
        batch_size=2000,
    )
    return len(ids)


def api_disclosure_record(*, district, student_ids, recipient, what, actor) -> None:
    """The STUDENT_DATA_DISCLOSED handler (mtss/events.py): an API client read students' records."""
    disclosures_record(
        district=district,
        student_ids=student_ids,
        channel=DisclosureChannel.API_CLIENT,
        recipient=recipient,
        purpose="API read",
        what=what,
        actor=actor,
    )
