"""The meeting view: one page walks the agenda; decisions are recorded live."""

from __future__ import annotations

import datetime as dt

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from interventions.meetings import selectors, services
from interventions.meetings.documents import recap_pdf
from interventions.meetings.forms import AgendaAddForm, DecisionForm, MeetingForm
from interventions.models import ActionItem, Decision, Meeting
from interventions.progress import chart_svg
from mtss import access_log
from mtss.decorators import district_member
from mtss.forms import apply_validation_error
from mtss.idempotency import AlreadySubmitted, repeated, submit_once
from mtss.models import User
from mtss.permissions import allowed, require
from mtss.selectors import school_list
from mtss.throttles import pdf_render_limit
from students.access import visible_students
from students.selectors import student_get


def _pdf(content: bytes, filename: str) -> HttpResponse:
    response = HttpResponse(content, content_type="application/pdf")
    response["Content-Disposition"] = f'inline; filename="{filename}"'
    return response


@district_member()
def meeting_list(request):
    meetings = list(
        selectors.visible_meetings(district=request.district, membership=request.membership)
        .select_related("school")
        .order_by("-starts_at")[:100]
    )
    schools = school_list(district=request.district, membership=request.membership)
    form = MeetingForm(request.POST or None, schools=schools)
    can_create = any(allowed(request.membership, "may_create_meeting", school) for school in schools)
    if request.method == "POST":
        if not can_create:
            raise Http404
        if form.is_valid():
            data = form.cleaned_data
            require(request, "may_create_meeting", data["school"])
            try:
                created = submit_once(
                    district=request.district,
                    user=request.user,
                    token=form.submission_token,
                    work=lambda: services.meeting_create(
                        district=request.district,
                        actor=request.user,
                        school=data["school"],
                        team_type=data["team_type"],
                        starts_at=data["starts_at"],
                        location=data["location"],
                        purpose=data["purpose"],
                        every_weeks=data["every_weeks"],
                        occurrences=data["occurrences"],
                    ),
                    url_of=lambda meetings: reverse("meeting_detail", args=[meetings[0].pk]),
                )
            except AlreadySubmitted as repeat:
                return repeated(request, repeat, reverse("meeting_list"))
            except ValidationError as error:
                apply_validation_error(form, error)
            else:
                return redirect("meeting_detail", meeting_id=created[0].pk)
    return render(
        request, "interventions/meeting_list.html", {"meetings": meetings, "form": form, "can_create": can_create}
    )


def _order(request) -> str:
    order = request.GET.get("order", "urgency")
    return order if order in selectors.AGENDA_ORDERS else "urgency"


def _add_attendee(request, meeting, items) -> None:
    """Staff by name (a member of the district), a guardian of a student on the agenda, or the student."""
    kind = request.POST.get("kind", "staff")
    visible = [i for i in items if not i.hidden]
    picked = request.POST.get(kind, "")
    if kind == "staff":
        user = (
            selectors.district_staff(district=request.district).filter(pk=int(picked)).first()
            if picked.isdigit()
            else None
        )
        if user is None and not request.POST.get("name", "").strip():
            raise ValidationError({"user": _("Choose a staff member.")})
        services.attendee_add(
            district=request.district,
            actor=request.user,
            meeting=meeting,
            kind="staff",
            name=request.POST.get("name", "") if user is None else "",
            role=request.POST.get("role", ""),
            user=user,
        )
    elif kind == "guardian":
        guardian = next(
            (g for g in selectors.agenda_guardians(district=request.district, items=visible) if str(g.pk) == picked),
            None,
        )
        if guardian is None:
            raise ValidationError({"guardian": _("Choose a parent or guardian of a student on the agenda.")})
        services.attendee_add(
            district=request.district,
            actor=request.user,
            meeting=meeting,
            kind="guardian",
            role=guardian.get_relationship_display() if hasattr(guardian, "get_relationship_display") else "",
            guardian=guardian,
        )
    elif kind == "student":
        item = next((i for i in visible if str(i.student_id) == picked), None)
        if item is None:
            raise ValidationError({"student": _("Choose a student on the agenda.")})
        services.attendee_add(
            district=request.district, actor=request.user, meeting=meeting, kind="student", student=item.student
        )
    else:
        raise ValidationError({"kind": _("Choose staff, a parent or guardian, or the student.")})


def _toggle_task(request, meeting=None) -> None:
    """Mark an action item done or not done again: its owner, or whoever runs its meeting."""
    action_id = request.POST.get("task", "")
    rows = ActionItem.objects.filter(district=request.district).select_related("meeting")
    if meeting is not None:
        rows = rows.filter(meeting=meeting)
    else:
        rows = rows.filter(owner=request.user)
    action = rows.filter(pk=int(action_id)).first() if action_id.isdigit() else None
    if action is None:
        raise Http404
    require(request, "may_mark_action_done", action)
    done = request.POST.get("action") == "task_done"
    services.action_item_done(district=request.district, actor=request.user, action=action, done=done)


@district_member()
def meeting_detail(request, meeting_id: int):
    meeting = selectors.meeting_get(district=request.district, membership=request.membership, meeting_id=meeting_id)
    is_open = meeting.status != Meeting.Status.CLOSED
    can_run = allowed(request.membership, "may_run_meeting", meeting) and is_open
    can_close = allowed(request.membership, "may_close_meeting", meeting) and is_open
    order = _order(request)
    students = (
        visible_students(district=request.district, membership=request.membership)
        .filter(school=meeting.school, exit_date__isnull=True)
        .order_by("last_name", "first_name")
    )
    add_form = AgendaAddForm(request.POST if request.POST.get("action") == "add" else None, students=students)
    items = selectors.agenda(district=request.district, meeting=meeting, membership=request.membership, order=order)
    here = reverse("meeting_detail", args=[meeting.pk]) + (f"?order={order}" if order != "urgency" else "")
    if request.method == "POST":
        action = request.POST.get("action")
        if action in ("task_done", "task_undo"):
            _toggle_task(request, meeting)
            return redirect(here + "#actions-heading")
        if action == "close":
            # Closing is confirmed on its own page, which says what will happen.
            require(request, "may_close_meeting", meeting)
            return redirect("meeting_close", meeting_id=meeting.pk)
        if not can_run:
            raise Http404
        try:
            if action == "build":
                added = services.agenda_build(district=request.district, actor=request.user, meeting=meeting)
                messages.success(request, _("%(n)s students added from the district's rules.") % {"n": len(added)})
            elif action == "add" and add_form.is_valid():
                services.agenda_add(
                    district=request.district,
                    actor=request.user,
                    meeting=meeting,
                    student=add_form.cleaned_data["student"],
                    reason=add_form.cleaned_data["reason"],
                )
            elif action in ("up", "down"):
                item = selectors.item_get(
                    district=request.district, meeting=meeting, item_id=int(request.POST.get("item", 0) or 0)
                )
                services.agenda_move(
                    district=request.district, meeting=meeting, item=item, direction=-1 if action == "up" else 1
                )
            elif action == "start":
                services.meeting_start(district=request.district, actor=request.user, meeting=meeting)
            elif action == "attendance":
                services.attendance_set(
                    district=request.district,
                    meeting=meeting,
                    present_ids={int(v) for v in request.POST.getlist("present") if v.isdigit()},
                )
                messages.success(request, _("Attendance saved."))
            elif action == "attendee":
                _add_attendee(request, meeting, items)
            if not (action == "add" and not add_form.is_valid()):
                return redirect(here)
        except ValidationError as error:
            if action == "add":
                apply_validation_error(add_form, error)
            else:
                messages.error(request, " ".join(error.messages))
                return redirect(here)
    visible = [i for i in items if not i.hidden]
    attendees = selectors.attendees(district=request.district, meeting=meeting, membership=request.membership)
    actions = list(
        ActionItem.objects.filter(district=request.district, meeting=meeting).select_related("owner", "decision")
    )
    selectors.action_items_hidden(district=request.district, membership=request.membership, actions=actions)
    for a in actions:
        a.can_toggle = not a.hidden and allowed(request.membership, "may_mark_action_done", a)
    access_log.record(request, action="view", what="meeting agenda", student_ids=[i.student_id for i in visible])
    return render(
        request,
        "interventions/meeting_detail.html",
        {
            "meeting": meeting,
            "items": items,
            "hidden_count": len(items) - len(visible),
            "order": order,
            "orders": [("urgency", _("Most urgent first")), ("name", _("By name")), ("position", _("Agenda order"))],
            "attendees": attendees,
            "actions": actions,
            "can_run": can_run,
            "can_close": can_close,
            "add_form": add_form,
            "staff": selectors.district_staff(district=request.district),
            "guardians": selectors.agenda_guardians(district=request.district, items=visible),
            "agenda_students": list({i.student_id: i.student for i in visible}.values()),
        },
    )


def _versions_field(versions: dict[int, int]) -> str:
    return ",".join(f"{pk}:{v}" for pk, v in sorted(versions.items()))


def _parse_versions(value: str) -> dict[int, int] | None:
    pairs = [p.split(":", 1) for p in value.split(",") if p]
    if not all(len(p) == 2 and p[0].isdigit() and p[1].isdigit() for p in pairs):
        return None
    return {int(k): int(v) for k, v in pairs}


@district_member()
def meeting_close(request, meeting_id: int):
    """The close confirmation: the decisions that take effect, the letters the policy queues, and the
    undiscussed items (carried to the next meeting if the team says so). One confirm applies."""
    meeting = selectors.meeting_get(district=request.district, membership=request.membership, meeting_id=meeting_id)
    require(request, "may_close_meeting", meeting)
    if meeting.status == Meeting.Status.CLOSED:
        messages.error(request, _("This meeting is already closed."))
        return redirect("meeting_detail", meeting_id=meeting.pk)
    error = None
    if request.method == "POST":
        versions = _parse_versions(request.POST.get("versions", ""))
        if versions is None:
            error = _("The confirmation form was incomplete; review what closing will do and confirm again.")
        else:
            try:
                applied = services.meeting_close(
                    district=request.district,
                    actor=request.user,
                    meeting=meeting,
                    carry_over=request.POST.get("carry_over") == "1",
                    expected_versions=versions,
                )
            except ValidationError as exc:
                if getattr(exc, "code", None) == "closed":
                    messages.error(request, " ".join(exc.messages))
                    return redirect("meeting_detail", meeting_id=meeting.pk)
                error = " ".join(exc.messages)
            else:
                messages.success(request, _("Meeting closed; %(n)s decisions took effect.") % {"n": applied})
                return redirect("meeting_detail", meeting_id=meeting.pk)
    preview = services.meeting_close_preview(district=request.district, meeting=meeting)
    seen = set(
        visible_students(district=request.district, membership=request.membership)
        .filter(pk__in={d.student_id for d in preview["decisions"]} | {i.student_id for i in preview["undiscussed"]})
        .values_list("pk", flat=True)
    )
    for row in [*preview["decisions"], *preview["undiscussed"]]:
        row.hidden = row.student_id not in seen
    access_log.record(request, action="view", what="meeting close confirmation", student_ids=sorted(seen))
    return render(
        request,
        "interventions/meeting_close.html",
        {
            "meeting": meeting,
            **preview,
            "letter_total": sum(r["count"] for r in preview["letters"]),
            "versions_field": _versions_field(preview["versions"]),
            "error": error,
        },
        status=409 if error else 200,
    )


@district_member()
def agenda_item(request, meeting_id: int, item_id: int):
    meeting = selectors.meeting_get(district=request.district, membership=request.membership, meeting_id=meeting_id)
    item = selectors.item_get(district=request.district, meeting=meeting, item_id=item_id)
    # The student must be one the member may see, like everywhere else.
    student_get(district=request.district, membership=request.membership, student_id=item.student_id)
    panel = selectors.item_panel(district=request.district, item=item)
    decision = panel["decision"]
    owners = User.objects.filter(memberships__district=request.district, memberships__is_active=True).order_by(
        "last_name"
    )
    can_decide = (
        allowed(request.membership, "may_decide_in_meeting", meeting) and meeting.status != Meeting.Status.CLOSED
    )
    if request.method == "POST":
        if not can_decide:
            raise Http404
        if request.POST.get("action") == "apply":
            if decision is None:
                messages.error(request, _("Record a decision first."))
            else:
                services.decision_apply(district=request.district, actor=request.user, decision=decision)
                messages.success(request, _("The decision took effect."))
            return redirect("agenda_item", meeting_id=meeting.pk, item_id=item.pk)
        form = DecisionForm(request.POST, district=request.district, owners=owners)
        if form.is_valid():
            data = form.cleaned_data
            try:
                services.decision_record(
                    district=request.district,
                    actor=request.user,
                    item=item,
                    kind=data["kind"],
                    notes=data["notes"],
                    version=data["version"],
                    override_reason=data["override_reason"],
                    new_intervention=data["new_intervention"],
                    new_goal_target=data["new_goal_target"],
                    action_items=form.action_items(),
                )
            except ValidationError as error:
                apply_validation_error(form, error)  # the form keeps what was typed, even on a conflict
            else:
                messages.success(request, _("Decision saved for %(name)s.") % {"name": item.student.full_name})
                return redirect("agenda_item", meeting_id=meeting.pk, item_id=item.pk)
    else:
        initial = {"version": decision.version if decision else None}
        if decision:
            initial.update(
                kind=decision.kind,
                notes=decision.notes,
                override_reason=decision.override_reason,
                new_intervention=decision.new_intervention_id,
                new_goal_target=decision.new_goal_target,
            )
        elif panel["result"] is not None:
            suggestion = {
                "intensify": "intensify",
                "refer_evaluation": "refer_evaluation",
                "exit": "exit",
                "modify": "modify",
            }.get(panel["result"].evaluation.recommendation, "continue")
            initial["kind"] = suggestion
        form = DecisionForm(initial=initial, district=request.district, owners=owners)
    order = _order(request)
    items = [
        i
        for i in selectors.agenda(
            district=request.district, meeting=meeting, membership=request.membership, order=order
        )
        if not i.hidden
    ]
    index = next(i for i, it in enumerate(items) if it.pk == item.pk)
    access_log.record(request, action="view", what="meeting agenda item", student_ids=[item.student_id])
    return render(
        request,
        "interventions/agenda_item.html",
        {
            "meeting": meeting,
            "item": item,
            "form": form,
            "can_decide": can_decide,
            **panel,
            "chart": chart_svg(panel["result"]) if panel["result"] else "",
            "previous": items[index - 1] if index > 0 else None,
            "next": items[index + 1] if index + 1 < len(items) else None,
            "position": index + 1,
            "count": len(items),
            "non_response": sorted(Decision.NON_RESPONSE),
        },
    )


@district_member()
@pdf_render_limit
def meeting_recap(request, meeting_id: int):
    meeting = selectors.meeting_get(district=request.district, membership=request.membership, meeting_id=meeting_id)
    items = selectors.agenda(district=request.district, meeting=meeting, membership=request.membership)
    access_log.record(
        request, action="export", what="meeting recap PDF", student_ids=[i.student_id for i in items if not i.hidden]
    )
    return _pdf(
        recap_pdf(district=request.district, meeting=meeting, membership=request.membership),
        f"meeting-{meeting.pk}-recap.pdf",
    )


@district_member()
def my_tasks(request):
    """The action items the member owns: open ones by due date, and those done in the last 30 days
    (so a mistaken "done" can be undone)."""
    if request.method == "POST":
        _toggle_task(request)
        return redirect("my_tasks")
    since = timezone.now() - dt.timedelta(days=30)
    tasks = list(selectors.tasks_for(district=request.district, user=request.user, done_since=since))
    selectors.action_items_hidden(district=request.district, membership=request.membership, actions=tasks)
    access_log.record(
        request,
        action="list",
        what="my tasks",
        student_ids=sorted({t.decision.student_id for t in tasks if t.decision_id and not t.hidden}),
    )
    return render(
        request,
        "interventions/my_tasks.html",
        {"tasks": tasks, "today": timezone.localdate(), "open_count": sum(t.done_at is None for t in tasks)},
    )
