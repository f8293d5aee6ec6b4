"""Helpers for the family portal's tests: an invited, signed-in family account."""

from __future__ import annotations

from django.core.files.base import ContentFile

from mtss.tenancy import tenant_context
from notifications.models import NoticeStatus
from notifications.portal import services
from tests.notifications.helpers import sample_notice

PASSWORD = "a long family passphrase"


def invite(side, student=None, actor=None):
    student = student or side.students[0]
    with tenant_context(side.district):
        guardian = student.guardians.first()
        return services.invitation_create(district=side.district, guardian=guardian, actor=actor or side.principal)


def family(client, side, student=None, *, email="family@example.org", language="es"):
    """Accept an invitation through the page, as a family would; the client is signed in."""
    _invitation, token, _code = invite(side, student)
    response = client.post(
        f"/family/join/{token}/", {"accept": "1", "email": email, "password": PASSWORD, "language": language}
    )
    assert response.status_code == 302, response.content[:500]
    from notifications.portal.models import GuardianAccount

    with tenant_context(side.district):
        return GuardianAccount.objects.get(district=side.district, email=email)


def sent_letter(side, student=None, *, period_key="portal"):
    student = student or side.students[0]
    with tenant_context(side.district):
        notice = sample_notice(
            district=side.district,
            student=student,
            letter_type="start_of_year",
            language="es",
            guardian=student.guardians.first(),
            period_key=period_key,
            save=True,
        )
        notice.status = NoticeStatus.SENT
        notice.pdf.save(f"d{side.district.pk}/portal-{notice.pk}.pdf", ContentFile(b"%PDF-1.4\n%%EOF\n"))
        notice.save()
    return notice
