"""The record of disclosures of one student: the staff page and its printable PDF."""

from __future__ import annotations

from django.http import HttpResponse
from django.shortcuts import render
from django.utils import timezone

from mtss import access_log
from mtss.decorators import district_member
from mtss.pdf import render_pdf
from students.privacy.selectors import disclosures_for_student
from students.selectors import student_get


def _context(request, student_id: int) -> dict:
    student = student_get(district=request.district, membership=request.membership, student_id=student_id)
    return {
        "district": request.district,
        "student": student,
        "disclosures": list(disclosures_for_student(request.district, student)),
        "generated_at": timezone.now(),
    }


@district_member()
def disclosure_list(request, student_id: int):
    context = _context(request, student_id)
    access_log.record(request, action="view", what="record of disclosures", student_ids=[context["student"].pk])
    return render(request, "students/disclosures.html", context)


@district_member()
def disclosure_pdf(request, student_id: int):
    context = _context(request, student_id)
    access_log.record(request, action="view", what="record of disclosures (PDF)", student_ids=[context["student"].pk])
    response = HttpResponse(render_pdf("students/pdf/disclosures.html", context), content_type="application/pdf")
    response["Content-Disposition"] = f'inline; filename="disclosures-{context["student"].pk}.pdf"'
    response["Cache-Control"] = "no-store"
    return response
