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
from mtss.permissions import allowed
from students.models import Student
from students.selectors import consultations_due, student_get, student_record


@district_member()
def student_detail_view(request, student_id: int):
    student = student_get(district=request.district, membership=request.membership, student_id=student_id)
    access_log.record(request, action="view", what="student record", student_ids=[student.pk])
    context = {
        "student": student,
        **student_record(district=request.district, student=student),
        **student_timeline(district=request.district, student=student),
        "can_plan": allowed(request.membership, "may_create_plan", student),
        "can_edit": allowed(request.membership, "may_edit_student", student),
        "can_add_guardian": allowed(request.membership, "may_add_guardian", student),
        # The policy's parent consultations a quarter (parent_contact.consultations_per_quarter).
        "consultation_due": next(
            iter(
                consultations_due(
                    district=request.district,
                    students=Student.objects.filter(pk=student.pk),
                    as_of=timezone.localdate(),
                    include_done=True,
                )
            ),
            None,
        ),
        "can_record_consultation": allowed(request.membership, "may_record_consultation", student),
    }
    return render(request, "students/student_detail.html", context)
