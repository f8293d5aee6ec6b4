"""Writes of the record of disclosures: one row per student, one INSERT per disclosure."""

from __future__ import annotations

from collections.abc import Iterable

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

from mtss.models import District, User
from students.privacy.models import Disclosure, DisclosureChannel, RecordCopyRequest


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


def copy_request_create(district: District, guardian, student) -> RecordCopyRequest:
    """A guardian asks for a copy of the student's record (the portal calls this). The guardian
    must be one of the student's own guardians; the request waits for staff approval."""
    if guardian.district_id != district.pk or guardian.student_id != student.pk or student.district_id != district.pk:
        raise ValidationError({"guardian": _("Guardian: not a guardian of this student.")})
    return RecordCopyRequest.objects.create(
        district=district,
        student=student,
        guardian=guardian,
        guardian_name=f"{guardian.first_name} {guardian.last_name}".strip()[:220],
    )
