"""Reads for team meetings, scoped by district and by the member's schools."""

from __future__ import annotations

from django.db.models import QuerySet
from django.http import Http404
from django.utils import timezone

from interventions.meetings.services import fidelity_gate
from interventions.models import ActionItem, AgendaItem, Decision, Meeting, MeetingAttendee, Plan, TierPlacement
from interventions.selectors import evaluate_plans
from mtss.models import District, Membership
from mtss.permissions import SEES_WHOLE_DISTRICT


def visible_meetings(*, district: District, membership: Membership) -> QuerySet[Meeting]:
    meetings = Meeting.objects.filter(district=district)
    if membership.role in SEES_WHOLE_DISTRICT:
        return meetings
    return meetings.filter(school_id__in=membership.schools.values("id"))


def upcoming_meetings(*, district: District, membership: Membership, since) -> QuerySet[Meeting]:
    """Meetings of the member's schools from `since` on that are not closed, soonest first."""
    return (
        visible_meetings(district=district, membership=membership)
        .filter(starts_at__gte=since)
        .exclude(status=Meeting.Status.CLOSED)
        .select_related("school")
        .order_by("starts_at", "id")
    )


def open_tasks_for(*, district: District, user) -> QuerySet[ActionItem]:
    """The user's action items not done yet, soonest due first.

    Minimal version for the home page; the meetings work keeps the same name and signature."""
    return (
        ActionItem.objects.filter(district=district, owner=user, done_at__isnull=True)
        .select_related("meeting", "meeting__school")
        .order_by("due_date", "id")
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


def agenda(*, district: District, meeting: Meeting) -> list[AgendaItem]:
    items = list(
        AgendaItem.objects.filter(district=district, meeting=meeting)
        .select_related("student", "plan", "decision")
        .order_by("position", "id")
    )
    return items


def attendees(*, district: District, meeting: Meeting) -> list[MeetingAttendee]:
    return list(MeetingAttendee.objects.filter(district=district, meeting=meeting).order_by("kind", "name"))


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


def recap(*, district: District, meeting: Meeting) -> dict:
    items = agenda(district=district, meeting=meeting)
    actions = list(ActionItem.objects.filter(district=district, meeting=meeting).select_related("owner", "decision"))
    return {
        "meeting": meeting,
        "items": items,
        "attendees": attendees(district=district, meeting=meeting),
        "actions": actions,
    }
