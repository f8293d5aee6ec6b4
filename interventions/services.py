"""Writes for interventions: placements, groups, plans and phases, session logs, probes.

Every function takes the district first, validates before writing anything,
runs in one transaction, and records an AuditEvent (edits and deletions of
session logs keep the before/after in the audit trail).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _lazy

from interventions.evaluation_inputs import resolve_measure
from interventions.models import (
    MAX_SESSION_MINUTES,
    Attendance,
    Intervention,
    InterventionGroup,
    InterventionSession,
    Plan,
    PlanMeasure,
    PlanPhase,
    Probe,
    TierPlacement,
)
from mtss import events
from mtss.calendars.selectors import non_instructional_by_school, non_instructional_dates
from mtss.constraints import friendly_constraints
from mtss.models import District, Membership, School, User
from mtss.permissions import PROVIDER_ROLES, SEES_WHOLE_DISTRICT, allowed
from mtss.selectors import policy_document
from mtss.services import audit
from screening.scores import PROBE_SCORE_CEILING, ScoreRange, as_number, score_problem
from screening.selectors import catalog_measure_names, measure_score_range
from screening.services import review_item_plan_saved
from students.models import Student

NO_DELIVERY = {Attendance.Status.PROVIDER_ABSENT, Attendance.Status.CANCELLED}


def _today(district: District) -> dt.date:
    return timezone.localdate()


# A plan form submitted again within this time, identical, by the same person, is a resubmission.
RESUBMISSION_WINDOW = dt.timedelta(minutes=30)


# --- placements -------------------------------------------------------------------------


@transaction.atomic
def placement_set(
    *,
    district: District,
    actor: User | None,
    student: Student,
    area: str,
    tier: int,
    start_date: dt.date,
    reason: str = "",
    meeting=None,
) -> TierPlacement:
    """Close the open placement in `area` (if any) and open one in `tier`."""
    if student.district_id != district.pk:
        raise ValidationError(_("Unknown student."))
    if tier < 1:
        raise ValidationError({"tier": _("Tier must be 1 or more.")})
    open_placement = (
        TierPlacement.objects.select_for_update()
        .filter(district=district, student=student, area=area, end_date__isnull=True)
        .first()
    )
    if open_placement is not None:
        if start_date < open_placement.start_date:
            raise ValidationError(
                {
                    "start_date": _("The new placement cannot start before the current one (%(d)s).")
                    % {"d": open_placement.start_date}
                }
            )
        open_placement.end_date = start_date
        open_placement.save(update_fields=["end_date"])
    with friendly_constraints():
        placement = TierPlacement.objects.create(
            district=district,
            student=student,
            area=area,
            tier=tier,
            start_date=start_date,
            reason=reason,
            decided_by=actor,
            meeting=meeting,
        )
    audit(
        district=district,
        actor=actor,
        verb="placement.set",
        obj=placement,
        changes={"area": area, "tier": tier, "previous_tier": open_placement.tier if open_placement else None},
    )
    return placement


# --- library --------------------------------------------------------------------------------

# Bounds of a library entry's recommended dosage (shared by the form and the API).
LIBRARY_LIMITS = {
    "sessions_per_week": (0.1, 7),
    "minutes_per_session": (1, MAX_SESSION_MINUTES),
    "group_size_max": (1, 40),
}


@transaction.atomic
def intervention_save(
    *, district: District, actor: User | None, intervention: Intervention | None = None, **fields
) -> Intervention:
    intervention = intervention or Intervention(district=district)
    if intervention.district_id != district.pk:
        raise ValidationError(_("Unknown intervention."))
    for name, value in fields.items():
        setattr(intervention, name, value)
    tiers = intervention.tiers or []
    if not isinstance(tiers, list) or not all(isinstance(t, int) and 1 <= t <= 6 for t in tiers):
        raise ValidationError({"tiers": _("List the suitable tiers as whole numbers from 1 to 6.")})
    for name, (low, high) in LIBRARY_LIMITS.items():
        value = getattr(intervention, name)
        if value is not None and not (low <= value <= high):
            raise ValidationError({name: _("Must be between %(low)s and %(high)s.") % {"low": low, "high": high}})
    if (
        Intervention.objects.filter(district=district, name__iexact=intervention.name)
        .exclude(pk=intervention.pk)
        .exists()
    ):
        raise ValidationError(
            {"name": _("The library already has an intervention named %(n)s.") % {"n": intervention.name}}
        )
    intervention.full_clean(exclude=["district"], validate_unique=False)
    created = intervention.pk is None
    with friendly_constraints():
        intervention.save()
    audit(
        district=district,
        actor=actor,
        verb="intervention.create" if created else "intervention.update",
        obj=intervention,
        changes={"fields": sorted(fields)},
    )
    return intervention


# --- policy checks --------------------------------------------------------------------------


def dosage_shortfalls(
    *, district: District, tier: int, weekly_sessions: float, minutes: int, as_of: dt.date | None = None
) -> list[str]:
    """Where a schedule falls short of the policy's dosage for the tier (plain sentences)."""
    version, policy = policy_document(district=district, as_of=as_of)
    if policy is None:
        return []
    try:
        policy_tier = policy.tier(tier)
    except LookupError:
        return [_("The district policy (%(p)s) has no tier %(t)s.") % {"p": version.label, "t": tier}]
    dosage = policy_tier.dosage
    problems = []
    if dosage is None:
        return problems
    if dosage.sessions_per_week:
        wanted = dosage.sessions_per_week
    elif dosage.sessions_per_cycle and dosage.cycle_days:
        wanted = dosage.sessions_per_cycle * 5 / dosage.cycle_days
    else:
        wanted = None
    if wanted and weekly_sessions + 1e-9 < wanted:
        problems.append(
            _("%(tier)s calls for %(want)s sessions a week; this schedule gives %(got)s (policy %(p)s).")
            % {"tier": policy_tier.name, "want": f"{wanted:g}", "got": f"{weekly_sessions:g}", "p": version.label}
        )
    if dosage.minutes_per_session and minutes < dosage.minutes_per_session:
        problems.append(
            _("%(tier)s calls for %(want)s minutes a session; this schedule gives %(got)s (policy %(p)s).")
            % {"tier": policy_tier.name, "want": dosage.minutes_per_session, "got": minutes, "p": version.label}
        )
    return problems


def max_group_size(*, district: District, tier: int, as_of: dt.date | None = None) -> tuple[int | None, str]:
    version, policy = policy_document(district=district, as_of=as_of)
    if policy is None:
        return None, ""
    try:
        return policy.tier(tier).max_group_size, version.label
    except LookupError:
        return None, version.label


def _check_schedule(errors: dict, *, sessions_per_week, sessions_per_cycle, cycle_days, minutes_per_session) -> None:
    if sessions_per_week and (sessions_per_cycle or cycle_days):
        errors["sessions_per_week"] = _(
            "Give sessions per week, or sessions per cycle with the cycle length, not both."
        )
    elif not sessions_per_week and not (sessions_per_cycle and cycle_days):
        errors["sessions_per_week"] = _("Give sessions per week, or sessions per cycle with the cycle length.")
    if sessions_per_week is not None and not (0 < sessions_per_week <= 7):
        errors["sessions_per_week"] = _("Sessions per week must be more than 0 and at most 7.")
    if sessions_per_cycle and cycle_days and sessions_per_cycle > cycle_days:
        errors["sessions_per_cycle"] = _("A %(d)s-day cycle cannot hold %(n)s sessions.") % {
            "d": cycle_days,
            "n": sessions_per_cycle,
        }
    if minutes_per_session is None or not (1 <= minutes_per_session <= MAX_SESSION_MINUTES):
        errors["minutes_per_session"] = _("Minutes per session must be between 1 and %(max)s.") % {
            "max": MAX_SESSION_MINUTES
        }


def _check_provider(
    errors: dict, *, district: District, provider: User, school: School, field: str = "provider"
) -> None:
    membership = Membership.objects.filter(district=district, user=provider, is_active=True).first()
    if membership is None or membership.role not in PROVIDER_ROLES | SEES_WHOLE_DISTRICT:
        errors[field] = _("Choose a provider who works in this district.")
        return
    if not allowed(membership, "may_provide_at", school):
        errors[field] = _("%(name)s does not work at %(school)s.") % {
            "name": provider.get_full_name() or provider.username,
            "school": school.name,
        }


# --- groups -------------------------------------------------------------------------------


@transaction.atomic
def group_create(
    *,
    district: District,
    actor: User | None,
    school: School,
    provider: User,
    name: str,
    area: str,
    tier: int,
    intervention: Intervention | None = None,
    sessions_per_week: float | None = None,
    sessions_per_cycle: int | None = None,
    cycle_days: int | None = None,
    minutes_per_session: int | None = None,
) -> InterventionGroup:
    errors: dict[str, str] = {}
    if school.district_id != district.pk:
        errors["school"] = _("Select a valid school.")
    else:
        _check_provider(errors, district=district, provider=provider, school=school)
    if intervention is not None and intervention.district_id != district.pk:
        errors["intervention"] = _("Select a valid intervention.")
    _check_schedule(
        errors,
        sessions_per_week=sessions_per_week,
        sessions_per_cycle=sessions_per_cycle,
        cycle_days=cycle_days,
        minutes_per_session=minutes_per_session,
    )
    if errors:
        raise ValidationError(errors)
    with friendly_constraints():
        group = InterventionGroup.objects.create(
            district=district,
            school=school,
            provider=provider,
            name=name,
            area=area,
            tier=tier,
            intervention=intervention,
            sessions_per_week=sessions_per_week,
            sessions_per_cycle=sessions_per_cycle,
            cycle_days=cycle_days,
            minutes_per_session=minutes_per_session,
        )
    audit(district=district, actor=actor, verb="group.create", obj=group)
    return group


def _check_group_room(*, district: District, group: InterventionGroup, adding: int = 1) -> None:
    """The policy's maximum group size for the tier (Loudon: Tier II 5, Tier III 3)."""
    limit, label = max_group_size(district=district, tier=group.tier)
    if limit is None:
        return
    # Lock the group row so two people adding the last seat at once cannot both succeed.
    InterventionGroup.objects.select_for_update().filter(pk=group.pk).first()
    members = Plan.objects.filter(district=district, group=group, status=Plan.Status.ACTIVE).count()
    if members + adding > limit:
        raise ValidationError(
            {
                "group": _(
                    "%(group)s already has %(n)s students; the policy (%(p)s) allows at most "
                    "%(max)s in a Tier %(tier)s group."
                )
                % {"group": group.name, "n": members, "p": label, "max": limit, "tier": group.tier}
            }
        )


@transaction.atomic
def group_add_plan(*, district: District, actor: User | None, group: InterventionGroup, plan: Plan) -> Plan:
    if group.district_id != district.pk or plan.district_id != district.pk:
        raise ValidationError(_("Unknown group or plan."))
    if plan.group_id == group.pk:
        return plan
    if plan.area != group.area or plan.tier != group.tier:
        raise ValidationError(
            {"group": _("This group is for %(area)s Tier %(tier)s.") % {"area": group.area, "tier": group.tier}}
        )
    _check_group_room(district=district, group=group)
    plan.group = group
    plan.save(update_fields=["group"])
    audit(district=district, actor=actor, verb="group.add_plan", obj=group, changes={"plan": plan.pk})
    return plan


# --- plans --------------------------------------------------------------------------------


@transaction.atomic
def plan_create(
    *,
    district: District,
    actor: User | None,
    student: Student,
    area: str,
    tier: int,
    intervention: Intervention,
    provider: User,
    start_date: dt.date,
    expected_end_date: dt.date,
    goal_measure: str,
    goal_target_date: dt.date,
    goal_target: float | None = None,
    goal_roi: float | None = None,
    goal_direction: str = "up",
    group: InterventionGroup | None = None,
    sessions_per_week: float | None = None,
    sessions_per_cycle: int | None = None,
    cycle_days: int | None = None,
    minutes_per_session: int | None = None,
    baseline_probes: list[tuple[dt.date, float]] = (),
    from_form: bool = False,
    review_item_id: int | None = None,
) -> tuple[Plan, list[str]]:
    """Create a plan (phase 1, baseline probes); returns it with the policy's dosage warnings.

    A resubmitted plan form with the same one-time token never reaches this function: the view
    runs it through ``mtss.idempotency.submit_once``, like every data-entry form. ``from_form``:
    the call comes from the plan form, where Back can fetch the form again (a new token) before
    it is resubmitted; the identical plan, by the same person, minutes ago, is that
    resubmission, returned with ``plan._existing`` True and nothing written.

    `review_item_id`: the screening review item the plan was started from ("Start a plan" in the
    queue); it is marked "plan started" now that the plan exists, not before (issue 14).
    """
    errors: dict[str, str] = {}
    if student.district_id != district.pk:
        raise ValidationError(_("Unknown student."))
    if from_form and actor is not None:
        again = Plan.objects.filter(
            district=district,
            student=student,
            area=area,
            tier=tier,
            intervention=intervention,
            start_date=start_date,
            goal_measure=goal_measure,
            status=Plan.Status.ACTIVE,
            created_by=actor,
            created_at__gte=timezone.now() - RESUBMISSION_WINDOW,
        ).first()
        if again is not None:
            again._existing = True
            return again, []
    if intervention.district_id != district.pk:
        errors["intervention"] = _("Select a valid intervention.")
    _check_provider(errors, district=district, provider=provider, school=student.school)
    _check_schedule(
        errors,
        sessions_per_week=sessions_per_week,
        sessions_per_cycle=sessions_per_cycle,
        cycle_days=cycle_days,
        minutes_per_session=minutes_per_session,
    )
    if expected_end_date <= start_date:
        errors["expected_end_date"] = _("The expected end must be after the start.")
    if goal_target_date <= start_date:
        errors["goal_target_date"] = _("The goal date must be after the start.")
    if goal_target is None and goal_roi is None:
        errors["goal_target"] = _("Give a goal score or a goal rate of improvement.")
    today = _today(district)
    baseline_range = None
    for when, score in baseline_probes:
        if when > today:
            errors["baseline_probes"] = _("Baseline probe on %(d)s is in the future.") % {"d": when}
        if baseline_range is None:
            baseline_range = probe_score_range(district=district, plan=Plan(goal_measure=goal_measure))
        problem = score_problem(score, baseline_range)  # the one score rule (screening/scores.py)
        if problem is not None:
            errors["baseline_probes"] = problem
    if group is not None and (group.district_id != district.pk or group.area != area or group.tier != tier):
        errors["group"] = _("Choose a group for %(area)s Tier %(tier)s.") % {"area": area, "tier": tier}
    if errors:
        raise ValidationError(errors)
    placement = TierPlacement.objects.filter(
        district=district, student=student, area=area, end_date__isnull=True
    ).first()
    previous_tier = placement.tier if placement is not None else None
    new_placement = placement is None or placement.tier != tier
    if new_placement:
        placement = placement_set(
            district=district,
            actor=actor,
            student=student,
            area=area,
            tier=tier,
            start_date=start_date,
            reason=_("Plan started"),
        )
    plan = Plan(
        district=district,
        student=student,
        placement=placement,
        area=area,
        tier=tier,
        intervention=intervention,
        provider=provider,
        start_date=start_date,
        expected_end_date=expected_end_date,
        goal_measure=goal_measure,
        goal_target=goal_target,
        goal_roi=goal_roi,
        goal_target_date=goal_target_date,
        goal_direction=goal_direction,
        sessions_per_week=sessions_per_week,
        sessions_per_cycle=sessions_per_cycle,
        cycle_days=cycle_days,
        minutes_per_session=minutes_per_session,
        created_by=actor,
    )
    try:
        with transaction.atomic():
            plan.save()
    except IntegrityError as error:
        raise ValidationError(constraint_errors(error)) from None
    if group is not None:
        _check_group_room(district=district, group=group)
        plan.group = group
        plan.save(update_fields=["group"])
    PlanPhase.objects.create(
        district=district,
        plan=plan,
        number=1,
        start_date=start_date,
        intervention=intervention,
        goal_target=goal_target,
        goal_target_date=goal_target_date,
        goal_roi=goal_roi,
        created_by=actor,
    )
    Probe.objects.bulk_create(
        [
            Probe(district=district, plan=plan, date=d, score=s, is_baseline=True, entered_by=actor)
            for d, s in baseline_probes
        ]
    )
    audit(district=district, actor=actor, verb="plan.create", obj=plan, changes={"student": student.pk, "tier": tier})
    if new_placement:
        # The parents' start notice (Holland Patent: a first Tier 2 placement made through the plan
        # form); notifications queues it in this transaction (mtss/events.py).
        events.announce(
            events.PLACEMENT_STARTED,
            district=district,
            student=student,
            placement=placement,
            plan=plan,
            previous_tier=previous_tier,
            actor=actor,
        )
    if review_item_id is not None:
        review_item_plan_saved(district=district, actor=actor, item_id=review_item_id, student_id=student.pk)
    warnings = dosage_shortfalls(
        district=district, tier=tier, weekly_sessions=plan.weekly_sessions, minutes=minutes_per_session
    )
    return plan, warnings


@transaction.atomic
def plan_change_phase(
    *,
    district: District,
    actor: User | None,
    plan: Plan,
    start_date: dt.date,
    reason: str,
    intervention: Intervention | None = None,
    goal_target: float | None = None,
    goal_target_date: dt.date | None = None,
    goal_roi: float | None = None,
) -> PlanPhase:
    """A new intervention or goal starts a new phase, evaluated on its own (RULES.md 1.0)."""
    if plan.district_id != district.pk:
        raise ValidationError(_("Unknown plan."))
    last = PlanPhase.objects.select_for_update().filter(district=district, plan=plan).order_by("-number").first()
    if last is not None and start_date <= last.start_date:
        raise ValidationError({"start_date": _("A new phase must start after %(d)s.") % {"d": last.start_date}})
    if not reason.strip():
        raise ValidationError({"reason": _("Say why the plan changes.")})
    plan.intervention = intervention or plan.intervention
    if goal_target is not None or goal_roi is not None:
        plan.goal_target, plan.goal_roi = goal_target, goal_roi
    plan.goal_target_date = goal_target_date or plan.goal_target_date
    plan.save(update_fields=["intervention", "goal_target", "goal_roi", "goal_target_date"])
    phase = PlanPhase.objects.create(
        district=district,
        plan=plan,
        number=(last.number if last else 0) + 1,
        start_date=start_date,
        intervention=plan.intervention,
        goal_target=plan.goal_target,
        goal_target_date=plan.goal_target_date,
        goal_roi=plan.goal_roi,
        reason=reason,
        created_by=actor,
    )
    audit(district=district, actor=actor, verb="plan.phase", obj=plan, changes={"phase": phase.number})
    return phase


# The plan table's database constraints, in words, on the field they concern. The forms and
# services check the same rules first; this is the last line, so a race or a path that skipped
# a check still answers with a sentence instead of 'Constraint "plan_dates" is violated.'
PLAN_CONSTRAINT_MESSAGES = {
    "plan_dates": ("expected_end_date", _lazy("The expected end must be after the start.")),
    "plan_goal_target_or_roi": ("goal_target", _lazy("Give a goal score or a goal rate of improvement.")),
    "plan_schedule_kind": (
        "sessions_per_week",
        _lazy("Give sessions per week, or sessions per cycle with the cycle length (not both)."),
    ),
    "plan_minutes_range": (
        "minutes_per_session",
        _lazy("Minutes per session must be between 1 and %(max)s."),
    ),
    "plan_dd_override_complete": (
        "dd_level_cut",
        _lazy("Give both the level and the growth criterion with a reason, or none of them."),
    ),
}


def constraint_errors(error: IntegrityError) -> dict[str, list[str]]:
    """A database refusal of a plan row as {field: [message]} (the constraint's name is in the error)."""
    text = str(error)
    for name, (field, message) in PLAN_CONSTRAINT_MESSAGES.items():
        if name in text:
            return {
                field or "__all__": [
                    str(message) % {"max": MAX_SESSION_MINUTES} if "%(max)s" in str(message) else str(message)
                ]
            }
    return {"__all__": [_("The plan could not be saved; check the values and try again.")]}


@transaction.atomic
def plan_update(
    *,
    district: District,
    actor: User | None,
    plan: Plan,
    intervention: Intervention,
    goal_target: float | None,
    goal_roi: float | None,
    goal_target_date: dt.date,
    phase_start: dt.date,
    reason: str,
    provider: User,
    minutes_per_session: int,
    expected_end_date: dt.date,
    sessions_per_week: float | None = None,
    sessions_per_cycle: int | None = None,
    cycle_days: int | None = None,
) -> tuple[Plan, PlanPhase | None]:
    """Edit a running plan (the plan edit screen).

    A new intervention or goal (score, rate or date) starts a new phase on ``phase_start``,
    with its reason (RULES.md 1.0: each phase is evaluated on its own; the old phases stay).
    The provider, the schedule and the expected end change in place. Returns the plan and the
    new phase (None when only the schedule or provider changed).
    """
    if plan.district_id != district.pk:
        raise ValidationError(_("Unknown plan."))
    if plan.status != Plan.Status.ACTIVE:
        raise ValidationError(_("This plan has ended; start a new plan instead."))
    errors: dict[str, str] = {}
    if intervention.district_id != district.pk:
        errors["intervention"] = _("Select a valid intervention.")
    _check_provider(errors, district=district, provider=provider, school=plan.student.school)
    _check_schedule(
        errors,
        sessions_per_week=sessions_per_week,
        sessions_per_cycle=sessions_per_cycle,
        cycle_days=cycle_days,
        minutes_per_session=minutes_per_session,
    )
    if expected_end_date <= plan.start_date:
        errors["expected_end_date"] = _("The expected end must be after the start (%(d)s).") % {"d": plan.start_date}
    if goal_target is None and goal_roi is None:
        errors["goal_target"] = _("Give a goal score or a goal rate of improvement.")
    if goal_target is not None:
        goal_roi = None  # a goal score wins; the rate is then what the aim line gives
    new_phase = (
        intervention.pk != plan.intervention_id
        or goal_target != plan.goal_target
        or goal_roi != plan.goal_roi
        or goal_target_date != plan.goal_target_date
    )
    if new_phase:
        if goal_target_date <= phase_start:
            errors["goal_target_date"] = _("The goal date must be after the change takes effect.")
        if not (reason or "").strip():
            errors["reason"] = _("Say why the intervention or goal changes; the reason stays with the phase.")
    if errors:
        raise ValidationError(errors)
    before = {
        "provider": plan.provider_id,
        "schedule": [plan.sessions_per_week, plan.sessions_per_cycle, plan.cycle_days, plan.minutes_per_session],
        "expected_end_date": plan.expected_end_date.isoformat(),
    }
    plan.provider = provider
    plan.sessions_per_week, plan.sessions_per_cycle, plan.cycle_days = sessions_per_week, sessions_per_cycle, cycle_days
    plan.minutes_per_session, plan.expected_end_date = minutes_per_session, expected_end_date
    try:
        with transaction.atomic():
            plan.save(
                update_fields=[
                    "provider",
                    "sessions_per_week",
                    "sessions_per_cycle",
                    "cycle_days",
                    "minutes_per_session",
                    "expected_end_date",
                ]
            )
    except IntegrityError as error:
        raise ValidationError(constraint_errors(error)) from None
    audit(
        district=district,
        actor=actor,
        verb="plan.update",
        obj=plan,
        changes={
            "before": before,
            "after": {
                "provider": provider.pk,
                "schedule": [sessions_per_week, sessions_per_cycle, cycle_days, minutes_per_session],
                "expected_end_date": expected_end_date.isoformat(),
            },
        },
    )
    phase = None
    if new_phase:
        try:
            phase = plan_change_phase(
                district=district,
                actor=actor,
                plan=plan,
                start_date=phase_start,
                reason=reason.strip(),
                intervention=intervention,
                goal_target=goal_target,
                goal_roi=goal_roi,
                goal_target_date=goal_target_date,
            )
        except ValidationError as error:
            if hasattr(error, "error_dict") and "start_date" in error.error_dict:
                raise ValidationError({"phase_start": error.error_dict["start_date"]}) from None
            raise
    return plan, phase


@transaction.atomic
def plan_end(
    *,
    district: District,
    actor: User | None,
    plan: Plan,
    outcome: str,
    reason: str,
    end_date: dt.date,
    note: str = "",
) -> Plan:
    """End a plan: completed (goal met, duration done) or discontinued, with a reason.

    When it was the student's last active plan in the area, the tier placement ends too, and
    the parent notices the policy requires when services end (trigger ``tier_end``; Loudon and
    Holland Patent send an end-of-services letter) are queued through the same event the team
    decisions use (mtss/events.py, DECISION_NOTICE_DUE), in this transaction.
    """
    if plan.district_id != district.pk:
        raise ValidationError(_("Unknown plan."))
    locked = Plan.objects.select_for_update().select_related("student").get(district=district, pk=plan.pk)
    if locked.status != Plan.Status.ACTIVE:
        raise ValidationError(_("This plan has already ended."))
    errors: dict[str, str] = {}
    if outcome not in Plan.END_REASONS:
        errors["outcome"] = _("Choose completed or discontinued.")
    elif reason not in Plan.END_REASONS[outcome]:
        errors["reason"] = _("Choose a reason that fits “%(o)s”.") % {"o": Plan.Status(outcome).label}
    note = (note or "").strip()
    if reason == Plan.EndReason.OTHER and not note:
        errors["note"] = _("Say what the other reason is.")
    if len(note) > 2000:
        errors["note"] = _("Keep the notes under 2,000 characters.")
    if end_date < locked.start_date:
        errors["end_date"] = _("The plan cannot end before it started (%(d)s).") % {"d": locked.start_date}
    elif end_date > _today(district):
        errors["end_date"] = _("%(d)s is in the future; end the plan on its last day, once it is over.") % {
            "d": end_date
        }
    if errors:
        raise ValidationError(errors)
    locked.status, locked.end_date, locked.end_reason = outcome, end_date, reason
    locked.end_note, locked.ended_by = note, actor
    locked.save(update_fields=["status", "end_date", "end_reason", "end_note", "ended_by"])
    plan.status, plan.end_date, plan.end_reason, plan.end_note = outcome, end_date, reason, note
    audit(
        district=district,
        actor=actor,
        verb="plan.end",
        obj=locked,
        changes={"status": outcome, "reason": reason, "end_date": end_date.isoformat()},
    )
    others = Plan.objects.filter(
        district=district, student=locked.student, area=locked.area, status=Plan.Status.ACTIVE
    ).exists()
    if others:
        return plan
    placement = (
        TierPlacement.objects.select_for_update()
        .filter(district=district, student=locked.student, area=locked.area, end_date__isnull=True)
        .first()
    )
    if placement is not None:
        placement.end_date = max(end_date, placement.start_date)
        placement.save(update_fields=["end_date"])
    reason_text = Plan.EndReason(reason).label + (f": {note}" if note else "")
    events.announce(
        events.DECISION_NOTICE_DUE,
        district=district,
        student=locked.student,
        trigger="tier_end",
        period_key=f"plan-end-{locked.pk}",
        actor=actor,
        context={
            "plan_ids": [locked.pk],
            "reason": reason_text,
            "summary": note,
            "teacher_recommendation": reason_text,
            "end_date": end_date.isoformat(),
            "from_tier": locked.tier,
            "area": locked.area,
        },
        meeting=None,
        tier=locked.tier,
    )
    return plan


# --- probes -------------------------------------------------------------------------------


def probe_score_range(*, district: District, plan: Plan, measure: PlanMeasure | None = None) -> ScoreRange:
    """The scores a probe of the plan's measure may have: the catalog measure's range (the range
    score imports check, screening/importers/pipeline.py), else 0..PROBE_SCORE_CEILING."""
    text = measure.measure if measure is not None else plan.goal_measure
    _version, policy = policy_document(district=district)
    key, _table = resolve_measure(policy, text or "", catalog_measure_names(district=district))
    found = measure_score_range(district=district, key=key)
    if found is None:
        return ScoreRange(0.0, PROBE_SCORE_CEILING, text)
    return ScoreRange(
        found.low if found.low is not None else 0.0,
        found.high if found.high is not None else PROBE_SCORE_CEILING,
        found.name,
    )


def _check_probe(
    errors: list,
    *,
    plan: Plan,
    when: dt.date,
    score,
    today: dt.date,
    line: str = "",
    baseline: bool = False,
    score_range: ScoreRange | None = None,
) -> float | None:
    prefix = f"{line}: " if line else ""
    # The one score rule of every entry path (screening/scores.py): finite, within the measure's range.
    problem = score_problem(score, score_range or ScoreRange(0.0, PROBE_SCORE_CEILING, plan.goal_measure))
    if problem is not None:
        errors.append(prefix + problem)
        return None
    value = as_number(score)
    if when > today:
        errors.append(prefix + _("%(d)s is in the future.") % {"d": when})
    elif when < plan.start_date and not baseline:
        errors.append(
            prefix
            + _("%(d)s is before the plan started (%(s)s); enter it as a baseline probe.")
            % {"d": when, "s": plan.start_date}
        )
    return value


@transaction.atomic
def probes_add(
    *,
    district: District,
    actor: User | None,
    plan: Plan,
    probes: list[tuple[dt.date, object]],
    session: InterventionSession | None = None,
    measure: PlanMeasure | None = None,
) -> list[Probe]:
    """Add progress probes (one or many) on the plan's primary measure or one of its further
    measures; all are checked before any is written."""
    if plan.district_id != district.pk:
        raise ValidationError(_("Unknown plan."))
    if measure is not None and (measure.district_id != district.pk or measure.plan_id != plan.pk):
        raise ValidationError({"measure": _("Not a measure of this plan.")})
    today, errors, rows = _today(district), [], []
    score_range = probe_score_range(district=district, plan=plan, measure=measure)
    for index, (when, score) in enumerate(probes, start=1):
        value = _check_probe(
            errors,
            plan=plan,
            when=when,
            score=score,
            today=today,
            line=_("line %(n)s") % {"n": index} if len(probes) > 1 else "",
            score_range=score_range,
        )
        if value is not None:
            rows.append(
                Probe(
                    district=district,
                    plan=plan,
                    date=when,
                    score=value,
                    session=session,
                    entered_by=actor,
                    measure=measure,
                )
            )
    if errors:
        raise ValidationError({"probes": errors})
    created = Probe.objects.bulk_create(rows)
    audit(
        district=district,
        actor=actor,
        verb="probe.add",
        obj=plan,
        changes={"count": len(created), **({"measure": measure.pk} if measure is not None else {})},
    )
    return created


def _probe_snapshot(probe: Probe) -> dict:
    return {
        "plan": probe.plan_id,
        "measure": probe.measure_id,
        "date": probe.date.isoformat(),
        "score": probe.score,
        "is_baseline": probe.is_baseline,
        "session": probe.session_id,
    }


@transaction.atomic
def probe_update(
    *, district: District, actor: User | None, probe: Probe, date: dt.date, score, reason: str = ""
) -> Probe:
    """Correct a probe's date or score (a mistyped 25 for 52), with a reason: the same checks as a
    new probe; the audit trail keeps the old values and the reason."""
    if probe.district_id != district.pk:
        raise ValidationError(_("Unknown probe."))
    plan = probe.plan
    errors: list[str] = []
    value = _check_probe(
        errors,
        plan=plan,
        when=date,
        score=score,
        today=_today(district),
        baseline=probe.is_baseline,
        score_range=probe_score_range(district=district, plan=plan, measure=probe.measure),
    )
    if probe.session_id and date != probe.date:
        errors.append(
            _("This probe was taken in the session of %(d)s; change the session's date instead.") % {"d": probe.date}
        )
    problems: dict[str, list[str]] = {}
    if errors:
        problems["score" if value is None else "date"] = errors
    if not (reason or "").strip():
        problems["reason"] = [_("Say why the probe is changed; the reason stays in the audit trail.")]
    if problems:
        raise ValidationError(problems)
    before = _probe_snapshot(probe)
    probe.date, probe.score = date, value
    with friendly_constraints():
        probe.save(update_fields=["date", "score"])
    audit(
        district=district,
        actor=actor,
        verb="probe.update",
        obj=probe,
        changes={"before": before, "after": _probe_snapshot(probe), "reason": (reason or "").strip()},
    )
    return probe


@transaction.atomic
def probe_delete(*, district: District, actor: User | None, probe: Probe, reason: str) -> None:
    """Delete a probe with a reason; the audit trail keeps what it held (as for sessions)."""
    if probe.district_id != district.pk:
        raise ValidationError(_("Unknown probe."))
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError({"reason": _("Say why the probe is deleted; the reason stays in the audit trail.")})
    audit(
        district=district,
        actor=actor,
        verb="probe.delete",
        obj=probe,
        changes={**_probe_snapshot(probe), "reason": reason},
    )
    probe.delete()


@transaction.atomic
def plan_measure_add(
    *,
    district: District,
    actor: User | None,
    plan: Plan,
    measure: str,
    goal_target_date: dt.date,
    goal_target: float | None = None,
    goal_roi: float | None = None,
    goal_direction: str = Plan.Direction.UP,
    baseline_probes: list[tuple[dt.date, object]] = (),
) -> PlanMeasure:
    """A further measure for a plan (issue 12, item 6), with its goal and optional baseline probes."""
    if plan.district_id != district.pk:
        raise ValidationError(_("Unknown plan."))
    errors: dict[str, list] = {}
    name = (measure or "").strip()
    if not name:
        errors["measure"] = [_("Name the measure.")]
    elif (
        name.lower() == (plan.goal_measure or "").strip().lower()
        or PlanMeasure.objects.filter(district=district, plan=plan, measure__iexact=name).exists()
    ):
        errors["measure"] = [_("The plan already monitors this measure.")]
    if (goal_target is None) == (goal_roi is None):
        errors["goal_target"] = [_("Give a goal score or a weekly rate of improvement (one of them).")]
    if goal_target_date is not None and goal_target_date <= plan.start_date:
        errors["goal_target_date"] = [_("The goal date must be after the plan's start.")]
    if goal_direction not in Plan.Direction.values:
        errors["goal_direction"] = [_("Choose a direction.")]
    if errors:
        raise ValidationError(errors)
    with friendly_constraints():
        row = PlanMeasure.objects.create(
            district=district,
            plan=plan,
            measure=name,
            goal_target=goal_target,
            goal_roi=goal_roi,
            goal_target_date=goal_target_date,
            goal_direction=goal_direction,
            created_by=actor,
        )
    audit(district=district, actor=actor, verb="plan.measure_add", obj=plan, changes={"measure": row.pk})
    if baseline_probes:
        today, problems, probes = _today(district), [], []
        score_range = probe_score_range(district=district, plan=plan, measure=row)
        for index, (when, score) in enumerate(baseline_probes, start=1):
            value = _check_probe(
                problems,
                plan=plan,
                when=when,
                score=score,
                today=today,
                line=_("line %(n)s") % {"n": index},
                baseline=True,
                score_range=score_range,
            )
            if value is not None:
                probes.append(
                    Probe(
                        district=district,
                        plan=plan,
                        measure=row,
                        date=when,
                        score=value,
                        is_baseline=True,
                        entered_by=actor,
                    )
                )
        if problems:
            raise ValidationError({"baseline": problems})
        Probe.objects.bulk_create(probes)
    return row


def plan_criteria_set(
    *,
    district: District,
    actor: User | None,
    plan: Plan,
    level_cut: float | None,
    growth_cut: float | None,
    reason: str,
) -> Plan:
    """Override (or clear, with both cuts empty) the plan's dual-discrepancy criteria.

    Issue 12: the criteria come "from the district's norm tables ... or from a per-plan
    override with a reason"; the finding then says "override: <reason>".
    """
    if plan.district_id != district.pk:
        raise ValidationError(_("Unknown plan."))
    reason = (reason or "").strip()
    if (level_cut is None) != (growth_cut is None):
        raise ValidationError({"dd_level_cut": _("Give both the level and the growth criterion, or neither.")})
    if level_cut is not None and not reason:
        raise ValidationError({"dd_override_reason": _("Say why the district's norms do not apply to this plan.")})
    before = {"level": plan.dd_level_cut, "growth": plan.dd_growth_cut, "reason": plan.dd_override_reason}
    plan.dd_level_cut, plan.dd_growth_cut = level_cut, growth_cut
    plan.dd_override_reason = reason if level_cut is not None else ""
    plan.save(update_fields=["dd_level_cut", "dd_growth_cut", "dd_override_reason"])
    audit(
        district=district,
        actor=actor,
        verb="plan.criteria",
        obj=plan,
        changes={
            "before": before,
            "after": {"level": level_cut, "growth": growth_cut, "reason": plan.dd_override_reason},
        },
    )
    return plan


# --- sessions -----------------------------------------------------------------------------


def _duplicate_message(session: InterventionSession) -> str:
    who = session.logged_by.get_full_name() if session.logged_by else ""
    return _("A session on %(d)s is already logged%(by)s. Open it to change it instead.") % {
        "d": session.date,
        "by": (" " + _("by %(name)s") % {"name": who}) if who else "",
    }


@transaction.atomic
def session_log(
    *,
    district: District,
    actor: User | None,
    date: dt.date,
    minutes: int,
    attendance: Mapping[int, str],
    group: InterventionGroup | None = None,
    plan: Plan | None = None,
    probe_scores: Mapping[int, object] | None = None,
    note: str = "",
) -> InterventionSession:
    """Log one group (or one-to-one) session with per-student attendance and optional probes.

    `attendance` maps plan id -> Attendance.Status; `probe_scores` plan id -> score.
    """
    probe_scores = {k: v for k, v in (probe_scores or {}).items() if v not in (None, "")}
    if (group is None) == (plan is None):
        raise ValidationError(_("Log a session for a group or for one plan."))
    owner = group or plan
    if owner.district_id != district.pk:
        raise ValidationError(_("Unknown group or plan."))
    if group is not None:
        members = {
            p.pk: p
            for p in Plan.objects.filter(district=district, group=group, status=Plan.Status.ACTIVE).select_related(
                "student"
            )
        }
        provider = group.provider
    else:
        members = {plan.pk: plan}
        provider = plan.provider
    errors: dict[str, list[str] | str] = {}
    today = _today(district)
    if date > today:
        errors["date"] = _("%(d)s is in the future.") % {"d": date}
    strangers = (set(attendance) | set(probe_scores)) - set(members)
    if strangers:
        errors["attendance"] = _("%(n)s of the students are not in this group.") % {"n": len(strangers)}
    statuses = {pk: attendance.get(pk, Attendance.Status.PRESENT) for pk in members}
    unknown = {s for s in statuses.values() if s not in Attendance.Status.values}
    if unknown:
        errors["attendance"] = _("Unknown attendance: %(s)s.") % {"s": ", ".join(sorted(unknown))}
    nobody_taught = all(s in NO_DELIVERY for s in statuses.values())
    if minutes is None or minutes < 0 or minutes > MAX_SESSION_MINUTES or (minutes == 0 and not nobody_taught):
        errors["minutes"] = _("Minutes must be between 1 and %(max)s (0 only when the session did not happen).") % {
            "max": MAX_SESSION_MINUTES
        }
    early = [p for p in members.values() if date < p.start_date]
    if early and not errors.get("date"):
        errors["date"] = _("%(d)s is before the plan of %(n)s student(s) started (%(s)s).") % {
            "d": date,
            "n": len(early),
            "s": min(p.start_date for p in early),
        }
    probe_errors: list[str] = []
    for pk, score in probe_scores.items():
        if pk not in members:
            continue  # already reported as not in the group
        if statuses.get(pk) != Attendance.Status.PRESENT:
            probe_errors.append(
                _("%(name)s has a probe score but was not present.") % {"name": members[pk].student.full_name}
            )
        else:
            _check_probe(
                probe_errors,
                plan=members[pk],
                when=date,
                score=score,
                today=today,
                line=members[pk].student.full_name,
                score_range=probe_score_range(district=district, plan=members[pk]),
            )
    if probe_errors:
        errors["probes"] = probe_errors
    if errors:
        raise ValidationError(errors)
    existing = (
        InterventionSession.objects.filter(
            district=district, date=date, **({"group": group} if group else {"plan": plan})
        )
        .select_related("logged_by")
        .first()
    )
    if existing is not None:
        raise ValidationError({"date": _duplicate_message(existing)})
    try:
        with transaction.atomic():
            session = InterventionSession.objects.create(
                district=district,
                group=group,
                plan=plan if group is None else None,
                provider=provider,
                date=date,
                minutes=minutes,
                note=note,
                logged_by=actor,
            )
    except IntegrityError:
        # Someone logged the same session between our check and our insert.
        existing = (
            InterventionSession.objects.filter(
                district=district, date=date, **({"group": group} if group else {"plan": plan})
            )
            .select_related("logged_by")
            .first()
        )
        raise ValidationError(
            {"date": _duplicate_message(existing) if existing else _("This session is already logged.")}
        ) from None
    Attendance.objects.bulk_create(
        [Attendance(district=district, session=session, plan_id=pk, status=status) for pk, status in statuses.items()]
    )
    Probe.objects.bulk_create(
        [
            Probe(district=district, plan_id=pk, date=date, score=as_number(score), session=session, entered_by=actor)
            for pk, score in probe_scores.items()
        ]
    )
    audit(
        district=district,
        actor=actor,
        verb="session.log",
        obj=session,
        changes={
            "minutes": minutes,
            "attendance": {str(k): v for k, v in statuses.items()},
            "probes": len(probe_scores),
        },
    )
    return session


@transaction.atomic
def session_update(
    *,
    district: District,
    actor: User | None,
    session: InterventionSession,
    minutes: int,
    attendance: Mapping[int, str],
    note: str = "",
    date: dt.date | None = None,
    probe_scores: Mapping[int, object] | None = None,
) -> InterventionSession:
    """Change a logged session: every field the session page shows is saved (issue 14).

    `date` moves the session and its probes (None: unchanged). `probe_scores` (None: probes
    unchanged) maps plan id -> the score of the probe taken in this session; a plan left out
    or blank has its probe of this session removed, a new score adds one. The audit event keeps
    the before and after.
    """
    if session.district_id != district.pk:
        raise ValidationError(_("Unknown session."))
    rows = {
        a.plan_id: a
        for a in Attendance.objects.select_for_update()
        .filter(district=district, session=session)
        .select_related("plan__student")
    }
    errors: dict[str, list[str] | str] = {}
    unknown_plans = set(attendance) - set(rows)
    if unknown_plans:
        errors["attendance"] = _("%(n)s of the students are not in this session.") % {"n": len(unknown_plans)}
    new_statuses = {pk: attendance.get(pk, row.status) for pk, row in rows.items()}
    if any(s not in Attendance.Status.values for s in new_statuses.values()):
        errors["attendance"] = _("Unknown attendance value.")
    nobody_taught = all(s in NO_DELIVERY for s in new_statuses.values())
    if minutes is None or minutes < 0 or minutes > MAX_SESSION_MINUTES or (minutes == 0 and not nobody_taught):
        errors["minutes"] = _("Minutes must be between 1 and %(max)s (0 only when the session did not happen).") % {
            "max": MAX_SESSION_MINUTES
        }
    new_date = date or session.date
    today = _today(district)
    if new_date != session.date:
        if new_date > today:
            errors["date"] = _("%(d)s is in the future.") % {"d": new_date}
        else:
            early = [row.plan for row in rows.values() if new_date < row.plan.start_date]
            if early:
                errors["date"] = _("%(d)s is before the plan of %(n)s student(s) started (%(s)s).") % {
                    "d": new_date,
                    "n": len(early),
                    "s": min(p.start_date for p in early),
                }
            elif (
                InterventionSession.objects.filter(
                    district=district,
                    date=new_date,
                    **({"group_id": session.group_id} if session.group_id else {"plan_id": session.plan_id}),
                )
                .exclude(pk=session.pk)
                .exists()
            ):
                errors["date"] = _("A session on %(d)s is already logged. Open it to change it instead.") % {
                    "d": new_date
                }
    existing = {p.plan_id: p for p in Probe.objects.filter(district=district, session=session, measure__isnull=True)}
    wanted: dict[int, float] = {}
    if probe_scores is not None:
        probe_errors: list[str] = []
        for pk, score in probe_scores.items():
            if score in (None, ""):
                continue
            if pk not in rows:
                errors["attendance"] = _("%(n)s of the students are not in this session.") % {"n": 1}
                continue
            plan = rows[pk].plan
            if new_statuses[pk] != Attendance.Status.PRESENT:
                probe_errors.append(
                    _("%(name)s has a probe score but was not present.") % {"name": plan.student.full_name}
                )
                continue
            value = _check_probe(
                probe_errors,
                plan=plan,
                when=new_date,
                score=score,
                today=today,
                line=plan.student.full_name,
                score_range=probe_score_range(district=district, plan=plan),
            )
            if value is not None:
                wanted[pk] = value
        if probe_errors:
            errors["probes"] = probe_errors
    if errors:
        raise ValidationError(errors)
    before = {
        "date": session.date.isoformat(),
        "minutes": session.minutes,
        "note_changed": False,
        "attendance": {str(pk): row.status for pk, row in rows.items()},
        "probes": {str(pk): p.score for pk, p in existing.items()},
    }
    changed = [row for pk, row in rows.items() if row.status != new_statuses[pk]]
    for row in changed:
        row.status = new_statuses[row.plan_id]
    Attendance.objects.bulk_update(changed, ["status"])
    if probe_scores is not None:
        for pk, probe in existing.items():
            if pk not in wanted:
                probe.delete()
            elif probe.score != wanted[pk] or probe.date != new_date:
                probe.score, probe.date = wanted[pk], new_date
                probe.save(update_fields=["score", "date"])
        Probe.objects.bulk_create(
            [
                Probe(district=district, plan_id=pk, date=new_date, score=value, session=session, entered_by=actor)
                for pk, value in wanted.items()
                if pk not in existing
            ]
        )
        after_probes = {str(pk): value for pk, value in wanted.items()}
    else:
        Probe.objects.filter(district=district, session=session).exclude(date=new_date).update(date=new_date)
        after_probes = before["probes"]
    note_changed = note != session.note
    session.minutes, session.note, session.date = minutes, note, new_date
    with friendly_constraints():
        session.save(update_fields=["minutes", "note", "date", "updated_at"])
    audit(
        district=district,
        actor=actor,
        verb="session.update",
        obj=session,
        changes={
            "before": before,
            "after": {
                "date": new_date.isoformat(),
                "minutes": minutes,
                "note_changed": note_changed,
                "attendance": {str(k): v for k, v in new_statuses.items()},
                "probes": after_probes,
            },
        },
    )
    return session


def session_day_warnings(*, district: District, session: InterventionSession) -> list[str]:
    """Warnings, not refusals: a session logged on a day without school (the school calendar,
    mtss/calendars) is usually a wrong date, but make-up sessions on a closed day happen."""
    school_id = session.group.school_id if session.group_id else session.plan.student.school_id
    days = non_instructional_by_school(
        district=district, school_ids=[school_id], start=session.date, end=session.date
    ).get(school_id, frozenset())
    if session.date in days:
        return [
            _("%(d)s is not a school day on the school calendar; check the date (the session is saved).")
            % {"d": session.date}
        ]
    if session.date.weekday() >= 5:
        return [_("%(d)s is a weekend day; check the date (the session is saved).") % {"d": session.date}]
    return []


@transaction.atomic
def session_delete(*, district: District, actor: User | None, session: InterventionSession, reason: str) -> None:
    if session.district_id != district.pk:
        raise ValidationError(_("Unknown session."))
    if not reason.strip():
        raise ValidationError({"reason": _("Say why the session is deleted; the reason stays in the audit trail.")})
    snapshot = {
        "date": session.date.isoformat(),
        "minutes": session.minutes,
        "group": session.group_id,
        "plan": session.plan_id,
        "attendance": {str(a.plan_id): a.status for a in Attendance.objects.filter(district=district, session=session)},
        "probes": list(Probe.objects.filter(district=district, session=session).values_list("plan_id", "score")),
        "reason": reason,
    }
    Probe.objects.filter(district=district, session=session).delete()
    audit(district=district, actor=actor, verb="session.delete", obj=session, changes=snapshot)
    session.delete()


def week_days_to_log(
    *,
    group: InterventionGroup,
    week_start: dt.date,
    today: dt.date,
    logged: set[dt.date],
    non_instructional: frozenset[dt.date] = frozenset(),
) -> list[dt.date]:
    """The group's own meeting days of one week that are school days, up to today, not yet logged."""
    days = [week_start + dt.timedelta(days=i) for i in group.meeting_weekdays]
    return [d for d in days if d <= today and d not in logged and d not in non_instructional]


@transaction.atomic
def group_log_week(
    *, district: District, actor: User | None, group: InterventionGroup, week_start: dt.date
) -> list[InterventionSession]:
    """“Log this week”: one session per meeting day of the group that is a school day (the
    school's calendar: no session on a holiday or break) not yet logged, everyone present,
    planned minutes."""
    week_start = week_start - dt.timedelta(days=week_start.weekday())
    week_end = week_start + dt.timedelta(days=6)
    logged = set(
        InterventionSession.objects.filter(
            district=district, group=group, date__gte=week_start, date__lte=week_end
        ).values_list("date", flat=True)
    )
    closed = non_instructional_dates(district=district, school_id=group.school_id, start=week_start, end=week_end)
    sessions = []
    for day in week_days_to_log(
        group=group, week_start=week_start, today=_today(district), logged=logged, non_instructional=closed
    ):
        sessions.append(
            session_log(
                district=district, actor=actor, group=group, date=day, minutes=group.minutes_per_session, attendance={}
            )
        )
    return sessions
