"""Writes for special-education referrals: request, re-check, review and sign off, override.

States (Referral.Status): a referral starts BLOCKED while evidence is missing and REQUESTED when
it is complete; only the role the policy names signs it off (REVIEWED) or, with a reason,
refers without the complete evidence (OVERRIDDEN). Each write claims the open referral with a
conditional update, so two reviewers or a retry never sign it off twice.
"""

from __future__ import annotations

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from interventions.models import Decision, Referral
from interventions.referrals.evidence import referral_evidence
from mtss.models import District, Membership, User
from mtss.permissions import allowed
from mtss.services import audit
from students.models import Student

MIN_REASON_WORDS = 3


def _status_for(evidence) -> str:
    return Referral.Status.REQUESTED if evidence.complete else Referral.Status.BLOCKED


def _exceptions(evidence) -> list[dict]:
    return [
        {"key": e.key, "description": e.description, "why": e.why, "handled_by": e.handled_by}
        for e in evidence.applying_exceptions
    ]


@transaction.atomic
def referral_request(
    *,
    district: District,
    actor: User | None,
    student: Student,
    area: str = "",
    reason: str = "",
    decision: Decision | None = None,
) -> Referral:
    """Open a referral for the student (or return the open one for the area, linking `decision`).

    The evidence is checked now: with no plan, no session log or no progress data the referral is
    recorded BLOCKED with what is missing, whatever the meeting's override said (issue 13: "With an
    empty log ... any override text lets it through").
    """
    if student.district_id != district.pk:
        raise ValidationError({"student": _("Select a valid student.")})
    existing = (
        Referral.objects.select_for_update()
        .filter(district=district, student=student, area=area, status__in=Referral.OPEN)
        .first()
    )
    evidence = referral_evidence(district=district, student=student, area=area, as_of=timezone.localdate())
    if existing is not None:
        if decision is not None and existing.decision_id is None:
            existing.decision = decision
        existing.missing = evidence.missing
        existing.exceptions = _exceptions(evidence)
        existing.status = _status_for(evidence)
        existing.save(update_fields=["decision", "missing", "exceptions", "status", "updated_at"])
        return existing
    try:
        with transaction.atomic():
            referral = Referral.objects.create(
                district=district,
                student=student,
                area=area,
                status=_status_for(evidence),
                decision=decision,
                reason=reason.strip() or (decision.notes if decision is not None else ""),
                missing=evidence.missing,
                exceptions=_exceptions(evidence),
                reviewer_role=evidence.reviewer_role,
                requested_by=actor,
                policy_label=evidence.policy_label,
            )
    except IntegrityError:
        # Someone opened it meanwhile: that one stands.
        return Referral.objects.get(district=district, student=student, area=area, status__in=Referral.OPEN)
    audit(
        district=district,
        actor=actor,
        verb="referral.request",
        obj=referral,
        changes={
            "status": referral.status,
            "missing": len(evidence.missing),
            "decision": decision.pk if decision else None,
        },
    )
    return referral


def referral_from_decision(*, district: District, actor: User | None, decision: Decision) -> Referral:
    """A team's "refer for an evaluation" decision, applied: open (or link) the student's referral."""
    area = decision.plan.area if decision.plan_id else (decision.item.area or "")
    return referral_request(district=district, actor=actor, student=decision.student, area=area, decision=decision)


@transaction.atomic
def referral_recheck(*, district: District, actor: User | None, referral: Referral) -> Referral:
    """Check the evidence again (a log was added since): BLOCKED becomes REQUESTED, or back."""
    if referral.district_id != district.pk:
        raise ValidationError(_("Unknown referral."))
    if not referral.is_open:
        raise ValidationError(_("This referral is already signed off."))
    evidence = referral_evidence(
        district=district, student=referral.student, area=referral.area, as_of=timezone.localdate()
    )
    Referral.objects.filter(district=district, pk=referral.pk, status__in=Referral.OPEN).update(
        status=_status_for(evidence),
        missing=evidence.missing,
        exceptions=_exceptions(evidence),
        updated_at=timezone.now(),
    )
    referral.refresh_from_db()
    return referral


def _claim(district: District, referral: Referral, **values) -> None:
    updated = Referral.objects.filter(district=district, pk=referral.pk, status__in=Referral.OPEN).update(
        reviewed_at=timezone.now(), updated_at=timezone.now(), **values
    )
    if not updated:
        raise ValidationError(_("This referral was signed off meanwhile; reload the page."), code="conflict")


def _require_reviewer(membership: Membership, referral: Referral) -> None:
    if not allowed(membership, "may_review_referral", referral):
        raise PermissionDenied(_("Only the role the district's policy names may review this referral."))


@transaction.atomic
def referral_review(
    *, district: District, actor: User, membership: Membership, referral: Referral, notes: str = ""
) -> Referral:
    """The reviewing role reads the log, the plan history and the progress data and signs the
    referral off. Refused while evidence is missing: that needs an override with a reason."""
    if referral.district_id != district.pk:
        raise ValidationError(_("Unknown referral."))
    _require_reviewer(membership, referral)
    evidence = referral_evidence(
        district=district, student=referral.student, area=referral.area, as_of=timezone.localdate()
    )
    if not evidence.complete:
        Referral.objects.filter(district=district, pk=referral.pk, status__in=Referral.OPEN).update(
            status=Referral.Status.BLOCKED, missing=evidence.missing
        )
        raise ValidationError(
            {
                "notes": _("The evidence is incomplete: %(missing)s To refer anyway, override with a reason.")
                % {"missing": " ".join(evidence.missing)}
            }
        )
    _claim(
        district,
        referral,
        status=Referral.Status.REVIEWED,
        reviewed_by=actor,
        review_notes=notes.strip(),
        evidence=evidence.snapshot(),
        missing=[],
        exceptions=_exceptions(evidence),
    )
    referral.refresh_from_db()
    audit(district=district, actor=actor, verb="referral.review", obj=referral, changes={"status": referral.status})
    return referral


@transaction.atomic
def referral_override(
    *, district: District, actor: User, membership: Membership, referral: Referral, reason: str
) -> Referral:
    """Refer without the complete evidence: only the reviewing role, and only with a reason of a few
    words (a single character is not a reason). The reason and what was missing go into the packet."""
    if referral.district_id != district.pk:
        raise ValidationError(_("Unknown referral."))
    _require_reviewer(membership, referral)
    reason = " ".join(reason.split())
    if len(reason.split()) < MIN_REASON_WORDS:
        raise ValidationError(
            {
                "override_reason": _("Say why the referral goes ahead without the evidence (at least %(n)s words).")
                % {"n": MIN_REASON_WORDS}
            }
        )
    evidence = referral_evidence(
        district=district, student=referral.student, area=referral.area, as_of=timezone.localdate()
    )
    if evidence.complete:
        raise ValidationError(
            {"override_reason": _("The evidence is complete: review and sign the referral off instead.")}
        )
    _claim(
        district,
        referral,
        status=Referral.Status.OVERRIDDEN,
        reviewed_by=actor,
        override_reason=reason,
        evidence=evidence.snapshot(),
        missing=evidence.missing,
        exceptions=_exceptions(evidence),
    )
    referral.refresh_from_db()
    audit(
        district=district,
        actor=actor,
        verb="referral.override",
        obj=referral,
        changes={"status": referral.status, "missing": evidence.missing},
    )
    return referral
