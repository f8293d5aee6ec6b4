"""The family view, acknowledgements and messages (issue 18 items 2 and 3)."""

from __future__ import annotations

import pytest

from mtss.tenancy import tenant_context
from notifications.models import Notice, NoticeStatus
from notifications.portal.models import PortalMessage
from tests.notifications.portal_helpers import family, sent_letter

pytestmark = pytest.mark.django_db


def test_the_family_sees_supports_the_graph_and_a_plain_reading_in_spanish(letters, client):
    side = letters["side"]
    student = side.students[0]
    family(client, side, student, language="es")
    response = client.get(f"/family/children/{student.pk}/")
    text = response.content.decode()
    assert response.status_code == 200
    assert '<html lang="es" dir="ltr">' in text
    assert "<svg" in text  # the progress graph
    assert "Nivel 2" in text  # the tier in plain words, in Spanish
    assert f"{student.first_name} está creciendo" in text
    assert "4 sesiones por semana, de 30 minutos cada una" in text


def test_an_arabic_family_sees_the_portal_right_to_left(world, client):
    side = world.a
    family(client, side, language="ar")
    text = client.get(f"/family/children/{side.students[0].pk}/").content.decode()
    assert '<html lang="ar" dir="rtl">' in text
    assert "الدعم الحالي" in text  # "Current supports", from the portal's Arabic catalogue


def test_a_family_acknowledges_a_letter_and_staff_see_it(world, client):
    side = world.a
    student = side.students[0]
    account = family(client, side, student)
    letter = sent_letter(side, student)
    response = client.post(f"/family/children/{student.pk}/letters/{letter.pk}/acknowledge/")
    assert response.status_code == 302
    with tenant_context(side.district):
        letter = Notice.objects.get(pk=letter.pk)
        assert (letter.status, letter.acknowledged_by_family_id) == (NoticeStatus.ACKNOWLEDGED, account.pk)
        assert letter.events.filter(verb="acknowledged_by_family").count() == 1
    assert client.get(f"/family/children/{student.pk}/letters/{letter.pk}/acknowledge/").status_code == 405
    client.force_login(side.district_admin)
    page = client.get(f"/notices/students/{student.pk}/").content.decode()
    assert "acknowledged by the family in the portal" in page


def test_a_message_is_stored_as_written_escaped_and_answered_by_staff(world, client):
    side = world.a
    student = side.students[0]
    account = family(client, side, student)
    body = "<script>alert('x')</script> ¿Cómo va la lectura?"
    assert client.post(f"/family/children/{student.pk}/messages/", {"body": body}).status_code == 302
    with tenant_context(side.district):
        message = PortalMessage.objects.get(district=side.district, student=student)
        assert message.body == body and message.account_id == account.pk and message.language == "es"
    family_page = client.get(f"/family/children/{student.pk}/").content.decode()
    assert "<script>alert" not in family_page and "&lt;script&gt;alert" in family_page

    client.force_login(side.district_admin)
    inbox = client.get("/notices/family-messages/").content.decode()
    assert "&lt;script&gt;alert" in inbox and "<script>alert" not in inbox
    staff_page = f"/notices/students/{student.pk}/family/"
    reply = client.post(staff_page, {"action": "reply", "account": account.pk, "body": "Va muy bien."})
    assert reply.status_code == 302
    with tenant_context(side.district):
        replies = list(PortalMessage.objects.filter(district=side.district, staff_author__isnull=False))
        assert [r.body for r in replies] == ["Va muy bien."]
        assert PortalMessage.objects.get(pk=message.pk).read_at is not None
    assert "¿Cómo va la lectura?" not in client.get("/notices/family-messages/").content.decode()


def test_an_empty_or_too_long_message_is_refused_naming_the_field(world, client):
    side = world.a
    student = side.students[0]
    family(client, side, student)
    empty = client.post(f"/family/children/{student.pk}/messages/", {"body": "  "})
    assert empty.status_code == 400 and "Mensaje:" in empty.content.decode()
    long = client.post(f"/family/children/{student.pk}/messages/", {"body": "a" * 4001})
    assert long.status_code == 400
    with tenant_context(side.district):
        assert not PortalMessage.objects.filter(district=side.district).exists()


def test_staff_create_an_invitation_with_a_link_a_code_and_a_qr_code(world, client):
    side = world.a
    student = side.students[0]
    client.force_login(side.principal)
    with tenant_context(side.district):
        guardian = student.guardians.first()
        other_guardian = side.students[1].guardians.first()
    response = client.post(f"/notices/students/{student.pk}/family/", {"action": "invite", "guardian": guardian.pk})
    text = response.content.decode()
    assert response.status_code == 200
    assert "/family/join/" in text and "<svg" in text
    foreign = client.post(
        f"/notices/students/{student.pk}/family/", {"action": "invite", "guardian": other_guardian.pk}
    )
    assert foreign.status_code == 404
    client.force_login(side.read_only)
    assert (
        client.post(
            f"/notices/students/{student.pk}/family/", {"action": "invite", "guardian": guardian.pk}
        ).status_code
        == 404
    )
