"""Reads for team meetings, scoped by district and by the member's schools."""

from __future__ import annotations

from django.db.models import F, Q, QuerySet
from django.http import Http404
from django.utils import timezone

from interventions.meetings.services import fidelity_gate
from interventions.models import ActionItem, AgendaItem, Decision, Meeting, MeetingAttendee, Plan, TierPlacement
from interventions.selectors import evaluate_plans
from mtss.models import District, Membership, User
from mtss.permissions import SEES_WHOLE_DISTRICT
from students.access import visible_students
from students.models import Guardian

#: How an agenda can be ordered: by urgency (the default), by name, or in the order the team set.
AGENDA_ORDERS = ("urgency", "name", "position")
# Urgency ranks of the reason codes the agenda builder writes (services.AGENDA_FINDINGS,
# AGENDA_RECOMMENDATIONS, cadence.review_reason): an overdue review and a non-responder come
# first (issue 13: "overdue reviews and non-responders first"), then what the policy says must be
# looked at now (overdue monitoring, past the tier's duration, a review due, low fidelity), then
# the rest. Lower is more urgent; an item ranks by its most urgent reason.
URGENCY = {
    "review_overdue": 0,
    "not_responding": 0,
    "pm_overdue": 1,
    "past_duration_limit": 1,
    "review_due": 2,
    "low_fidelity": 2,
    "behind_aim_line": 2,
    "mid_year_entry_at_risk": 3,
    "screening_flag": 3,
    "parent_request": 3,
}
NOT_URGENT = 4


def visible_meetings(*, district: District, membership: Membership) -> QuerySet[Meeting]:
    meetings = Meeting.objects.filter(district=district)
    if membership.role in SEES_WHOLE_DISTRICT:
        return meetings
    return meetings.filter(school_id__in=membership.district_schools().values("id"))


def upcoming_meetings(*, district: District, membership: Membership, since) -> QuerySet[Meeting]:
    """Meetings of the member's schools from `since` on that are not closed, soonest first."""
    return (
        visible_meetings(district=district, membership=membership)
        .filter(starts_at__gte=since)
        .exclude(status=Meeting.Status.CLOSED)
        .select_related("school")
        .order_by("starts_at", "id")
    )


def meeting_get(*, district: District, membership: Membership, meeting_id: int) -> Meeting:
    try:
        return visible_meetings(district=district, membership=membership).select_related("school").get(pk=meeting_id)
    except Meeting.DoesNotExist:
        raise Http404 from None


def item_get(*, district: District, meeting: Meeting, item_id: int) -> AgendaItem:
    try:
        return AgendaItem.objects.select_related("student", "student__school", "plan", "meeting").get(
            district=district, meeting=meeting, pk=item_id
        )
    except AgendaItem.DoesNotExist:
        raise Http404 from None


def urgency(item: AgendaItem) -> int:
    """The item's rank by its most urgent reason (URGENCY); a decided item keeps its rank."""
    return min((URGENCY.get(r.get("code", ""), NOT_URGENT) for r in item.reasons or ()), default=NOT_URGENT)


def _visible_ids(district: District, membership: Membership | None, student_ids) -> set[int]:
    return set(
        visible_students(district=district, membership=membership)
        .filter(pk__in=set(student_ids))
        .values_list("pk", flat=True)
    )


def agenda(
    *, district: District, meeting: Meeting, membership: Membership | None = None, order: str = "position"
) -> list[AgendaItem]:
    """The meeting's agenda items, in `order` (AGENDA_ORDERS).

    With a `membership`, each item carries `hidden`: True when the member may not see the student
    (students.access). The pages, the recap PDF and the API then show it as "another student",
    without name, reasons or decision (issue 13: teachers see only their own students' items).
    """
    items = list(
        AgendaItem.objects.filter(district=district, meeting=meeting)
        .select_related("student", "plan", "decision")
        .order_by("position", "id")
    )
    if membership is not None:
        seen = _visible_ids(district, membership, [i.student_id for i in items])
        for item in items:
            item.hidden = item.student_id not in seen
    if order == "urgency":
        items.sort(key=lambda i: (urgency(i), i.student.last_name, i.student.first_name, i.area, i.pk))
    elif order == "name":
        items.sort(key=lambda i: (i.student.last_name, i.student.first_name, i.area, i.pk))
    return items


def attendees(*, district: District, meeting: Meeting, membership: Membership | None = None) -> list[MeetingAttendee]:
    """The attendees; with a `membership`, a guardian or student attendee of a student the member may
    not see carries `hidden` (shown as "another student's family"), like the agenda."""
    rows = list(MeetingAttendee.objects.filter(district=district, meeting=meeting).order_by("kind", "name"))
    if membership is not None:
        guardian_student = dict(
            Guardian.objects.filter(
                district=district, pk__in=[a.guardian_id for a in rows if a.guardian_id]
            ).values_list("pk", "student_id")
        )
        owner = {a.pk: a.student_id or guardian_student.get(a.guardian_id) for a in rows}
        seen = _visible_ids(district, membership, [s for s in owner.values() if s])
        for a in rows:
            # A family named by hand (no guardian or student record) belongs to nobody's record: shown.
            a.hidden = a.kind != MeetingAttendee.Kind.STAFF and owner[a.pk] is not None and owner[a.pk] not in seen
    return rows


def item_panel(*, district: District, item: AgendaItem) -> dict:
    """Everything the team sees for one student, in a fixed number of queries."""
    as_of = timezone.localtime(item.meeting.starts_at).date()
    result = None
    if item.plan_id:
        plan = Plan.objects.select_related("student", "placement", "intervention", "provider", "group").get(
            district=district, pk=item.plan_id
        )
        result = evaluate_plans(district=district, plans=[plan], as_of=as_of)[plan.pk]
    history = list(
        TierPlacement.objects.filter(district=district, student=item.student)
        .select_related("meeting", "decided_by")
        .order_by("area", "-start_date")
    )
    past = list(
        Decision.objects.filter(district=district, student=item.student)
        .exclude(item=item)
        .select_related("meeting", "decided_by")
        .order_by("-decided_at")
    )
    decision = Decision.objects.filter(district=district, item=item).select_related("decided_by").first()
    actions = (
        list(ActionItem.objects.filter(district=district, decision=decision).select_related("owner"))
        if decision
        else []
    )
    return {
        "result": result,
        "history": history,
        "past_decisions": past,
        "decision": decision,
        "gate": fidelity_gate(result),
        "actions": actions,
    }


def recap(*, district: District, meeting: Meeting, membership: Membership | None = None) -> dict:
    """The recap's content; with a `membership`, what that member may read (hidden items, their
    action items and their families are marked `hidden`)."""
    items = agenda(district=district, meeting=meeting, membership=membership)
    hidden_decisions = {i.decision.pk for i in items if getattr(i, "hidden", False) and _decision(i) is not None}
    actions = list(ActionItem.objects.filter(district=district, meeting=meeting).select_related("owner", "decision"))
    for action in actions:
        action.hidden = action.decision_id in hidden_decisions
    return {
        "meeting": meeting,
        "items": items,
        "attendees": attendees(district=district, meeting=meeting, membership=membership),
        "actions": actions,
    }


def _decision(item: AgendaItem) -> Decision | None:
    try:
        return item.decision
    except Decision.DoesNotExist:
        return None


def action_items_hidden(*, district: District, membership: Membership, actions) -> None:
    """Mark each action item whose decision's student the member may not see as `hidden`."""
    actions = list(actions)
    student_of = {a.pk: a.decision.student_id for a in actions if a.decision_id}
    seen = _visible_ids(district, membership, student_of.values())
    for a in actions:
        a.hidden = a.pk in student_of and student_of[a.pk] not in seen


def district_staff(*, district: District) -> QuerySet[User]:
    """Active members of the district, by name: who can attend as staff or own an action item."""
    return (
        User.objects.filter(memberships__district=district, memberships__is_active=True)
        .distinct()
        .order_by("last_name", "first_name", "username")
    )


def agenda_guardians(*, district: District, items) -> list[Guardian]:
    """Parents and guardians of the students of these agenda items (those the member may see)."""
    return list(
        Guardian.objects.filter(district=district, student_id__in={i.student_id for i in items})
        .select_related("student")
        .order_by("student__last_name", "student__first_name", "last_name", "first_name")
    )


def open_tasks_for(*, district: District, user: User) -> QuerySet[ActionItem]:
    """The action items `user` owns that are not done, soonest due first (the owner's home, "my tasks")."""
    return (
        ActionItem.objects.filter(district=district, owner=user, done_at__isnull=True)
        .select_related("meeting", "meeting__school", "decision", "decision__student")
        .order_by("due_date", "id")
    )


def tasks_for(*, district: District, user: User, done_since=None) -> QuerySet[ActionItem]:
    """The owner's tasks: every open one, and those done since `done_since` (so "undo" stays at hand)."""
    rows = ActionItem.objects.filter(district=district, owner=user)
    if done_since is not None:
        rows = rows.filter(Q(done_at__isnull=True) | Q(done_at__gte=done_since))
    return rows.select_related("meeting", "meeting__school", "decision", "decision__student").order_by(
        F("done_at").asc(nulls_first=True), "due_date", "id"
    )
