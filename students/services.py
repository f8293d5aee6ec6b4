"""Writes of students and guardians: validated, atomic, audited."""
from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _
from guardian.shortcuts import get_perms_for_model

from mtss.models import District, School, User
from mtss.services import audit
from students.models import Guardian, Student, StudentUserObjectPermission
from students.selectors import VIEW_STUDENT

STUDENT_FIELDS = [
    "school", "local_id", "state_id", "sourced_id", "first_name", "middle_name", "last_name", "preferred_name",
    "birth_date", "grade", "gender", "race_ethnicity", "home_language", "entry_date", "exit_date",
    "english_learner", "standard_english_learner", "disability_iep", "section_504", "foster", "homeless",
    "socioeconomically_disadvantaged", "gifted",
]


def _check_school(district: District, school: School) -> None:
    if school.district_id != district.pk:
        # Another district's school id must look exactly like a missing one.
        raise ValidationError({"school": _("Select a valid school.")})


def _check_student(district: District, student: Student) -> None:
    _check_school(district, student.school)
    if not (student.school.grade_low <= student.grade <= student.school.grade_high):
        raise ValidationError(
            {"grade": _("Grade %(grade)s is outside %(school)s's grade span (%(span)s).")
             % {"grade": student.get_grade_display(), "school": student.school.name, "span": student.school.grade_span}}
        )
    duplicate = Student.objects.filter(district=district, local_id=student.local_id).exclude(pk=student.pk)
    if duplicate.exists():
        raise ValidationError({"local_id": _("Another student in this district already has local id %(id)s.")
                               % {"id": student.local_id}})
    student.full_clean(exclude=["district"], validate_unique=False)


def _save(district: District, student: Student) -> None:
    try:
        with transaction.atomic():
            student.save()
    except IntegrityError:
        # Two people saving the same local id at once: the constraint decides.
        raise ValidationError({"local_id": _("Another student in this district already has local id %(id)s.")
                               % {"id": student.local_id}}) from None


@transaction.atomic
def student_create(*, district: District, actor: User | None, **fields) -> Student:
    student = Student(district=district, **fields)
    _check_student(district, student)
    _save(district, student)
    audit(district=district, actor=actor, verb="student.create", obj=student)
    return student


@transaction.atomic
def student_update(*, district: District, actor: User | None, student: Student, **fields) -> Student:
    if student.district_id != district.pk:
        raise ValidationError(_("Unknown student."))
    changed = {}
    for name, value in fields.items():
        if name not in STUDENT_FIELDS:
            raise ValidationError({name: _("This field cannot be changed.")})
        old = getattr(student, name)
        if old != value:
            changed[name] = True  # which fields changed, never their (private) values
            setattr(student, name, value)
    if changed:
        _check_student(district, student)
        _save(district, student)
        audit(district=district, actor=actor, verb="student.update", obj=student, changes={"fields": sorted(changed)})
    return student


@transaction.atomic
def guardian_create(*, district: District, actor: User | None, student: Student, **fields) -> Guardian:
    if student.district_id != district.pk:
        raise ValidationError(_("Unknown student."))
    guardian = Guardian(district=district, student=student, **fields)
    guardian.full_clean(exclude=["district", "student"])
    guardian.save()
    audit(district=district, actor=actor, verb="guardian.create", obj=guardian)
    return guardian


def _view_permission():
    return next(p for p in get_perms_for_model(Student) if p.codename == VIEW_STUDENT)


def student_grant_access(*, district: District, user: User, student_ids: list[int]) -> int:
    """Give a teacher (enrolled students) or specialist (caseload) `view_student`.

    Set-based: one query for existing grants, one bulk insert for the rest.
    """
    permission = _view_permission()
    valid = set(Student.objects.filter(district=district, pk__in=student_ids).values_list("pk", flat=True))
    existing = set(
        StudentUserObjectPermission.objects.filter(
            district=district, user=user, permission=permission, content_object_id__in=valid
        ).values_list("content_object_id", flat=True)
    )
    new = [
        StudentUserObjectPermission(district=district, user=user, permission=permission, content_object_id=pk)
        for pk in sorted(valid - existing)
    ]
    StudentUserObjectPermission.objects.bulk_create(new)
    return len(new)


def student_revoke_access(*, district: District, user: User, student_ids: list[int]) -> int:
    deleted, _ = StudentUserObjectPermission.objects.filter(
        district=district, user=user, permission__codename=VIEW_STUDENT, content_object_id__in=student_ids
    ).delete()
    return deleted
