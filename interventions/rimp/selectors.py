"""Reads of Ohio's reading guarantee, scoped to the district and to the students the member sees."""

from __future__ import annotations

from django.http import Http404

from interventions.models import Plan
from interventions.rimp.models import ReadingDetermination, Rimp
from mtss.models import District, Membership
from students.access import visible_students
from students.models import ParentConsultation, Student


def rimp_get(*, district: District, membership: Membership | None, rimp_id: int) -> Rimp:
    """One RIMP of a student the member sees, else 404 (missing and not-yours look the same)."""
    students = visible_students(district=district, membership=membership)
    try:
        return (
            Rimp.objects.filter(district=district, student__in=students.values("pk"))
            .select_related(
                "student",
                "student__school",
                "determination",
                "determination__school_year",
                "plan",
                "plan__intervention",
                "consultation",
                "created_by",
                "approved_by",
            )
            .get(pk=rimp_id)
        )
    except Rimp.DoesNotExist:
        raise Http404 from None


def open_determination(*, district: District, student: Student) -> ReadingDetermination | None:
    """The student's latest not-on-track determination, with its RIMP if one exists."""
    return (
        ReadingDetermination.objects.filter(
            district=district, student=student, status=ReadingDetermination.Status.NOT_ON_TRACK
        )
        .select_related("school_year")
        .order_by("-determined_on", "-id")
        .first()
    )


def rimp_of(*, district: District, determination: ReadingDetermination) -> Rimp | None:
    return Rimp.objects.filter(district=district, determination=determination).first()


def rimp_form_choices(*, district: District, student: Student) -> dict:
    """The student's reading plans and parent consultations a RIMP may link to."""
    return {
        "plans": Plan.objects.filter(district=district, student=student)
        .select_related("intervention")
        .order_by("-start_date", "-id"),
        "consultations": ParentConsultation.objects.filter(district=district, student=student).order_by(
            "-held_on", "-id"
        ),
    }
