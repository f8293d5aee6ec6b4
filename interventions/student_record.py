"""The student record page (/students/<id>/): the student, guardians, enrollments and
placements (students), with plans, delivered sessions and team decisions (interventions).

It composes interventions' records, so it lives here rather than in students (which may
not import interventions); the URL is unchanged (interventions/student_urls.py, included
under students/ in mtss/urls.py).
"""
from __future__ import annotations

from django.shortcuts import render
from django.utils import timezone

from interventions.selectors import student_timeline
from mtss import access_log
from mtss.decorators import district_member
from mtss.models import Role
from students.models import Student
from students.selectors import consultations_due, student_get, student_record
from students.views import CONSULTATION_RECORDERS, EDITORS, GUARDIAN_EDITORS


@district_member()
def student_detail_view(request, student_id: int):
    student = student_get(district=request.district, membership=request.membership, student_id=student_id)
    access_log.record(request, action="view", what="student record", student_ids=[student.pk])
    context = {
        "student": student,
        **student_record(district=request.district, student=student),
        **student_timeline(district=request.district, student=student),
        "can_plan": request.membership.role in (Role.DISTRICT_ADMIN, Role.PRINCIPAL, Role.INTERVENTION_SPECIALIST),
        "can_edit": request.membership.role in EDITORS,
        "can_add_guardian": request.membership.role in GUARDIAN_EDITORS,
        # The policy's parent consultations a quarter (parent_contact.consultations_per_quarter).
        "consultation_due": next(iter(consultations_due(
            district=request.district, students=Student.objects.filter(pk=student.pk), as_of=timezone.localdate(),
            include_done=True)), None),
        "can_record_consultation": request.membership.role in CONSULTATION_RECORDERS,
    }
    return render(request, "students/student_detail.html", context)
