"""Writes of Ohio's reading guarantee: the fall determination, the RIMP, its approval.

RULES.md 4.5 (ORC 3313.608, ODE Guidance Manual) and seed 003 section D (Ohio Virtual Academy).
"""

from __future__ import annotations

import datetime as dt

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from interventions.models import Plan
from interventions.rimp.models import ReadingDetermination, Rimp
from interventions.rimp.rules import rimp_due
from mtss import events
from mtss.models import District, Membership, Role, SchoolYear, User
from mtss.permissions import allowed
from mtss.selectors import policy_document
from mtss.services import audit
from screening.models import Score
from students.models import ParentConsultation, Student
from students.services import consultation_record

K3 = [0, 1, 2, 3]
READING_AREAS = ("reading", "ela", "literacy", "english-language-arts")


def required_rimp(policy):
    """The policy's plan required when a student is not on track (required_plans[], trigger not_on_track)."""
    if policy is None:
        return None
    return next((p for p in policy.required_plans if p.trigger == "not_on_track"), None)


def reading_determinations_record(
    *,
    district: District,
    school_year: SchoolYear,
    actor: User | None = None,
    student_ids: list[int] | None = None,
) -> dict[str, int]:
    """Rate every K-3 student on track or not from the year's fall reading diagnostic; idempotent.

    The diagnostic is the student's earliest reading score in a fall screening window of the
    year (Ohio: grades 1-3 by Sept. 30, kindergarten by Nov. 1, RULES.md 4.5). Its indicated
    tier comes from the policy's risk rule for the measure (the cut scores: screening/risk.py),
    so "not on track" is the policy's own cut: Tier 2 or above. Scores whose risk could not be
    computed are left undetermined (not assessed). One determination per student and year: a
    second run, or a later score, changes nothing ("once not on track in the fall, the student
    stays on a RIMP"). Each new not-on-track determination announces NOT_ON_TRACK_DETERMINED, so
    the not-on-track notice goes out "as soon as possible and in writing".

    Districts whose policy requires no plan on `not_on_track` (not Ohio) get no determinations.
    """
    if school_year.district_id != district.pk:
        raise ValidationError({"school_year": _("Unknown school year.")})
    _version, policy = policy_document(district=district, as_of=school_year.start_date)
    if policy is None or required_rimp(policy) is None:
        _version, policy = policy_document(district=district, as_of=timezone.localdate())
    required = required_rimp(policy)
    if required is None:
        return {"created": 0, "not_on_track": 0}
    grades = list(required.grades) or K3
    areas = list(required.areas) or list(READING_AREAS)
    scores = Score.objects.filter(
        district=district,
        window__school_year=school_year,
        window__season="fall",
        grade__in=grades,
        tier__isnull=False,
    ).filter(Q(area__in=areas) | Q(area="", measure__subject="reading"))
    if student_ids is not None:
        scores = scores.filter(student_id__in=student_ids)
    earliest: dict[int, tuple] = {}
    for row in scores.order_by("student_id", "test_date", "id").values_list(
        "id", "student_id", "grade", "tier", "test_date", "score", "measure__name", "risk_explanation"
    ):
        earliest.setdefault(row[1], row)
    done = set(
        ReadingDetermination.objects.filter(
            district=district, school_year=school_year, student_id__in=list(earliest)
        ).values_list("student_id", flat=True)
    )
    created = not_on_track = 0
    new_not_on_track: list[int] = []
    with transaction.atomic():
        for student_id, (score_id, _s, grade, tier, test_date, value, measure, why) in earliest.items():
            if student_id in done:
                continue
            status = ReadingDetermination.Status.NOT_ON_TRACK if tier >= 2 else ReadingDetermination.Status.ON_TRACK
            determination, was_created = ReadingDetermination.objects.get_or_create(
                district=district,
                student_id=student_id,
                school_year=school_year,
                defaults={
                    "status": status,
                    "grade": grade,
                    "score_id": score_id,
                    "measure": measure[:200],
                    "score_value": value,
                    "determined_on": test_date,
                    "rimp_due": rimp_due(test_date, required.due_within_days)
                    if status == ReadingDetermination.Status.NOT_ON_TRACK
                    else None,
                    "explanation": why,
                    "determined_by": actor,
                },
            )
            if not was_created:
                continue  # a concurrent run recorded it first
            created += 1
            if status == ReadingDetermination.Status.NOT_ON_TRACK:
                not_on_track += 1
                new_not_on_track.append(student_id)
        if created:
            audit(
                district=district,
                actor=actor,
                verb="reading.determine",
                obj=school_year,
                changes={"created": created, "not_on_track": not_on_track},
            )
        for student in Student.objects.filter(district=district, pk__in=new_not_on_track).order_by("pk"):
            events.announce(
                events.NOT_ON_TRACK_DETERMINED,
                district=district,
                student=student,
                school_year_key=school_year.name,
                actor=actor,
            )
    return {"created": created, "not_on_track": not_on_track}


def _text(errors: dict, field: str, value: str, label: str) -> str:
    value = (value or "").strip()
    if not value:
        errors[field] = _("Describe %(what)s.") % {"what": label}
    return value


def rimp_create(
    *,
    district: District,
    actor: User | None,
    student: Student,
    deficiency: str,
    supplemental_instruction: str,
    monitoring: str,
    parent_involvement: str,
    curriculum: str = "",
    plan: Plan | None = None,
    consultation: ParentConsultation | None = None,
    consultation_held_on: dt.date | None = None,
    consultation_method: str = ParentConsultation.Method.IN_PERSON,
    consultation_notes: str = "",
) -> Rimp:
    """Create the draft RIMP of a not-on-track student (one per determination).

    It holds what RULES.md 4.5 lists: the specific deficiency, the supplemental instruction (and
    the intervention plan that delivers it, optional), the monitoring process, the reading
    curriculum and the parents' part, with the parent consultation (an existing one, or one
    recorded here). The approver is the role the policy names (required_plans[].approved_by).
    """
    if student.district_id != district.pk:
        raise ValidationError({"student": _("Unknown student.")})
    errors: dict[str, str] = {}
    deficiency = _text(errors, "deficiency", deficiency, _("the student's specific reading deficiencies"))
    supplemental_instruction = _text(
        errors, "supplemental_instruction", supplemental_instruction, _("the supplemental instruction")
    )
    monitoring = _text(errors, "monitoring", monitoring, _("how progress and the services are monitored"))
    parent_involvement = _text(errors, "parent_involvement", parent_involvement, _("how the parents take part"))
    if plan is not None and (plan.district_id != district.pk or plan.student_id != student.pk):
        errors["plan"] = _("Select one of this student's plans.")
    if consultation is not None and (consultation.district_id != district.pk or consultation.student_id != student.pk):
        errors["consultation"] = _("Select one of this student's parent consultations.")
    determination = (
        ReadingDetermination.objects.filter(
            district=district, student=student, status=ReadingDetermination.Status.NOT_ON_TRACK
        )
        .select_related("school_year")
        .order_by("-determined_on", "-id")
        .first()
    )
    if determination is None:
        errors["__all__"] = _(
            "The student has no not-on-track reading determination: a RIMP follows the fall diagnostic."
        )
    elif Rimp.objects.filter(district=district, determination=determination).exists():
        errors["__all__"] = _("This student already has a RIMP for %(year)s.") % {
            "year": determination.school_year.name
        }
    if errors:
        raise ValidationError(errors)
    _version, policy = policy_document(district=district, as_of=timezone.localdate())
    required = required_rimp(policy)
    approver = (required.approved_by if required is not None else None) or Role.PRINCIPAL
    try:
        with transaction.atomic():
            if consultation is None and consultation_held_on is not None:
                consultation = consultation_record(
                    district=district,
                    actor=actor,
                    student=student,
                    held_on=consultation_held_on,
                    method=consultation_method,
                    notes=consultation_notes,
                )
            rimp = Rimp.objects.create(
                district=district,
                student=student,
                determination=determination,
                deficiency=deficiency,
                supplemental_instruction=supplemental_instruction,
                plan=plan,
                monitoring=monitoring,
                curriculum=(curriculum or "").strip(),
                parent_involvement=parent_involvement,
                consultation=consultation,
                approver_role=approver,
                created_by=actor,
            )
            audit(district=district, actor=actor, verb="rimp.create", obj=rimp, changes={"status": rimp.status})
    except IntegrityError:
        raise ValidationError(
            {"__all__": _("This student already has a RIMP for %(year)s.") % {"year": determination.school_year.name}}
        ) from None
    return rimp


def rimp_approve(*, district: District, membership: Membership | None, actor: User | None, rimp: Rimp) -> Rimp:
    """Approve a draft RIMP and queue its letter to the parents.

    Only the role the policy names may approve (may_approve_rimp; Ohio: the principal), else
    PermissionDenied with a message naming the role. The draft -> approved step is a conditional
    update, so a second approval (a double click, two principals) is refused with a message and
    queues nothing twice. The letter goes out through mtss.events.RIMP_APPROVED (notifications
    queues it in this transaction: the outbox).
    """
    if rimp.district_id != district.pk:
        raise ValidationError({"rimp": _("Unknown plan.")})
    if not allowed(membership, "may_approve_rimp", rimp):
        role = Role(rimp.approver_role).label if rimp.approver_role in Role.values else rimp.approver_role
        raise PermissionDenied(
            _("Only the %(role)s of the student's school may approve this plan (the district's policy).")
            % {"role": str(role).lower()}
        )
    now = timezone.now()
    with transaction.atomic():
        claimed = Rimp.objects.filter(district=district, pk=rimp.pk, status=Rimp.Status.DRAFT).update(
            status=Rimp.Status.APPROVED, approved_by=actor, approved_at=now
        )
        if not claimed:
            current = Rimp.objects.select_related("approved_by").get(district=district, pk=rimp.pk)
            raise ValidationError(
                _("This plan was already approved on %(day)s by %(who)s.")
                % {
                    "day": timezone.localdate(current.approved_at).isoformat() if current.approved_at else "—",
                    "who": current.approved_by.get_full_name() if current.approved_by else _("someone"),
                }
            )
        rimp.refresh_from_db()
        audit(district=district, actor=actor, verb="rimp.approve", obj=rimp, changes={"status": rimp.status})
        events.announce(
            events.RIMP_APPROVED,
            district=district,
            rimp=rimp,
            school_year_key=rimp.determination.school_year.name,
            actor=actor,
        )
    return rimp
