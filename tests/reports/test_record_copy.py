"""A copy of the record (issue 18, item 5): a guardian asks, staff approve, a job builds one zip
(PDF summary and CSVs), the download is logged and recorded as a disclosure."""

from __future__ import annotations

import io
import zipfile

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from mtss.models import AccessLog
from mtss.tenancy import tenant_context
from reports.record_copy import copy_build
from students.models import Guardian
from students.privacy.models import Disclosure, DisclosureChannel, RecordCopyRequest
from students.privacy.services import copy_request_create

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path


def _request(side, index=0):
    student = side.students[index]
    with tenant_context(side.district):
        guardian = Guardian.objects.get(district=side.district, student=student)
        return copy_request_create(side.district, guardian, student)


def test_only_the_students_own_guardian_can_ask(world):
    side = world.a
    with tenant_context(side.district):
        other = Guardian.objects.get(district=side.district, student=side.students[1])
        with pytest.raises(ValidationError, match="Guardian"):
            copy_request_create(side.district, other, side.students[0])


def test_staff_approve_a_job_builds_the_zip_and_the_download_is_logged_as_a_disclosure(
    world, login, django_capture_on_commit_callbacks
):
    side = world.a
    copy = _request(side)
    student_id = side.students[0].pk
    approve = reverse("record_copy_approve", kwargs={"student_id": student_id, "copy_id": copy.pk})
    # A teacher may not approve (404: the pages' convention); a principal of the school may.
    assert login(side.teacher).post(approve).status_code == 404
    client = login(side.principal)
    page = client.get(reverse("record_copies", kwargs={"student_id": student_id}))
    assert page.status_code == 200 and 'data-status="requested"' in page.content.decode()
    with django_capture_on_commit_callbacks(execute=False) as queued:
        assert client.post(approve).status_code == 302
    assert len(queued) == 1  # the build job, queued on commit
    with tenant_context(side.district):
        copy.refresh_from_db()
        assert copy.status == RecordCopyRequest.Status.APPROVED and copy.approved_by_id == side.principal.pk
        built = copy_build(district=side.district, request_id=copy.pk)
    assert built.status == RecordCopyRequest.Status.READY
    assert built.file.name.startswith(f"record-copies/d{side.district.pk}/")
    download = client.get(reverse("record_copy_download", kwargs={"student_id": student_id, "copy_id": copy.pk}))
    assert download.status_code == 200
    archive = zipfile.ZipFile(io.BytesIO(b"".join(download.streaming_content)))
    assert sorted(archive.namelist()) == sorted(
        ["summary.pdf", "plans.csv", "sessions.csv", "probes.csv", "scores.csv", "notices.csv", "disclosures.csv"]
    )
    assert archive.read("summary.pdf").startswith(b"%PDF")
    with tenant_context(side.district):
        copy.refresh_from_db()
        assert copy.status == RecordCopyRequest.Status.DELIVERED and copy.delivered_by_id == side.principal.pk
        disclosure = Disclosure.objects.get(district=side.district, student_id=student_id)
        logged = AccessLog.objects.filter(district=side.district, what="copy of the record").get()
    assert disclosure.channel == DisclosureChannel.RECORD_COPY and disclosure.recipient == copy.guardian_name
    assert logged.student_ids == [student_id]


def test_another_districts_request_is_404(world, login):
    copy = _request(world.b)
    url = reverse("record_copy_approve", kwargs={"student_id": world.b.students[0].pk, "copy_id": copy.pk})
    assert login(world.a.principal).post(url).status_code == 404
    with tenant_context(world.b.district):
        copy.refresh_from_db()
    assert copy.status == RecordCopyRequest.Status.REQUESTED
