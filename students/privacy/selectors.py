"""Reads of the record of disclosures: for the staff page, its PDF and the guardian portal."""

from __future__ import annotations

from django.db.models import QuerySet

from mtss.models import District
from students.models import Student
from students.privacy.models import Disclosure, RecordCopyRequest


def disclosures_for_student(district: District, student: Student) -> QuerySet[Disclosure]:
    """A student's record of disclosures, newest first.

    The guardian portal calls this with a student the guardian is linked to; staff pages with a
    student from `student_get` (visibility checked first). Either way the caller logs the read.
    """
    return (
        Disclosure.objects.filter(district=district, student=student)
        .select_related("disclosed_by")
        .order_by("-at", "-id")
    )


def copy_requests_for_student(district: District, student: Student) -> QuerySet[RecordCopyRequest]:
    """A student's requests for a copy of the record, newest first (staff page and portal)."""
    return RecordCopyRequest.objects.filter(district=district, student=student).order_by("-requested_at", "-id")
