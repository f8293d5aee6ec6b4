"""The meeting view: one page walks the agenda; decisions are recorded live."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _

from interventions.meetings import selectors, services
from interventions.meetings.documents import recap_pdf
from interventions.meetings.forms import AgendaAddForm, DecisionForm, MeetingForm
from interventions.models import Decision, Meeting
from interventions.progress import chart_svg
from mtss import access_log
from mtss.decorators import district_member
from mtss.forms import apply_validation_error
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
                created = services.meeting_create(
                    district=request.district,
                    actor=request.user,
                    school=data["school"],
                    team_type=data["team_type"],
                    starts_at=data["starts_at"],
                    location=data["location"],
                    purpose=data["purpose"],
                    every_weeks=data["every_weeks"],
                    occurrences=data["occurrences"],
                )
            except ValidationError as error:
                apply_validation_error(form, error)
            else:
                return redirect("meeting_detail", meeting_id=created[0].pk)
    return render(
        request, "interventions/meeting_list.html", {"meetings": meetings, "form": form, "can_create": can_create}
    )


@district_member()
def meeting_detail(request, meeting_id: int):
    meeting = selectors.meeting_get(district=request.district, membership=request.membership, meeting_id=meeting_id)
    can_run = allowed(request.membership, "may_run_meeting", meeting) and meeting.status != Meeting.Status.CLOSED
    students = (
        visible_students(district=request.district, membership=request.membership)
        .filter(school=meeting.school, exit_date__isnull=True)
        .order_by("last_name", "first_name")
    )
    add_form = AgendaAddForm(request.POST if request.POST.get("action") == "add" else None, students=students)
    if request.method == "POST":
        if not can_run:
            raise Http404
        action = request.POST.get("action")
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
            elif action == "attendee":
                user_id = request.POST.get("user", "")
                user = User.objects.filter(pk=int(user_id)).first() if user_id.isdigit() else None
                services.attendee_add(
                    district=request.district,
                    actor=request.user,
                    meeting=meeting,
                    kind=request.POST.get("kind", "staff"),
                    name=request.POST.get("name", ""),
                    role=request.POST.get("role", ""),
                    user=user,
                )
            elif action == "close":
                applied = services.meeting_close(district=request.district, actor=request.user, meeting=meeting)
                messages.success(request, _("Meeting closed; %(n)s decisions took effect.") % {"n": applied})
            if not (action == "add" and not add_form.is_valid()):
                return redirect("meeting_detail", meeting_id=meeting.pk)
        except ValidationError as error:
            if action == "add":
                apply_validation_error(add_form, error)
            else:
                messages.error(request, " ".join(error.messages))
                return redirect("meeting_detail", meeting_id=meeting.pk)
    items = selectors.agenda(district=request.district, meeting=meeting)
    access_log.record(request, action="view", what="meeting agenda", student_ids=[i.student_id for i in items])
    return render(
        request,
        "interventions/meeting_detail.html",
        {
            "meeting": meeting,
            "items": items,
            "attendees": selectors.attendees(district=request.district, meeting=meeting),
            "can_run": can_run,
            "add_form": add_form,
            "staff": User.objects.filter(memberships__district=request.district, memberships__is_active=True).order_by(
                "last_name"
            ),
        },
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
    items = selectors.agenda(district=request.district, meeting=meeting)
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
    items = selectors.agenda(district=request.district, meeting=meeting)
    access_log.record(request, action="export", what="meeting recap PDF", student_ids=[i.student_id for i in items])
    return _pdf(recap_pdf(district=request.district, meeting=meeting), f"meeting-{meeting.pk}-recap.pdf")
