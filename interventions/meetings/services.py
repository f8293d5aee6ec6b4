"""Team meetings: agendas built from the policy, decisions recorded live with a
fidelity gate, and applied atomically (placements, plans, parent notices).

Decisions use optimistic concurrency: each edit names the version it started
from, so two team members with the meeting open cannot overwrite each other.
"""

from __future__ import annotations

import datetime as dt

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import F, Max
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _lazy

from interventions.meetings import cadence
from interventions.models import (
    ActionItem,
    AgendaItem,
    Decision,
    Intervention,
    Meeting,
    MeetingAttendee,
    MeetingSeries,
    Plan,
    TierPlacement,
)
from interventions.referrals.services import referral_from_decision
from interventions.selectors import PlanResult, evaluate_plans
from interventions.services import placement_set, plan_change_phase
from mtss import events
from mtss.models import District, Membership, Role, School, User
from mtss.selectors import policy_document
from mtss.services import audit
from screening.models import ReviewItem, ScreeningWindow
from screening.selectors import default_window, mid_year_entrants
from students.early_warning.selectors import flags_for_agenda
from students.models import Guardian, ParentConsultation, Student

# Findings that put a student on the agenda, with the reason shown to the team.
AGENDA_FINDINGS = {
    "pm_frequency": ("pm_overdue", "not_compliant"),
    # The tier's duration limit (tiers[].expected_duration_weeks or progress_monitoring.duration_weeks;
    # Holland Patent Tier 2: "approximately ten to twenty weeks"): past it, the team decides on the placement.
    "duration": ("past_duration_limit", "past_max"),
}
AGENDA_RECOMMENDATIONS = {
    "intensify": "not_responding",
    "refer_evaluation": "not_responding",
    "modify": "behind_aim_line",
    "exit": "ready_to_exit",
    "low_fidelity": "low_fidelity",
    "raise_goal": "ahead_of_aim_line",
}


def _meeting_date(meeting: Meeting) -> dt.date:
    return timezone.localtime(meeting.starts_at).date()


CLOSED_MESSAGE = _lazy("This meeting is closed; its agenda, attendees and decisions can no longer change.")


def _require_open(district: District, meeting: Meeting) -> None:
    if meeting.district_id != district.pk:
        raise ValidationError(_("Unknown meeting."))
    if Meeting.objects.filter(pk=meeting.pk, status=Meeting.Status.CLOSED).exists():
        raise ValidationError(CLOSED_MESSAGE)


# --- meetings -----------------------------------------------------------------------------


MEETING_DAYS_BACK = 365
MEETING_DAYS_AHEAD = 730


@transaction.atomic
def meeting_create(
    *,
    district: District,
    actor: User | None,
    school: School,
    team_type: str,
    starts_at: dt.datetime,
    location: str = "",
    purpose: str = "",
    every_weeks: int | None = None,
    occurrences: int = 1,
) -> list[Meeting]:
    """One meeting, or a recurring series (every N weeks, N times: e.g. every 3 weeks at Loudon)."""
    errors = {}
    if school.district_id != district.pk:
        errors["school"] = _("Select a valid school.")
    if occurrences < 1 or occurrences > 40:
        errors["occurrences"] = _("Between 1 and 40 meetings.")
    if occurrences > 1 and not every_weeks:
        errors["every_weeks"] = _("Say how many weeks apart the meetings are.")
    # A meeting is scheduled ahead or recorded after it was held, within the school year; a date
    # more than a year back (2020 was accepted, issue 14) or two years ahead is a typo.
    today = timezone.localdate()
    day = timezone.localtime(starts_at).date() if timezone.is_aware(starts_at) else starts_at.date()
    if day < today - dt.timedelta(days=MEETING_DAYS_BACK):
        errors["starts_at"] = _("%(d)s is more than a year ago (%(n)s days); check the year.") % {
            "d": day,
            "n": MEETING_DAYS_BACK,
        }
    elif day > today + dt.timedelta(days=MEETING_DAYS_AHEAD):
        errors["starts_at"] = _("%(d)s is more than two years ahead; check the year.") % {"d": day}
    if errors:
        raise ValidationError(errors)
    series = None
    if occurrences > 1:
        series = MeetingSeries.objects.create(
            district=district,
            school=school,
            team_type=team_type,
            first_starts_at=starts_at,
            every_weeks=every_weeks,
            occurrences=occurrences,
            created_by=actor,
        )
    meetings = Meeting.objects.bulk_create(
        [
            Meeting(
                district=district,
                school=school,
                team_type=team_type,
                starts_at=starts_at + dt.timedelta(weeks=(every_weeks or 0) * n),
                location=location,
                purpose=purpose,
                series=series,
                created_by=actor,
            )
            for n in range(occurrences)
        ]
    )
    audit(district=district, actor=actor, verb="meeting.create", obj=meetings[0], changes={"count": len(meetings)})
    for meeting in meetings:  # parents' invitations for students on the agenda (mtss/events.py)
        events.announce(events.MEETING_SCHEDULED, district=district, meeting=meeting, actor=actor)
    return meetings


def attendee_add(
    *,
    district: District,
    actor: User | None,
    meeting: Meeting,
    kind: str,
    name: str = "",
    role: str = "",
    user: User | None = None,
    guardian: Guardian | None = None,
    student: Student | None = None,
) -> MeetingAttendee:
    _require_open(district, meeting)
    for obj, field in ((guardian, "guardian"), (student, "student")):
        if obj is not None and obj.district_id != district.pk:
            raise ValidationError({field: _("Select a valid %(f)s.") % {"f": field}})
    if user is not None and not user.memberships.filter(district=district, is_active=True).exists():
        raise ValidationError({"user": _("Select a member of this district.")})
    name = (
        name
        or (user.get_full_name() or user.username if user else "")
        or (f"{guardian.first_name} {guardian.last_name}" if guardian else "")
        or (student.full_name if student else "")
    )
    if not name:
        raise ValidationError({"name": _("Give the attendee's name.")})
    return MeetingAttendee.objects.create(
        district=district,
        meeting=meeting,
        kind=kind,
        name=name,
        role=role,
        user=user,
        guardian=guardian,
        student=student,
    )


def attendance_set(*, district: District, meeting: Meeting, present_ids: set[int]) -> None:
    _require_open(district, meeting)
    rows = MeetingAttendee.objects.filter(district=district, meeting=meeting)
    rows.filter(pk__in=present_ids).update(attended=True)
    rows.exclude(pk__in=present_ids).update(attended=False)


# --- the agenda ----------------------------------------------------------------------------


def _reasons(
    result: PlanResult, *, policy=None, tier: int = 0, as_of: dt.date | None = None, rules: list[dict] = ()
) -> list[dict]:
    """Why a plan's student is on the agenda: a due review (with the tier's window), the
    findings in AGENDA_FINDINGS, the recommendation, and the policy's meeting rules (`rules`)."""
    reasons = []
    review = result.finding("review_due")
    if review is not None and review.status == "due":
        reasons.append(
            cadence.review_reason(policy, tier=tier, finding=review, as_of=as_of)
            if policy is not None
            else {"code": "review_due", "text": review.explanation}
        )
    for rule, (code, status) in AGENDA_FINDINGS.items():
        finding = result.finding(rule)
        if finding is not None and finding.status == status:
            reasons.append({"code": code, "text": finding.explanation})
    recommendation = result.evaluation.recommendation
    if recommendation in AGENDA_RECOMMENDATIONS:
        finding = result.finding("recommendation")
        reasons.append(
            {"code": AGENDA_RECOMMENDATIONS[recommendation], "text": finding.explanation if finding else recommendation}
        )
    reasons.extend(rules)
    return reasons


def _last_reviewed(district: District, student_ids) -> dict[tuple[int, str], dt.date]:
    """The latest team decision per (student, area): meeting rules count time since it."""
    last: dict[tuple[int, str], dt.date] = {}
    for student_id, area, starts_at in (
        Decision.objects.filter(district=district, student_id__in=student_ids)
        .values_list("student_id", "item__area")
        .annotate(last=Max("meeting__starts_at"))
        .order_by()
    ):
        last[(student_id, area)] = timezone.localtime(starts_at).date()
    return last


@transaction.atomic
def agenda_build(*, district: District, actor: User | None, meeting: Meeting) -> list[AgendaItem]:
    """Add every student the district's rules say is due, each with why (idempotent)."""
    _require_open(district, meeting)
    as_of = _meeting_date(meeting)
    version, _policy = policy_document(district=district, as_of=as_of)
    plans = list(
        Plan.objects.filter(
            district=district, status=Plan.Status.ACTIVE, student__school=meeting.school
        ).select_related("student", "placement", "intervention")
    )
    results = evaluate_plans(district=district, plans=plans, as_of=as_of)
    existing = {
        (i.student_id, i.area): i
        for i in AgendaItem.objects.select_for_update().filter(district=district, meeting=meeting)
    }
    position = max([i.position for i in existing.values()], default=0)
    new, changed = [], []
    last_reviewed = _last_reviewed(district, {plan.student_id for plan in plans})
    for plan in sorted(plans, key=lambda p: (p.student.last_name, p.student.first_name, p.area)):
        result = results[plan.pk]
        rules: list[dict] = []
        if _policy is not None:
            dates = cadence.StudentDates(
                tier=plan.tier,
                grade=plan.student.grade,
                tier_start=plan.placement.start_date if plan.placement_id else plan.start_date,
                last_reviewed=last_reviewed.get((plan.student_id, plan.area)),
                recommendation=result.evaluation.recommendation,
            )
            rules = cadence.meeting_rule_reasons(
                _policy, team_type=meeting.team_type, area=plan.area, dates=dates, as_of=as_of
            )
        reasons = _reasons(result, policy=_policy, tier=plan.tier, as_of=as_of, rules=rules)
        if not reasons:
            continue
        item = existing.get((plan.student_id, plan.area))
        if item is None:
            position += 1
            new.append(
                AgendaItem(
                    district=district,
                    meeting=meeting,
                    student=plan.student,
                    plan=plan,
                    area=plan.area,
                    position=position,
                    reasons=reasons,
                )
            )
        elif item.added_by_id is None and item.status == AgendaItem.Status.OPEN and item.reasons != reasons:
            item.reasons = reasons
            changed.append(item)
    on_agenda = {student_id for student_id, _area in existing} | {item.student_id for item in new}
    for student, reason in [
        *_screening_candidates(district, meeting, as_of, _policy),
        *_parent_requests(district, meeting, as_of, _policy),
        *_early_warning_flags(district, meeting, as_of),
    ]:
        if student.pk in on_agenda:
            # A student the rules already put on the agenda: this reason joins theirs (a new item,
            # or an open one the rules wrote), so the team sees every rule that applies.
            item = next(
                (
                    i
                    for i in [*new, *changed, *existing.values()]
                    if i.student_id == student.pk and i.added_by_id is None and i.status == AgendaItem.Status.OPEN
                ),
                None,
            )
            if item is not None and all(r["code"] != reason["code"] for r in item.reasons):
                item.reasons = [*item.reasons, reason]
                if item.pk is not None and item not in changed:
                    changed.append(item)
            continue
        on_agenda.add(student.pk)
        position += 1
        new.append(
            AgendaItem(
                district=district, meeting=meeting, student=student, area="", position=position, reasons=[reason]
            )
        )
    AgendaItem.objects.bulk_create(new)
    AgendaItem.objects.bulk_update(changed, ["reasons"])
    meeting.policy_label = version.label if version else "default"
    meeting.save(update_fields=["policy_label"])
    audit(district=district, actor=actor, verb="agenda.build", obj=meeting, changes={"added": len(new)})
    events.announce(
        events.AGENDA_STUDENTS_ADDED,
        district=district,
        meeting=meeting,
        student_ids=sorted({item.student_id for item in new}),
        actor=actor,
    )
    return new


def _rule_suffix(policy, event: str, team_type: str) -> tuple[dict, str]:
    """The meeting rule of `event` for this team, as reason fields and a sentence naming it."""
    rule = cadence.event_rule(policy, event, team_type=team_type) if policy is not None else None
    if rule is None:
        return {}, ""
    invite = cadence.invitations(policy, rule)
    text = " " + _("(%(title)s.)") % {"title": rule.title}
    if invite:
        text += " " + _("Invite: %(who)s.") % {"who": ", ".join(invite)}
    return {"rule": rule.key, **({"invite": invite} if invite else {})}, text


def _screening_candidates(district: District, meeting: Meeting, as_of: dt.date, policy=None):  # noqa: C901
    """Students of the meeting's school that screening puts before the team: newly flagged
    results still in the review queue (the policy's after_screening meeting rule), and
    mid-year entrants due a screening (the policy's mid_year_entry rule; Loudon: "unless a
    scheduled benchmark screening is within four weeks").

    A mid-year entrant's flag comes to the team only when ``mid_year_entry.team_meeting_if_at_risk``
    (all four presets: a team meeting for a new student found at risk); otherwise the review
    queue handles it."""
    flagged = (
        ReviewItem.objects.filter(
            district=district,
            status=ReviewItem.Status.OPEN,
            student__school=meeting.school,
            student__exit_date__isnull=True,
        )
        .select_related("student", "score", "score__measure", "window")
        .order_by("student__last_name")
    )
    entry = policy.mid_year_entry if policy is not None else None
    fields, suffix = _rule_suffix(policy, "after_screening", meeting.team_type)
    # A mid-year entrant enrolled after the year's first benchmark window closed: their flag
    # comes from a screening of their own, not the one everybody took.
    first_window: dict[int, dt.date] = {}
    for year_id, end in (
        ScreeningWindow.objects.filter(district=district)
        .order_by("start_date")
        .values_list("school_year_id", "end_date")
    ):
        first_window.setdefault(year_id, end)
    seen = set()
    for item in flagged:
        if item.student_id in seen:
            continue
        seen.add(item.student_id)
        score = item.score
        entered = item.student.entry_date
        first_closed = first_window.get(item.window.school_year_id, item.window.end_date)
        if entered is not None and entered > first_closed:
            if entry is not None and not entry.team_meeting_if_at_risk:
                continue
            yield (
                item.student,
                {
                    "code": "mid_year_entry_at_risk",
                    "text": _(
                        "New student (entered %(entered)s) found at risk by screening: "
                        "%(measure)s, %(window)s: %(risk)s; the policy asks for a team meeting."
                    )
                    % {
                        "entered": entered.isoformat(),
                        "measure": score.measure.name,
                        "window": item.window,
                        "risk": score.risk_label or score.risk_rule,
                    },
                },
            )
            continue
        yield (
            item.student,
            {
                "code": "screening_flag",
                **fields,
                "text": _("Newly flagged by screening: %(measure)s, %(window)s: %(risk)s.")
                % {"measure": score.measure.name, "window": item.window, "risk": score.risk_label or score.risk_rule}
                + suffix,
            },
        )
    window = default_window(district=district, today=as_of)
    if window is None:
        return
    # The agenda looks at the whole school, as the district's own rules do (not one member's view).
    whole_district = Membership(district=district, role=Role.DISTRICT_ADMIN, is_active=True)
    entrants, _total, _rule = mid_year_entrants(
        district=district, membership=whole_district, window=window, today=as_of
    )
    fields, suffix = _rule_suffix(policy, "mid_year_entry", meeting.team_type)
    for entrant in entrants:
        if entrant.student.school_id == meeting.school_id and entrant.student.pk not in seen:
            tasks = "; ".join(entrant.tasks)
            yield (
                entrant.student,
                {
                    "code": "mid_year_entry",
                    **fields,
                    "text": entrant.status.reason + (f" ({tasks})" if tasks else "") + suffix,
                },
            )


def _early_warning_flags(district: District, meeting: Meeting, as_of: dt.date):
    """Students of the meeting's school with an open early-warning flag (issue 17): the indicator
    is the reason, with the numbers the flag explains itself with."""
    for flag in flags_for_agenda(district=district, school=meeting.school, as_of=as_of):
        yield (
            flag.student,
            {
                "code": f"early_warning_{flag.indicator}",
                "indicator": flag.indicator,
                "text": _("Early warning, %(indicator)s: %(why)s.")
                % {"indicator": flag.get_indicator_display().lower(), "why": flag.explanation},
            },
        )


def _parent_requests(district: District, meeting: Meeting, as_of: dt.date, policy=None):
    """Students whose parents asked for a team meeting at a consultation since the student was
    last on an agenda (parent_contact.may_request_meeting; Loudon's parent_request meeting rule)."""
    if policy is not None and not policy.parent_contact.may_request_meeting:
        return
    requests = (
        ParentConsultation.objects.filter(
            district=district,
            meeting_requested=True,
            held_on__lte=as_of,
            student__school=meeting.school,
            student__exit_date__isnull=True,
        )
        .select_related("student")
        .order_by("held_on", "id")
    )
    latest = {}
    for consultation in requests:
        latest[consultation.student_id] = consultation
    if not latest:
        return
    discussed: dict[int, dt.date] = {}
    for student_id, starts_at in (
        AgendaItem.objects.filter(district=district, student_id__in=latest)
        .exclude(meeting=meeting)
        .values_list("student_id", "meeting__starts_at")
    ):
        day = timezone.localtime(starts_at).date()
        discussed[student_id] = max(discussed.get(student_id, day), day)
    fields, suffix = _rule_suffix(policy, "parent_request", meeting.team_type)
    for student_id, consultation in latest.items():
        if discussed.get(student_id) and discussed[student_id] >= consultation.held_on:
            continue
        yield (
            consultation.student,
            {
                "code": "parent_request",
                **fields,
                "text": _("The parents asked for a team meeting (consultation of %(day)s).")
                % {"day": consultation.held_on.isoformat()}
                + suffix,
            },
        )


@transaction.atomic
def agenda_add(
    *, district: District, actor: User, meeting: Meeting, student: Student, reason: str, area: str = ""
) -> AgendaItem:
    """Staff add a student (a parent request, a teacher's concern ...): the reason is required."""
    _require_open(district, meeting)
    if student.district_id != district.pk:
        raise ValidationError(_("Unknown student."))
    if not reason.strip():
        raise ValidationError({"reason": _("Say why the student is on the agenda.")})
    plan = (
        Plan.objects.filter(
            district=district, student=student, status=Plan.Status.ACTIVE, **({"area": area} if area else {})
        )
        .order_by("-start_date")
        .first()
    )
    area = area or (plan.area if plan else "")
    if AgendaItem.objects.filter(district=district, meeting=meeting, student=student, area=area).exists():
        raise ValidationError({"student": _("%(name)s is already on this agenda.") % {"name": student.full_name}})
    position = (
        AgendaItem.objects.filter(district=district, meeting=meeting).aggregate(m=Max("position"))["m"] or 0
    ) + 1
    try:
        with transaction.atomic():
            item = AgendaItem.objects.create(
                district=district,
                meeting=meeting,
                student=student,
                plan=plan,
                area=area,
                position=position,
                added_by=actor,
                reasons=[{"code": "staff", "text": reason.strip()}],
            )
    except IntegrityError:
        raise ValidationError(
            {"student": _("%(name)s is already on this agenda.") % {"name": student.full_name}}
        ) from None
    audit(district=district, actor=actor, verb="agenda.add", obj=item)
    events.announce(
        events.AGENDA_STUDENTS_ADDED, district=district, meeting=meeting, student_ids=[student.pk], actor=actor
    )
    return item


@transaction.atomic
def agenda_move(*, district: District, meeting: Meeting, item: AgendaItem, direction: int) -> None:
    """Swap an item with its neighbour (direction -1 up, +1 down)."""
    _require_open(district, meeting)
    items = list(
        AgendaItem.objects.select_for_update().filter(district=district, meeting=meeting).order_by("position", "id")
    )
    index = next((i for i, it in enumerate(items) if it.pk == item.pk), None)
    if index is None:
        raise ValidationError(_("Unknown agenda item."))
    other = index + direction
    if 0 <= other < len(items):
        items[index], items[other] = items[other], items[index]
    for position, it in enumerate(items, start=1):
        it.position = position
    AgendaItem.objects.bulk_update(items, ["position"])


# --- decisions -------------------------------------------------------------------------------


def fidelity_gate(result: PlanResult | None) -> dict:
    """Can the data show non-response yet? (RULES.md 3.3; Loudon's 40/45 minimum sessions)."""
    if result is None:
        return {"blocked": False, "why": []}
    why = []
    fidelity = result.finding("fidelity")
    if fidelity is not None and fidelity.status == "low":
        why.append(fidelity.explanation)
    minimum = result.finding("minimum_sessions")
    if minimum is not None and minimum.status == "not_met":
        why.append(minimum.explanation)
    return {"blocked": bool(why), "why": why}


def _plan_result(district: District, item: AgendaItem, as_of: dt.date) -> PlanResult | None:
    if item.plan_id is None:
        return None
    plan = Plan.objects.select_related("student", "placement", "intervention").get(district=district, pk=item.plan_id)
    return evaluate_plans(district=district, plans=[plan], as_of=as_of)[plan.pk]


def _current_tier(district: District, item: AgendaItem) -> int | None:
    if item.plan_id is not None:
        return Plan.objects.filter(district=district, pk=item.plan_id).values_list("tier", flat=True).first()
    placements = TierPlacement.objects.filter(district=district, student_id=item.student_id, end_date__isnull=True)
    if item.area:
        placements = placements.filter(area=item.area)
    return max(placements.values_list("tier", flat=True), default=None)


def _tier_meaning_errors(district: District, item: AgendaItem, kind: str, day: dt.date) -> dict:
    """What the policy's tiers forbid (issue 12, item 5): a student in the special-education
    tier is never referred for a special-education evaluation (Holland Patent's Tier 4 is
    special education: services per the IEP); "intensify" at the most intensive
    general-education tier follows ``decision_rules.top_tier_intensify``: a referral, or more
    support within the tier."""
    _version, policy = policy_document(district=district, as_of=day)
    tier = _current_tier(district, item)
    if policy is None or tier is None:
        return {}
    try:
        policy_tier = policy.tier(tier)
    except LookupError:
        return {}
    if kind == Decision.Kind.REFER and policy_tier.special_education:
        return {
            "kind": _(
                "%(tier)s is special education: the student has had an evaluation. Record "
                "“intensify” (within the tier; the IEP team decides) instead of a referral."
            )
            % {"tier": policy_tier.name}
        }
    if (
        kind == Decision.Kind.INTENSIFY
        and not policy_tier.special_education
        and policy.is_top_tier(tier)
        and policy.decision_rules.top_tier_intensify == "refer_evaluation"
    ):
        return {
            "kind": _(
                "%(tier)s is the most intensive general-education tier; the district's policy says "
                "that intensifying from it means a referral for a special-education evaluation. "
                "Record the referral, or “modify” to change the plan within the tier."
            )
            % {"tier": policy_tier.name}
        }
    return {}


@transaction.atomic
def decision_record(
    *,
    district: District,
    actor: User,
    item: AgendaItem,
    kind: str,
    notes: str = "",
    version: int | None = None,
    override_reason: str = "",
    new_intervention: Intervention | None = None,
    new_goal_target: float | None = None,
    action_items: list[tuple[str, User, dt.date]] = (),
) -> Decision:
    """Record (or change) the team's decision on one agenda item.

    `version` is the decision version the person started from (None for a new
    decision); if someone else saved in between, nothing is written and the
    error says so, so nobody's entry is overwritten.
    """
    meeting = item.meeting
    if item.district_id != district.pk:
        raise ValidationError(_("Unknown agenda item."))
    # Waits for a close in progress (meeting_close locks the row FOR UPDATE), then sees it closed:
    # a decision never lands on a meeting that has already applied its decisions.
    Meeting.objects.select_for_update(no_key=True).filter(district=district, pk=meeting.pk).first()
    _require_open(district, meeting)
    if kind not in Decision.Kind.values:
        raise ValidationError({"kind": _("Choose a decision.")})
    result = _plan_result(district, item, _meeting_date(meeting))
    gate = fidelity_gate(result)
    errors = {}
    if kind in Decision.NON_RESPONSE and gate["blocked"] and not override_reason.strip():
        errors["override_reason"] = _(
            "The data cannot show non-response yet: %(why)s To decide anyway, give the reason."
        ) % {"why": " ".join(gate["why"])}
    if (
        kind in (Decision.Kind.INTENSIFY, Decision.Kind.REDUCE, Decision.Kind.EXIT, Decision.Kind.MODIFY)
        and result is None
    ):
        errors["kind"] = _("This student has no active plan in this area; record “continue” or refer, or start a plan.")
    if new_intervention is not None and new_intervention.district_id != district.pk:
        errors["new_intervention"] = _("Select a valid intervention.")
    if kind in (Decision.Kind.REFER, Decision.Kind.INTENSIFY):
        errors.update(_tier_meaning_errors(district, item, kind, _meeting_date(meeting)))
    for description, owner, _due in action_items:
        if not description.strip():
            errors["action_items"] = _("Each action item needs a description.")
        elif not owner.memberships.filter(district=district, is_active=True).exists():
            errors["action_items"] = _("An action item's owner must be a member of this district.")
    if errors:
        raise ValidationError(errors)
    values = dict(
        kind=kind,
        notes=notes,
        override_reason=override_reason.strip(),
        new_intervention=new_intervention,
        new_goal_target=new_goal_target,
        gate=gate,
        decided_by=actor,
        recommendation=result.evaluation.recommendation if result else "",
        policy_label=result.policy_label if result else meeting.policy_label,
        plan=item.plan,
    )
    if version is None:
        try:
            with transaction.atomic():
                decision = Decision.objects.create(
                    district=district, item=item, meeting=meeting, student=item.student, **values
                )
        except IntegrityError:
            raise ValidationError({"__all__": ValidationError(_conflict(district, item), code="conflict")}) from None
    else:
        updated = Decision.objects.filter(
            district=district, item=item, version=version, applied_at__isnull=True
        ).update(version=F("version") + 1, decided_at=timezone.now(), **values)
        if not updated:
            raise ValidationError({"__all__": ValidationError(_conflict(district, item), code="conflict")})
        decision = Decision.objects.get(district=district, item=item)
    AgendaItem.objects.filter(pk=item.pk).update(status=AgendaItem.Status.DECIDED)
    ActionItem.objects.bulk_create(
        [
            ActionItem(
                district=district,
                meeting=meeting,
                decision=decision,
                description=d.strip(),
                owner=o,
                due_date=due,
                created_by=actor,
            )
            for d, o, due in action_items
        ]
    )
    audit(
        district=district,
        actor=actor,
        verb="decision.record",
        obj=decision,
        changes={"kind": kind, "override": bool(override_reason.strip()), "version": decision.version},
    )
    return decision


def _conflict(district: District, item: AgendaItem) -> str:
    other = Decision.objects.filter(district=district, item=item).select_related("decided_by").first()
    if other is None:
        return _("Someone changed this agenda item meanwhile; reload it.")
    who = other.decided_by.get_full_name() if other.decided_by else _("someone")
    return _(
        "%(who)s saved a decision for this student meanwhile (%(kind)s). Your entry was not saved; it is "
        "still in the form. Compare, then save again."
    ) % {"who": who, "kind": other.get_kind_display()}


# --- applying decisions ----------------------------------------------------------------------


def _tier_services(policy, tier: int, area: str) -> list[dict]:
    """What the next tier provides, for the parents' letter: the tier and area, which the letter
    writes in the family's language from the policy (with its translations), and the policy's
    English as written (`text`, the letter's fallback)."""
    if policy is None:
        return []
    try:
        policy_tier = policy.tier(tier)
    except LookupError:
        return []
    parts = [f"{area.title()}: {policy_tier.name}"]
    dosage = policy_tier.dosage
    if dosage is not None:
        if dosage.sessions_per_week:
            parts.append(
                _("%(n)s sessions a week of %(m)s minutes")
                % {"n": f"{dosage.sessions_per_week:g}", "m": dosage.minutes_per_session}
            )
        elif dosage.sessions_per_cycle and dosage.cycle_days:
            parts.append(
                _("%(n)s sessions per %(d)s-day cycle of %(m)s minutes")
                % {"n": dosage.sessions_per_cycle, "d": dosage.cycle_days, "m": dosage.minutes_per_session}
            )
    if policy_tier.max_group_size:
        parts.append(_("in groups of at most %(n)s") % {"n": policy_tier.max_group_size})
    return [{"tier": tier, "area": area, "text": ", ".join(parts) + ". " + policy_tier.description}]


def _notice_context(decision: Decision, meeting: Meeting, day: dt.date) -> dict:
    """What the parents' letters say about this decision (notifications/letters/render.py reads it)."""
    local = timezone.localtime(meeting.starts_at)
    reason = decision.get_kind_display() + (f": {decision.notes.strip()}" if decision.notes.strip() else "")
    return {
        "decision": decision.kind,
        "notes": decision.notes,
        "reason": reason,
        "summary": decision.notes,
        # Holland Patent's end-of-services letter carries the teacher's recommendation (001_...).
        "teacher_recommendation": decision.notes.strip() or reason,
        "meeting_date": day.isoformat(),
        "start_date": day.isoformat(),
        "meeting": {
            "date": day.isoformat(),
            "time": local.strftime("%H:%M"),
            "place": meeting.location,
            "purpose": meeting.purpose or meeting.get_team_type_display(),
        },
    }


def _notices(district, decision, trigger, tier, actor, context) -> None:
    """The parent notices the policy requires: queued by notifications (mtss/events.py), in this transaction."""
    events.announce(
        events.DECISION_NOTICE_DUE,
        district=district,
        student=decision.student,
        trigger=trigger,
        period_key=f"meeting-{decision.meeting_id}-{decision.plan_id or 'student'}",
        actor=actor,
        context=context,
        meeting=decision.meeting,
        tier=tier,
    )


@transaction.atomic
def decision_apply(*, district: District, actor: User | None, decision: Decision) -> bool:
    """Make one decision take effect: placements and plans change, recording the meeting,
    and the parent notices the policy requires are queued (outbox, same transaction).

    Claimed with a conditional update, so applying twice (a retry, two people) does nothing more.
    """
    claimed = Decision.objects.filter(district=district, pk=decision.pk, applied_at__isnull=True).update(
        applied_at=timezone.now()
    )
    if not claimed:
        return False
    decision.refresh_from_db()
    meeting = decision.meeting
    day = _meeting_date(meeting)
    plan = (
        Plan.objects.select_related("student", "placement").get(district=district, pk=decision.plan_id)
        if decision.plan_id
        else None
    )
    context = _notice_context(decision, meeting, day)
    kind = decision.kind
    if kind == Decision.Kind.MODIFY and plan is not None:
        if decision.new_intervention_id or decision.new_goal_target is not None:
            plan_change_phase(
                district=district,
                actor=actor,
                plan=plan,
                start_date=max(day, plan.start_date + dt.timedelta(days=1)),
                reason=decision.notes or _("Team decision: modify the plan"),
                intervention=decision.new_intervention,
                goal_target=decision.new_goal_target,
            )
    elif kind in (Decision.Kind.INTENSIFY, Decision.Kind.REDUCE, Decision.Kind.EXIT) and plan is not None:
        _policy_version, policy = policy_document(district=district, as_of=day)
        current = plan.tier
        new_tier = cadence.decided_tier(policy, tier=current, area=plan.area, kind=kind)
        if new_tier == current:
            # The tier does not change (intensify within special education or, when the policy's
            # top_tier_intensify says so, within the top tier; an exit the IEP team decides):
            # the plan goes on, modified if the team said how, and no change-of-tier letter goes.
            if kind == Decision.Kind.EXIT:
                Plan.objects.filter(pk=plan.pk).update(status=Plan.Status.COMPLETED)
            elif decision.new_intervention_id or decision.new_goal_target is not None:
                plan_change_phase(
                    district=district,
                    actor=actor,
                    plan=plan,
                    start_date=max(day, plan.start_date + dt.timedelta(days=1)),
                    reason=decision.notes or _("Team decision: intensify within the tier"),
                    intervention=decision.new_intervention,
                    goal_target=decision.new_goal_target,
                )
            audit(
                district=district,
                actor=actor,
                verb="decision.apply",
                obj=decision,
                changes={"kind": kind, "tier_changed": False},
            )
            return True
        placement_set(
            district=district,
            actor=actor,
            student=plan.student,
            area=plan.area,
            tier=new_tier,
            start_date=day,
            reason=decision.notes or decision.get_kind_display(),
            meeting=meeting,
        )
        # The plan for the old tier ends; an intensified student gets the next tier's plan as a draft
        # (or stays on the "needs a plan" list), so nobody drops out of service (issue 13).
        Plan.objects.filter(pk=plan.pk).update(
            status=Plan.Status.COMPLETED if kind == Decision.Kind.EXIT else Plan.Status.DISCONTINUED
        )
        if kind == Decision.Kind.INTENSIFY:
            plan_draft_next_tier(district=district, actor=actor, plan=plan, tier=new_tier, day=day, decision=decision)
        context.update(from_tier=current, to_tier=new_tier, area=plan.area)
        if new_tier > 1:
            context["services"] = _tier_services(policy, new_tier, plan.area)
            _notices(district, decision, "tier_start", new_tier, actor, context)
        else:
            # The letter speaks of the plan that ends: its goal is the criterion that was met.
            context["plan_ids"] = [plan.pk]
            _notices(district, decision, "tier_end", current, actor, context)
    elif kind == Decision.Kind.REFER:
        # Services continue while the evaluation is decided (Holland Patent keeps Tier 1 and 3
        # services: special_education_referral.services_during_evaluation_tiers); a policy with
        # continue_services_during_evaluation false ends the plan with the referral.
        _policy_version, policy = policy_document(district=district, as_of=day)
        if plan is not None:
            context["plan_ids"] = [plan.pk]
            referral = policy.special_education_referral if policy is not None else None
            if referral is not None and (
                not referral.continue_services_during_evaluation
                or (
                    referral.services_during_evaluation_tiers
                    and plan.tier not in referral.services_during_evaluation_tiers
                )
            ):
                Plan.objects.filter(pk=plan.pk).update(status=Plan.Status.DISCONTINUED)
        _notices(district, decision, "referral_considered", plan.tier if plan else None, actor, context)
        # The referral itself carries its evidence and the reviewer's sign-off (interventions/referrals).
        referral_from_decision(district=district, actor=actor, decision=decision)
    audit(district=district, actor=actor, verb="decision.apply", obj=decision, changes={"kind": kind})
    return True


@transaction.atomic
def meeting_start(*, district: District, actor: User, meeting: Meeting) -> None:
    _require_open(district, meeting)
    Meeting.objects.filter(district=district, pk=meeting.pk, status=Meeting.Status.SCHEDULED).update(
        status=Meeting.Status.IN_PROGRESS
    )


def plan_draft_next_tier(
    *, district: District, actor: User | None, plan: Plan, tier: int, day: dt.date, decision: Decision | None = None
) -> Plan | None:
    """Draft the plan of the tier a student was intensified into, from the plan that ended.

    The draft keeps the provider, the goal and its measure, and the team's new intervention (or the
    old one), over as many weeks as the old plan; the schedule is the next tier's dosage where the
    policy sets one. It is not active: the provider checks it and starts it (`plan_activate`).
    When no draft can be made (the provider may no longer provide at the school, the dosage is
    invalid), there is no draft and the student shows on the "needs a plan" list
    (interventions.selectors.needing_plan), which lists every student in Tier 2 or above with no
    active plan in the area. Returns the draft or None."""
    from interventions.services import plan_create  # the plan service sits beside the meetings

    length = max(plan.expected_end_date - plan.start_date, dt.timedelta(weeks=1))
    goal_length = max(plan.goal_target_date - plan.start_date, dt.timedelta(weeks=1))
    _version, policy = policy_document(district=district, as_of=day)
    schedule = {
        "sessions_per_week": plan.sessions_per_week,
        "sessions_per_cycle": plan.sessions_per_cycle,
        "cycle_days": plan.cycle_days,
        "minutes_per_session": plan.minutes_per_session,
    }
    try:
        dosage = policy.tier(tier).dosage if policy is not None else None
    except LookupError:
        dosage = None
    if dosage is not None and dosage.minutes_per_session:
        if dosage.sessions_per_week:
            schedule = {
                "sessions_per_week": dosage.sessions_per_week,
                "sessions_per_cycle": None,
                "cycle_days": None,
                "minutes_per_session": dosage.minutes_per_session,
            }
        elif dosage.sessions_per_cycle and dosage.cycle_days:
            schedule = {
                "sessions_per_week": None,
                "sessions_per_cycle": dosage.sessions_per_cycle,
                "cycle_days": dosage.cycle_days,
                "minutes_per_session": dosage.minutes_per_session,
            }
    intervention = (decision.new_intervention if decision is not None else None) or plan.intervention
    try:
        with transaction.atomic():
            draft, _warnings = plan_create(
                district=district,
                actor=actor,
                student=plan.student,
                area=plan.area,
                tier=tier,
                intervention=intervention,
                provider=plan.provider,
                start_date=day,
                expected_end_date=day + length,
                goal_measure=plan.goal_measure,
                goal_target=(decision.new_goal_target if decision and decision.new_goal_target is not None else None)
                or plan.goal_target,
                goal_roi=plan.goal_roi,
                goal_direction=plan.goal_direction,
                goal_target_date=day + goal_length,
                **schedule,
            )
            Plan.objects.filter(pk=draft.pk).update(status=Plan.Status.DRAFT)
    except (ValidationError, IntegrityError):
        return None
    draft.status = Plan.Status.DRAFT
    audit(district=district, actor=actor, verb="plan.draft", obj=draft, changes={"from_plan": plan.pk, "tier": tier})
    return draft


@transaction.atomic
def plan_activate(*, district: District, actor: User | None, plan: Plan) -> None:
    """Start a draft plan (the next tier's plan an "intensify" decision drafted)."""
    if plan.district_id != district.pk:
        raise ValidationError(_("Unknown plan."))
    if not Plan.objects.filter(district=district, pk=plan.pk, status=Plan.Status.DRAFT).update(
        status=Plan.Status.ACTIVE
    ):
        raise ValidationError(_("Only a draft plan can be started."))
    audit(district=district, actor=actor, verb="plan.activate", obj=plan, changes={})


# --- closing ---------------------------------------------------------------------------------


def _decision_triggers(district: District, decision: Decision, policy) -> list[tuple[str, int | None]]:
    """The notice triggers applying `decision` fires, with the tier each letter speaks of
    (the same branches as decision_apply)."""
    plan = decision.plan
    kind = decision.kind
    if kind in (Decision.Kind.INTENSIFY, Decision.Kind.REDUCE, Decision.Kind.EXIT) and plan is not None:
        new_tier = cadence.decided_tier(policy, tier=plan.tier, area=plan.area, kind=kind)
        if new_tier == plan.tier:
            return []
        return [("tier_start", new_tier)] if new_tier > 1 else [("tier_end", plan.tier)]
    if kind == Decision.Kind.REFER:
        return [("referral_considered", plan.tier if plan else None)]
    return []


def _notices_for(policy, trigger: str, *, grade, tier) -> list:
    """The policy's notices for a trigger that apply to a student of `grade` in `tier` (as
    notifications.services._applies decides: empty tiers or grades mean any)."""
    if policy is None:
        return []
    return [
        n
        for n in policy.parent_contact.notices
        if n.trigger == trigger
        and (not n.grades or grade in n.grades)
        and (not n.tiers or (tier is not None and tier in n.tiers))
    ]


def decision_versions(*, district: District, meeting: Meeting) -> dict[int, int]:
    """{decision id: version} of the meeting's decisions: what a close confirmation was shown."""
    return dict(Decision.objects.filter(district=district, meeting=meeting).values_list("pk", "version"))


def meeting_close_preview(*, district: District, meeting: Meeting) -> dict:
    """What closing will do, for the confirmation page (and the API's preview): the decisions that will
    take effect, the letters the policy queues for them (count by notice, from the policy's
    `parent_contact.notices`), the undiscussed items, and the meeting they would be carried to."""
    _version, policy = policy_document(district=district, as_of=_meeting_date(meeting))
    decisions = list(
        Decision.objects.filter(district=district, meeting=meeting, applied_at__isnull=True)
        .select_related("student", "plan", "item")
        .order_by("item__position", "id")
    )
    letters: dict[str, dict] = {}

    def count(trigger, student, tier):
        for notice in _notices_for(policy, trigger, grade=student.grade, tier=tier):
            row = letters.setdefault(
                notice.key, {"key": notice.key, "title": notice.title, "trigger": trigger, "count": 0}
            )
            row["count"] += 1

    for decision in decisions:
        for trigger, tier in _decision_triggers(district, decision, policy):
            count(trigger, decision.student, tier)
    # The meeting's outcome letter (Loudon: "a meeting-outcome letter"), one per student decided on
    # whose parents did not attend (schema.NoticeTrigger: "outcome of a meeting the parent did not attend").
    attended = set(
        MeetingAttendee.objects.filter(
            district=district, meeting=meeting, kind=MeetingAttendee.Kind.GUARDIAN, attended=True
        ).values_list("guardian__student_id", flat=True)
    )
    decided = {
        d.student_id: d
        for d in Decision.objects.filter(district=district, meeting=meeting).select_related("student", "plan")
    }
    for decision in decided.values():
        if decision.student_id in attended:
            continue
        count("meeting_outcome", decision.student, decision.plan.tier if decision.plan else None)
    undiscussed = list(
        AgendaItem.objects.filter(district=district, meeting=meeting, status=AgendaItem.Status.OPEN)
        .select_related("student")
        .order_by("position", "id")
    )
    return {
        "decisions": decisions,
        "letters": sorted(letters.values(), key=lambda r: r["title"]),
        "undiscussed": undiscussed,
        "next_meeting": next_meeting(district=district, meeting=meeting),
        "versions": decision_versions(district=district, meeting=meeting),
    }


def next_meeting(*, district: District, meeting: Meeting) -> Meeting | None:
    """The next open meeting of the same team at the school (of the series first), if one is scheduled."""
    later = Meeting.objects.filter(
        district=district,
        school_id=meeting.school_id,
        team_type=meeting.team_type,
        starts_at__gt=meeting.starts_at,
    ).exclude(status=Meeting.Status.CLOSED)
    if meeting.series_id:
        in_series = later.filter(series_id=meeting.series_id).order_by("starts_at", "id").first()
        if in_series is not None:
            return in_series
    return later.order_by("starts_at", "id").first()


#: Weeks to the meeting created for carried items when the team has no next meeting (and no series).
CARRY_DEFAULT_WEEKS = 2


def _carry_over(district: District, actor: User | None, meeting: Meeting, items: list[AgendaItem]) -> Meeting:
    """Put the undiscussed items on the next meeting of the series (created when there is none)."""
    target = next_meeting(district=district, meeting=meeting)
    if target is None:
        weeks = meeting.series.every_weeks if meeting.series_id else CARRY_DEFAULT_WEEKS
        target = Meeting.objects.create(
            district=district,
            school_id=meeting.school_id,
            team_type=meeting.team_type,
            starts_at=meeting.starts_at + dt.timedelta(weeks=weeks),
            location=meeting.location,
            purpose=meeting.purpose,
            series=meeting.series,
            created_by=actor,
        )
        audit(district=district, actor=actor, verb="meeting.create", obj=target, changes={"carried_from": meeting.pk})
    there = set(AgendaItem.objects.filter(district=district, meeting=target).values_list("student_id", "area"))
    position = AgendaItem.objects.filter(district=district, meeting=target).aggregate(m=Max("position"))["m"] or 0
    day = _meeting_date(meeting).isoformat()
    new = []
    for item in items:
        if (item.student_id, item.area) in there:
            continue
        position += 1
        carried = {
            "code": "carried_over",
            "text": _("Not discussed at the meeting of %(day)s; carried over.") % {"day": day},
        }
        new.append(
            AgendaItem(
                district=district,
                meeting=target,
                student_id=item.student_id,
                plan_id=item.plan_id,
                area=item.area,
                position=position,
                reasons=[*item.reasons, carried],
                added_by=item.added_by,
            )
        )
    AgendaItem.objects.bulk_create(new)
    # The carried students' families are invited to the meeting that will discuss them
    # (the policy's `meeting_scheduled` notice; once per meeting, so a family already
    # invited there is not invited twice).
    events.announce(
        events.AGENDA_STUDENTS_ADDED,
        district=district,
        meeting=target,
        student_ids=sorted({item.student_id for item in new}),
        actor=actor,
    )
    return target


CLOSE_CONFLICT = _lazy(
    "Someone changed a decision on this agenda while you were reviewing the close: nothing was applied. "
    "Review what closing will do now, and confirm again."
)


@transaction.atomic
def meeting_close(
    *,
    district: District,
    actor: User,
    meeting: Meeting,
    carry_over: bool = False,
    expected_versions: dict[int, int] | None = None,
) -> int:
    """Close the meeting: every decision not yet applied takes effect, all or none.

    `expected_versions` ({decision id: version}, from the confirmation page) makes the close refuse
    when a decision changed or appeared since the team reviewed it (the error has code "conflict").
    With `carry_over`, the undiscussed items go on the next meeting of the series; without, they are
    marked "not discussed". Closing twice is refused with a clear message.
    """
    locked = Meeting.objects.select_for_update().get(district=district, pk=meeting.pk)
    if locked.status == Meeting.Status.CLOSED:
        raise ValidationError(_("This meeting is already closed."), code="closed")
    if expected_versions is not None and decision_versions(district=district, meeting=meeting) != {
        int(k): int(v) for k, v in expected_versions.items()
    }:
        raise ValidationError(CLOSE_CONFLICT, code="conflict")
    applied = 0
    for decision in Decision.objects.filter(district=district, meeting=meeting, applied_at__isnull=True).order_by("id"):
        applied += decision_apply(district=district, actor=actor, decision=decision)
    open_items = AgendaItem.objects.filter(district=district, meeting=meeting, status=AgendaItem.Status.OPEN)
    carried_to = None
    if carry_over:
        items = list(open_items.order_by("position", "id"))
        if items:
            carried_to = _carry_over(district, actor, locked, items)
    open_items.update(status=AgendaItem.Status.SKIPPED)
    Meeting.objects.filter(pk=meeting.pk).update(
        status=Meeting.Status.CLOSED, closed_at=timezone.now(), closed_by=actor
    )
    audit(
        district=district,
        actor=actor,
        verb="meeting.close",
        obj=meeting,
        changes={"applied": applied, "carried_to": carried_to.pk if carried_to else None},
    )
    events.announce(events.MEETING_CLOSED, district=district, meeting=meeting, actor=actor)
    return applied


@transaction.atomic
def action_item_done(*, district: District, actor: User, action: ActionItem, done: bool = True) -> None:
    """Mark an action item done (keeps the first time), or not done again (`done=False`: undo)."""
    rows = ActionItem.objects.filter(district=district, pk=action.pk)
    if done:
        rows.filter(done_at__isnull=True).update(done_at=timezone.now())
    else:
        rows.update(done_at=None)
    audit(
        district=district, actor=actor, verb="action_item.done" if done else "action_item.undo", obj=action, changes={}
    )
