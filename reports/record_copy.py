"""A copy of the student's record for the family (issue 18, item 5): staff approve a guardian's
request, a Celery job builds one zip (a PDF summary and CSVs of the student's plans, sessions,
probes, scores, notices and disclosures), staff download it to hand over. Every step is on the
request row; the download is access-logged and recorded as a disclosure (34 CFR 99.32).

It lives in reports, the layer above interventions, screening and notifications, whose rows it reads.
"""

from __future__ import annotations

import io
import zipfile

from django.core.files.base import ContentFile
from django.db import transaction
from django.http import FileResponse, HttpResponseNotAllowed
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone

from interventions.models import Attendance, Plan, Probe
from mtss import access_log
from mtss.decorators import district_member
from mtss.models import District, User
from mtss.pdf import render_pdf
from mtss.permissions import allowed, require
from notifications.models import Notice
from reports.exports import csv_lines
from screening.models import Score
from students.models import Student
from students.privacy.models import Disclosure, DisclosureChannel, RecordCopyRequest
from students.privacy.selectors import copy_requests_for_student
from students.privacy.services import disclosures_record
from students.selectors import student_get

# Columns a family has no use for and that say nothing about the student (claims, tokens, hashes).
SKIPPED_COLUMNS = {"claim_token", "claimed_until", "insert_token", "pdf", "pdf_sha256", "district_id"}


def _table(queryset) -> tuple[list[str], list[list]]:
    fields = [f for f in queryset.model._meta.concrete_fields if f.attname not in SKIPPED_COLUMNS]
    header = [f.attname for f in fields]
    rows = [[getattr(obj, f.attname) for f in fields] for obj in queryset]
    return header, rows


def record_tables(*, district: District, student: Student) -> dict[str, tuple[list[str], list[list]]]:
    plans = Plan.objects.filter(district=district, student=student).order_by("start_date", "id")
    return {
        "plans": _table(plans),
        "sessions": _table(Attendance.objects.filter(district=district, plan__in=plans).order_by("id")),
        "probes": _table(Probe.objects.filter(district=district, plan__in=plans).order_by("date", "id")),
        "scores": _table(Score.objects.filter(district=district, student=student).order_by("id")),
        "notices": _table(Notice.objects.filter(district=district, student=student).order_by("created_at", "id")),
        "disclosures": _table(Disclosure.objects.filter(district=district, student=student).order_by("at", "id")),
    }


def copy_request_approve(*, district: District, request: RecordCopyRequest, actor: User) -> bool:
    """Approve a request and queue the job that builds its zip; False when it was not waiting."""
    from reports.tasks import record_copy_build

    changed = RecordCopyRequest.objects.filter(
        district=district, pk=request.pk, status=RecordCopyRequest.Status.REQUESTED
    ).update(status=RecordCopyRequest.Status.APPROVED, approved_by=actor, approved_at=timezone.now())
    if changed:
        transaction.on_commit(lambda: record_copy_build.delay(district.pk, request.pk))
    return bool(changed)


def copy_build(*, district: District, request_id: int) -> RecordCopyRequest:
    """Build the zip of an approved request (safe to retry: a ready request is left as it is)."""
    with transaction.atomic():
        request = (
            RecordCopyRequest.objects.select_for_update()
            .select_related("student", "student__school")
            .get(district=district, pk=request_id)
        )
        if request.status != RecordCopyRequest.Status.APPROVED:
            return request
        tables = record_tables(district=district, student=request.student)
        summary = render_pdf(
            "students/pdf/record_copy.html",
            {
                "district": district,
                "student": request.student,
                "request": request,
                "counts": {f"{name}.csv": len(rows) for name, (_header, rows) in tables.items()},
                "generated_at": timezone.now(),
            },
        )
        buffer = io.BytesIO()
        with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
            archive.writestr("summary.pdf", summary)
            for name, (header, rows) in tables.items():
                archive.writestr(f"{name}.csv", "".join(csv_lines(header, rows)))
        request.file.save(f"record-copy-{request.pk}.zip", ContentFile(buffer.getvalue()), save=False)
        request.status = RecordCopyRequest.Status.READY
        request.ready_at = timezone.now()
        request.save(update_fields=["file", "status", "ready_at"])
    return request


def copy_delivered(*, district: District, request: RecordCopyRequest, actor: User) -> None:
    """Staff downloaded the zip to hand it over: the delivery is logged and is a disclosure."""
    RecordCopyRequest.objects.filter(district=district, pk=request.pk, delivered_at__isnull=True).update(
        status=RecordCopyRequest.Status.DELIVERED, delivered_at=timezone.now(), delivered_by=actor
    )
    disclosures_record(
        district=district,
        student_ids=[request.student_id],
        channel=DisclosureChannel.RECORD_COPY,
        recipient=request.guardian_name,
        purpose="The family's request for a copy of the record (FERPA 34 CFR 99.10)",
        what="Copy of the record (PDF summary and CSVs)",
        actor=actor,
    )


# --- pages ------------------------------------------------------------------------------------------


@district_member()
def record_copy_list(request, student_id: int):
    student = student_get(district=request.district, membership=request.membership, student_id=student_id)
    copies = list(copy_requests_for_student(request.district, student))
    access_log.record(request, action="view", what="record copy requests", student_ids=[student.pk])
    return render(
        request,
        "students/record_copies.html",
        {
            "student": student,
            "copies": copies,
            "can_approve": allowed(request.membership, "may_approve_record_copy"),
        },
    )


def _copy_get(request, student_id: int, copy_id: int) -> RecordCopyRequest:
    student = student_get(district=request.district, membership=request.membership, student_id=student_id)
    require(request, "may_approve_record_copy")
    return get_object_or_404(RecordCopyRequest, district=request.district, student=student, pk=copy_id)


@district_member()
def record_copy_approve(request, student_id: int, copy_id: int):
    if request.method != "POST":
        return HttpResponseNotAllowed(["POST"])
    copy = _copy_get(request, student_id, copy_id)
    copy_request_approve(district=request.district, request=copy, actor=request.user)
    return redirect("record_copies", student_id=student_id)


@district_member()
def record_copy_download(request, student_id: int, copy_id: int):
    copy = _copy_get(request, student_id, copy_id)
    if not copy.file:
        return redirect("record_copies", student_id=student_id)
    access_log.record(request, action="export", what="copy of the record", student_ids=[copy.student_id])
    copy_delivered(district=request.district, request=copy, actor=request.user)
    response = FileResponse(copy.file.open("rb"), as_attachment=True, filename=f"record-copy-{copy.pk}.zip")
    response["Cache-Control"] = "no-store"
    return response
