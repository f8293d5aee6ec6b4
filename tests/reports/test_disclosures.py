"""The record of disclosures (issue 18, item 5; FERPA 34 CFR 99.32): exports, referral packets and
API clients add one row per student; staff read it on a page and in a PDF; the portal's selector."""

from __future__ import annotations

import pytest
from django.urls import reverse
from rest_framework.test import APIClient

from mtss.models import AccessLog
from mtss.services import api_token_create
from mtss.tenancy import tenant_context
from students.models import Student
from students.privacy.models import Disclosure, DisclosureChannel
from students.privacy.selectors import disclosures_for_student

pytestmark = pytest.mark.django_db


def _disclosures(district, **filters):
    with tenant_context(district):
        return list(Disclosure.objects.filter(district=district, **filters).order_by("student_id"))


def test_a_staff_export_appears_in_each_exported_students_record_of_disclosures(fidelity, login):
    side = fidelity["side"]
    client = login(side.principal)
    url = reverse("reports_fidelity_plans", kwargs={"school_id": fidelity["school"].pk})
    query = {"start": fidelity["start"].isoformat(), "end": fidelity["end"].isoformat(), "metric": "below"}
    response = client.get(url, {**query, "export": "plans", "format": "csv"})
    assert response.status_code == 200
    b"".join(response.streaming_content)
    exported = sorted([fidelity["plans"]["P2"].student_id, fidelity["plans"]["P4"].student_id])
    rows = _disclosures(side.district)
    assert [row.student_id for row in rows] == exported
    for row in rows:
        assert row.channel == DisclosureChannel.EXPORT
        assert row.disclosed_by_id == side.principal.pk
        assert row.recipient.endswith("(download)")
        assert row.what == "plans (csv)"
    # The portal's selector, and the staff page, list it for the student.
    with tenant_context(side.district):
        student = Student.objects.get(pk=rows[0].student_id)
        listed = list(disclosures_for_student(side.district, student))
    assert [d.pk for d in listed] == [rows[0].pk]
    page = client.get(reverse("student_disclosures", kwargs={"student_id": student.pk}))
    assert page.status_code == 200
    assert 'data-channel="export"' in page.content.decode()
    with tenant_context(side.district):
        logged = AccessLog.objects.filter(district=side.district, what="record of disclosures").get()
    assert logged.student_ids == [student.pk]


def test_the_record_of_disclosures_prints_as_a_pdf(fidelity, login):
    side = fidelity["side"]
    student_id = fidelity["plans"]["P2"].student_id
    response = login(side.principal).get(reverse("student_disclosures_pdf", kwargs={"student_id": student_id}))
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert response.content.startswith(b"%PDF")


def test_another_districts_record_of_disclosures_is_404(world, login):
    client = login(world.a.principal)
    url = reverse("student_disclosures", kwargs={"student_id": world.b.students[0].pk})
    assert client.get(url).status_code == 404


def test_an_api_client_reading_students_is_recorded_as_a_disclosure(world):
    with tenant_context(world.a.district):
        _, key = api_token_create(district=world.a.district, user=world.a.district_admin, name="SIS sync")
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {key}")
    assert client.get("/api/v1/students/").status_code == 200
    rows = _disclosures(world.a.district)
    assert sorted(row.student_id for row in rows) == sorted(s.pk for s in world.a.students)
    assert {row.channel for row in rows} == {DisclosureChannel.API_CLIENT}
    assert {row.recipient for row in rows} == {"API client: SIS sync"}
    assert _disclosures(world.b.district) == []


def test_a_staff_session_reading_the_api_is_not_a_disclosure(world, login):
    client = login(world.a.district_admin)
    assert client.get("/api/v1/students/").status_code == 200
    assert _disclosures(world.a.district) == []
