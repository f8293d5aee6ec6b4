"""The family's rights in the portal (issue 18, items 4 and 5): opening and acknowledging a letter
is tracked for delivery, the family sees the record of disclosures and asks for a copy of the
record, and reads the district's privacy notice."""

from __future__ import annotations

import pytest

from mtss.tenancy import tenant_context
from notifications.models import DeliveryEvent, DeliveryKind
from students.privacy.models import DisclosureChannel, RecordCopyRequest
from students.privacy.services import disclosures_record
from tests.notifications.portal_helpers import family, sent_letter

pytestmark = pytest.mark.django_db


def _kinds(side, letter) -> list[str]:
    with tenant_context(side.district):
        return sorted(
            DeliveryEvent.objects.filter(district=side.district, notice=letter).values_list("kind", flat=True)
        )


def test_opening_then_acknowledging_a_letter_is_tracked_once_each(world, client):
    side = world.a
    student = side.students[0]
    family(client, side, student)
    letter = sent_letter(side, student)
    assert _kinds(side, letter) == []

    for _ in range(2):
        response = client.get(f"/family/children/{student.pk}/letters/{letter.pk}/pdf/")
        assert response.status_code == 200 and b"".join(response.streaming_content).startswith(b"%PDF")
    assert _kinds(side, letter) == [DeliveryKind.PORTAL_VIEWED]

    assert client.post(f"/family/children/{student.pk}/letters/{letter.pk}/acknowledge/").status_code == 302
    assert _kinds(side, letter) == [DeliveryKind.PORTAL_ACKNOWLEDGED, DeliveryKind.PORTAL_VIEWED]
    with tenant_context(side.district):
        guardians = set(DeliveryEvent.objects.filter(notice=letter).values_list("guardian_id", flat=True))
    assert guardians == {letter.guardian_id}


def test_the_family_sees_who_outside_the_school_received_the_record(world, client):
    side = world.a
    student, other = side.students[0], side.students[1]
    family(client, side, student, language="en")
    page = client.get(f"/family/children/{student.pk}/").content.decode()
    assert "Nobody outside the school has received your child's record." in page

    with tenant_context(side.district):
        disclosures_record(
            district=side.district,
            student_ids=[student.pk],
            channel=DisclosureChannel.EXPORT,
            recipient="County Health Department",
            purpose="Vision screening follow-up",
            what="screening export",
            actor=side.principal,
        )
        disclosures_record(
            district=side.district,
            student_ids=[other.pk],
            channel=DisclosureChannel.EXPORT,
            recipient="Another Student's Recipient",
            purpose="Other",
            what="export",
            actor=side.principal,
        )
    page = client.get(f"/family/children/{student.pk}/").content.decode()
    assert "County Health Department" in page and "Vision screening follow-up" in page
    assert "Another Student&#x27;s Recipient" not in page and "Another Student's Recipient" not in page


def test_the_family_asks_for_a_copy_of_the_record_once_and_staff_see_the_request(world, client):
    side = world.a
    student = side.students[0]
    family(client, side, student, language="en")
    for _ in range(2):  # a second click while the first waits adds nothing
        response = client.post(f"/family/children/{student.pk}/record-copy/")
        assert response.status_code == 302 and response["Location"].endswith("#record")
    with tenant_context(side.district):
        requests = list(RecordCopyRequest.objects.filter(district=side.district, student=student))
        guardian = student.guardians.first()
    assert [r.status for r in requests] == [RecordCopyRequest.Status.REQUESTED]
    assert requests[0].guardian_id == guardian.pk
    assert "Asked on" in client.get(f"/family/children/{student.pk}/").content.decode()
    assert client.get(f"/family/children/{student.pk}/record-copy/").status_code == 405
    # Another student's id is a 404 and asks nothing.
    assert client.post(f"/family/children/{side.students[1].pk}/record-copy/").status_code == 404
    with tenant_context(side.district):
        assert RecordCopyRequest.objects.filter(district=side.district).count() == 1


def test_the_family_reads_the_districts_privacy_notice(world, client):
    side = world.a
    family(client, side, language="en")
    page = client.get("/family/privacy/")
    text = page.content.decode()
    assert page.status_code == 200
    assert "What is collected, why, and for how long" in text and "years after the student leaves" in text
