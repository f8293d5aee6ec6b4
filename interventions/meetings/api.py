"""REST API for team meetings: meetings (one or a series), the agenda, the item
panel, decisions with the fidelity gate and optimistic concurrency, attendees and
action items.

Thin views over interventions.meetings.selectors and interventions.meetings.services,
in the pattern of interventions/api/: every object is looked up through a
district- and member-scoped selector first, so another district's id answers 404
exactly like a missing one; then the rule is checked (403: mtss.permissions'
may_run_meeting and its aliases); then a closed meeting
refuses the change (400); then the body is validated (400, naming the field:
the services' ValidationErrors pass through mtss.api_errors). A decision saved
from a stale version is a 409 whose body holds the current decision.

Starting and closing a meeting are separate POST operations
(`meetings/{id}/start/`, `meetings/{id}/close/`), one small view per operation
(HackSoft styleguide), so a meeting has no writable state besides them.

Agenda items, decisions and the meeting view show every student on the agenda
to whoever may see the meeting (the school team), as the HTML meeting view and
the recap PDF do; the item panel (graph data, findings, history) additionally
requires that the member may see the student, as the HTML item page does.
"""

from __future__ import annotations

import datetime as dt

from django.core.exceptions import ValidationError as DjangoValidationError
from django.db.models import Count, Prefetch, Q, prefetch_related_objects
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema, inline_serializer
from rest_framework import generics, serializers, status
from rest_framework.exceptions import NotFound
from rest_framework.response import Response

from interventions.api.fields import LibraryField, VisibleStudentField, _ScopedField
from interventions.api.plans import EvaluationSerializer, PlanSerializer
from interventions.meetings import selectors, services
from interventions.models import (
    ActionItem,
    AgendaItem,
    Decision,
    Meeting,
    MeetingAttendee,
    TeamType,
    TierPlacement,
)
from mtss import access_log
from mtss.api_params import param_date as _param_date
from mtss.api_params import param_int as _param_int
from mtss.api_permissions import require
from mtss.db.colocation import among
from mtss.models import School, User
from mtss.permissions import SEES_WHOLE_DISTRICT, allowed
from students.access import visible_students
from students.models import Guardian
from students.selectors import student_get

MAX_ACTION_ITEMS = 20
# What a member reads in place of a student they may not see (issue 13: "another student").
HIDDEN_STUDENT = "Another student"
HIDDEN_FAMILY = "Family of another student"
HIDDEN_ACTION = "A follow-up for another student"
MAX_ATTENDEES = 200
CLOSED = services.CLOSED_MESSAGE


# --- permissions and guards ------------------------------------------------------------------


def _require_writable(request, meeting: Meeting, rule: str = "may_run_meeting") -> None:
    """A member the rule allows (else 403) on a meeting that is not closed (else 400), before the body is read."""
    require(request, rule, meeting)
    if meeting.status == Meeting.Status.CLOSED:
        raise serializers.ValidationError({"non_field_errors": [CLOSED]})


def _meeting(request, meeting_id: int) -> Meeting:
    return selectors.meeting_get(district=request.district, membership=request.membership, meeting_id=meeting_id)


def _item(request, meeting: Meeting, item_id: int, *, student_visible: bool = True) -> AgendaItem:
    item = selectors.item_get(district=request.district, meeting=meeting, item_id=item_id)
    if student_visible:
        # The student must be one the member may see, like everywhere else (404 otherwise).
        student_get(district=request.district, membership=request.membership, student_id=item.student_id)
    return item


def _meeting_schools(request):
    """Schools a member may hold meetings for: the ones whose meetings they can see (visible_meetings)."""
    schools = School.objects.filter(district=request.district)
    if request.membership.role in SEES_WHOLE_DISTRICT:
        return schools
    return schools.filter(pk__in=request.membership.district_schools().values("id"))


def _visible_action_items(request):
    """Action items of the meetings the member sees, and every item the member owns."""
    meetings = selectors.visible_meetings(district=request.district, membership=request.membership)
    return ActionItem.objects.filter(district=request.district).filter(
        among(meetings, "meeting_id") | Q(owner=request.user)
    )


# --- scoped relation fields -------------------------------------------------------------------


class MemberField(_ScopedField):
    """An active member of the request's district (an action item's owner, a staff attendee)."""

    model = User

    def scoped(self, request):
        return User.objects.filter(memberships__district=request.district, memberships__is_active=True)


class MeetingSchoolField(_ScopedField):
    model = School

    def scoped(self, request):
        return _meeting_schools(request)


class VisibleGuardianField(_ScopedField):
    model = Guardian

    def scoped(self, request):
        students = visible_students(district=request.district, membership=request.membership)
        return Guardian.objects.filter(district=request.district, student_id__in=students.values("pk"))


# --- serializers ------------------------------------------------------------------------------
# One serializer per object serves as input and output where both exist, so each
# choice set appears in one schema component (drf-spectacular names enums without
# collisions). Status fields are plain strings for the same reason: `status` is
# already Plan.Status in the interventions API.


class FidelityGateSerializer(serializers.Serializer):
    blocked = serializers.BooleanField(
        help_text="True while the data cannot show non-response (RULES.md 3.3): "
        "intensify and refer need an override reason."
    )
    why = serializers.ListField(
        child=serializers.CharField(),
        help_text="The fidelity and minimum-sessions findings that block, in plain language.",
    )


class ActionItemSerializer(serializers.ModelSerializer):
    owner = MemberField(help_text="A member of the district.")
    owner_name = serializers.SerializerMethodField()
    student = serializers.SerializerMethodField(help_text="The student of the decision the item belongs to.")
    student_name = serializers.SerializerMethodField()

    class Meta:
        model = ActionItem
        fields = [
            "id",
            "meeting",
            "decision",
            "student",
            "student_name",
            "description",
            "owner",
            "owner_name",
            "due_date",
            "done_at",
            "created_by",
        ]
        read_only_fields = ["id", "meeting", "decision", "done_at", "created_by"]

    def get_owner_name(self, action) -> str:
        return action.owner.get_full_name() or action.owner.username

    def to_representation(self, action):
        data = super().to_representation(action)
        if getattr(action, "hidden", False):
            # The decision's student is not one the reader may see (selectors.action_items_hidden).
            data.update(decision=None, student=None, student_name=HIDDEN_STUDENT, description=HIDDEN_ACTION)
        return data

    def get_student(self, action) -> int | None:
        return action.decision.student_id if action.decision_id else None

    def get_student_name(self, action) -> str | None:
        return action.decision.student.full_name if action.decision_id else None


class DecisionSerializer(serializers.ModelSerializer):
    """The team's decision on one agenda item (PUT body and response)."""

    kind = serializers.ChoiceField(choices=Decision.Kind.choices)
    notes = serializers.CharField(required=False, allow_blank=True, default="")
    version = serializers.IntegerField(
        required=False,
        allow_null=True,
        min_value=1,
        default=None,
        help_text="The version you started from: null (or absent) for a new decision, else the `version` you "
        "read. If someone saved in between, the answer is 409 with the current decision.",
    )
    override_reason = serializers.CharField(
        required=False,
        allow_blank=True,
        default="",
        help_text="Required to intensify or refer while the fidelity gate blocks.",
    )
    new_intervention = LibraryField(
        required=False, allow_null=True, default=None, help_text="Modify: the new intervention (a new plan phase)."
    )
    new_goal_target = serializers.FloatField(
        required=False, allow_null=True, default=None, help_text="Modify: the new goal score (a new plan phase)."
    )
    gate = FidelityGateSerializer(read_only=True, help_text="The fidelity gate when the decision was taken.")
    action_items = ActionItemSerializer(
        many=True,
        required=False,
        max_length=MAX_ACTION_ITEMS,
        help_text=f"Follow-ups, each with a description, an owner and a due date (at most {MAX_ACTION_ITEMS}). "
        "Posted items are added; earlier ones stay.",
    )

    class Meta:
        model = Decision
        fields = [
            "id",
            "item",
            "meeting",
            "student",
            "plan",
            "kind",
            "notes",
            "version",
            "override_reason",
            "new_intervention",
            "new_goal_target",
            "recommendation",
            "gate",
            "policy_label",
            "decided_by",
            "decided_at",
            "applied_at",
            "action_items",
        ]
        read_only_fields = [
            "id",
            "item",
            "meeting",
            "student",
            "plan",
            "recommendation",
            "policy_label",
            "decided_by",
            "decided_at",
            "applied_at",
        ]
        extra_kwargs = {
            "recommendation": {"help_text": "The engine's recommendation when the decision was taken."},
            "applied_at": {"help_text": "When the decision took effect (apply, or the meeting's close)."},
        }


class AgendaReasonSerializer(serializers.Serializer):
    code = serializers.CharField(
        help_text="review_due, pm_overdue, not_responding, behind_aim_line, ready_to_exit, "
        "low_fidelity, ahead_of_aim_line, or staff (added by hand)."
    )
    text = serializers.CharField()


class AgendaItemSerializer(serializers.ModelSerializer):
    hidden = serializers.BooleanField(
        read_only=True,
        default=False,
        help_text="True for a student you may not see: listed as another student, with no name, reasons or decision.",
    )
    student_name = serializers.CharField(source="student.full_name", read_only=True)
    status = serializers.CharField(read_only=True, help_text="open, decided or skipped (not discussed).")
    reasons = AgendaReasonSerializer(many=True, read_only=True, help_text="Why the student is on the agenda.")
    decision = DecisionSerializer(source="api_decision", read_only=True, allow_null=True)

    class Meta:
        model = AgendaItem
        fields = [
            "id",
            "position",
            "hidden",
            "student",
            "student_name",
            "area",
            "plan",
            "status",
            "reasons",
            "added_by",
            "decision",
        ]
        read_only_fields = fields

    def to_representation(self, item):
        if getattr(item, "hidden", False):
            return {
                "id": item.pk,
                "position": item.position,
                "hidden": True,
                "student": None,
                "student_name": HIDDEN_STUDENT,
                "area": "",
                "plan": None,
                "status": item.status,
                "reasons": [],
                "added_by": None,
                "decision": None,
            }
        data = super().to_representation(item)
        data["hidden"] = False
        return data


class AgendaAddSerializer(serializers.Serializer):
    student = VisibleStudentField(help_text="A student of the meeting's school.")
    reason = serializers.CharField(
        max_length=300,
        allow_blank=True,
        help_text="Why the student is on the agenda, e.g. the parent asked for a meeting.",
    )
    area = serializers.CharField(
        max_length=40,
        required=False,
        allow_blank=True,
        default="",
        help_text="The area; by default that of the student's active plan.",
    )

    def validate_student(self, student):
        meeting = self.context["meeting"]
        if student.school_id != meeting.school_id or student.exit_date is not None:
            raise serializers.ValidationError(f"{student.full_name} is not a current student of {meeting.school.name}.")
        return student


class AgendaMoveSerializer(serializers.Serializer):
    direction = serializers.ChoiceField(choices=[("up", "up"), ("down", "down")])


class AgendaBuiltSerializer(serializers.Serializer):
    added = serializers.ListField(child=serializers.IntegerField(), help_text="Ids of the items added now.")
    items = AgendaItemSerializer(many=True, help_text="The whole agenda.")


class TierHistorySerializer(serializers.ModelSerializer):
    class Meta:
        model = TierPlacement
        fields = ["id", "area", "tier", "start_date", "end_date", "reason", "meeting", "decided_by"]
        read_only_fields = fields


class AgendaItemDetailSerializer(AgendaItemSerializer):
    """One agenda item with the panel the team sees (meetings.selectors.item_panel)."""

    plan_detail = PlanSerializer(source="api_plan", read_only=True, allow_null=True)
    evaluation = EvaluationSerializer(
        source="api_result",
        read_only=True,
        allow_null=True,
        help_text="The engine's recommendation and findings as of the meeting date; null without an active plan.",
    )
    gate = FidelityGateSerializer(source="api_gate", read_only=True)
    tier_history = TierHistorySerializer(source="api_history", many=True, read_only=True)
    past_decisions = DecisionSerializer(source="api_past", many=True, read_only=True)

    class Meta(AgendaItemSerializer.Meta):
        fields = [
            *AgendaItemSerializer.Meta.fields,
            "plan_detail",
            "evaluation",
            "gate",
            "tier_history",
            "past_decisions",
        ]
        read_only_fields = fields


class AttendeeSerializer(serializers.ModelSerializer):
    kind = serializers.ChoiceField(choices=MeetingAttendee.Kind.choices)
    user = MemberField(required=False, allow_null=True, default=None, help_text="Staff: the member.")
    guardian = VisibleGuardianField(
        required=False, allow_null=True, default=None, help_text="A parent or guardian of a student you may see."
    )
    student = VisibleStudentField(required=False, allow_null=True, default=None)
    name = serializers.CharField(
        max_length=200,
        required=False,
        allow_blank=True,
        default="",
        help_text="By default the member's, guardian's or student's name.",
    )
    role = serializers.CharField(max_length=100, required=False, allow_blank=True, default="")

    class Meta:
        model = MeetingAttendee
        fields = ["id", "kind", "user", "guardian", "student", "name", "role", "attended"]
        read_only_fields = ["id", "attended"]

    def to_representation(self, attendee):
        data = super().to_representation(attendee)
        if getattr(attendee, "hidden", False):
            data.update(guardian=None, student=None, name=HIDDEN_FAMILY, role="")
        return data

    def validate(self, attrs):
        # Who attends as what: a guardian attends as a guardian, and so on.
        errors = {}
        for field, kind in (("user", "staff"), ("guardian", "guardian"), ("student", "student")):
            if attrs.get(field) is not None and attrs["kind"] != kind:
                errors[field] = f"Only an attendee of kind “{kind}” can name a {field}."
        if errors:
            raise serializers.ValidationError(errors)
        return attrs


class AttendanceSerializer(serializers.Serializer):
    present = serializers.ListField(
        child=serializers.IntegerField(),
        max_length=MAX_ATTENDEES,
        allow_empty=True,
        help_text="Ids of the attendees who attended; the others are marked absent.",
    )


class MeetingSerializer(serializers.ModelSerializer):
    school_name = serializers.CharField(source="school.name", read_only=True)
    status = serializers.CharField(read_only=True, help_text="scheduled, in_progress or closed.")
    item_count = serializers.IntegerField(source="api_item_count", read_only=True)
    decided_count = serializers.IntegerField(source="api_decided_count", read_only=True)

    class Meta:
        model = Meeting
        fields = [
            "id",
            "school",
            "school_name",
            "team_type",
            "starts_at",
            "location",
            "purpose",
            "status",
            "series",
            "policy_label",
            "created_by",
            "closed_at",
            "closed_by",
            "item_count",
            "decided_count",
        ]
        read_only_fields = fields


class MeetingDetailSerializer(MeetingSerializer):
    attendees = AttendeeSerializer(source="api_attendees", many=True, read_only=True)
    items = AgendaItemSerializer(source="api_items", many=True, read_only=True)
    action_items = ActionItemSerializer(source="api_actions", many=True, read_only=True)

    class Meta(MeetingSerializer.Meta):
        fields = [*MeetingSerializer.Meta.fields, "attendees", "items", "action_items"]
        read_only_fields = fields


class MeetingCreateSerializer(serializers.Serializer):
    school = MeetingSchoolField(help_text="A school whose meetings you can see.")
    team_type = serializers.ChoiceField(choices=TeamType.choices)
    starts_at = serializers.DateTimeField()
    location = serializers.CharField(max_length=200, required=False, allow_blank=True, default="")
    purpose = serializers.CharField(max_length=300, required=False, allow_blank=True, default="")
    occurrences = serializers.IntegerField(
        min_value=1, max_value=40, required=False, default=1, help_text="More than one makes a recurring series."
    )
    every_weeks = serializers.IntegerField(
        min_value=1,
        max_value=20,
        required=False,
        allow_null=True,
        default=None,
        help_text="Weeks between the meetings of a series.",
    )


DECISION_CONFLICT = inline_serializer(
    "DecisionConflict",
    fields={
        "detail": serializers.CharField(help_text="Who saved meanwhile; nothing of yours was saved."),
        "decision": DecisionSerializer(allow_null=True, help_text="The decision as it is now (its current version)."),
    },
)
MEETING_CLOSED = inline_serializer(
    "MeetingClosed",
    fields={
        "applied": serializers.IntegerField(help_text="Decisions that took effect on closing."),
        "meeting": MeetingSerializer(),
    },
)


# --- reads ------------------------------------------------------------------------------------


def _action_items_query():
    return ActionItem.objects.select_related("owner", "decision__student").order_by("due_date", "id")


def _with_action_items(decisions) -> None:
    """Each decision's action items in one query, whatever the number of decisions."""
    prefetch_related_objects(
        [d for d in decisions if d is not None], Prefetch("action_items", queryset=_action_items_query())
    )


def _decision_of(item: AgendaItem) -> Decision | None:
    try:
        return item.decision
    except Decision.DoesNotExist:
        return None


def _agenda(request, meeting: Meeting) -> list[AgendaItem]:
    order = _choice_param(request.query_params, "order", selectors.AGENDA_ORDERS) or "position"
    items = selectors.agenda(district=request.district, meeting=meeting, membership=request.membership, order=order)
    for item in items:
        item.api_decision = None if item.hidden else _decision_of(item)
    _with_action_items(item.api_decision for item in items)
    return items


def _current_decision(request, item: AgendaItem) -> Decision | None:
    decision = Decision.objects.filter(district=request.district, item=item).first()
    _with_action_items([decision])
    return decision


def _agenda_data(request, meeting: Meeting, what: str) -> list[dict]:
    items = _agenda(request, meeting)
    access_log.record(
        request._request, action="api_read", what=what, student_ids=[i.student_id for i in items if not i.hidden]
    )
    return AgendaItemSerializer(items, many=True).data


def _attendee_student_ids(request, rows: list[MeetingAttendee]) -> set[int]:
    ids = {a.student_id for a in rows if a.student_id}
    guardians = [a.guardian_id for a in rows if a.guardian_id]
    if guardians:
        ids.update(
            Guardian.objects.filter(district=request.district, pk__in=guardians).values_list("student_id", flat=True)
        )
    return ids


def _attendees_data(request, meeting: Meeting) -> list[dict]:
    rows = selectors.attendees(district=request.district, meeting=meeting, membership=request.membership)
    student_ids = _attendee_student_ids(request, [a for a in rows if not a.hidden])
    if student_ids:
        access_log.record(request._request, action="api_read", what="meeting attendees", student_ids=student_ids)
    return AttendeeSerializer(rows, many=True).data


def _meeting_detail(request, meeting: Meeting) -> dict:
    items = _agenda(request, meeting)
    meeting.api_items = items
    meeting.api_item_count = len(items)
    meeting.api_decided_count = sum(item.status == AgendaItem.Status.DECIDED for item in items)
    meeting.api_attendees = selectors.attendees(
        district=request.district, meeting=meeting, membership=request.membership
    )
    meeting.api_actions = list(_action_items_query().filter(district=request.district, meeting=meeting))
    selectors.action_items_hidden(district=request.district, membership=request.membership, actions=meeting.api_actions)
    student_ids = {i.student_id for i in items if not i.hidden}
    student_ids |= _attendee_student_ids(request, [a for a in meeting.api_attendees if not a.hidden])
    student_ids |= {a.decision.student_id for a in meeting.api_actions if a.decision_id and not a.hidden}
    access_log.record(request._request, action="api_read", what="meeting", student_ids=student_ids)
    return MeetingDetailSerializer(meeting).data


def _decision_data(request, decision: Decision) -> dict:
    access_log.record(request._request, action="api_read", what="meeting decision", student_ids=[decision.student_id])
    return DecisionSerializer(decision).data


def _meeting_summary(request, meeting_id: int) -> dict:
    meeting = _counted(
        selectors.visible_meetings(district=request.district, membership=request.membership).select_related("school")
    ).get(pk=meeting_id)
    return MeetingSerializer(meeting).data


def _counted(meetings):
    return meetings.annotate(
        api_item_count=Count("items", distinct=True),
        api_decided_count=Count("items", filter=Q(items__status=AgendaItem.Status.DECIDED), distinct=True),
    )


def _choice_param(params, name: str, choices) -> str | None:
    value = params.get(name) or None
    if value is not None and value not in choices:
        raise serializers.ValidationError({name: f"One of {', '.join(choices)}."})
    return value


# --- meetings ---------------------------------------------------------------------------------


@extend_schema(
    parameters=[
        OpenApiParameter("school", int),
        OpenApiParameter("status", str, enum=list(Meeting.Status.values)),
        OpenApiParameter("team_type", str, enum=list(TeamType.values)),
        OpenApiParameter("date_from", dt.date, description="Meetings on or after this date."),
        OpenApiParameter("date_to", dt.date, description="Meetings on or before this date."),
    ]
)
class MeetingListCreate(generics.ListCreateAPIView):
    """The meetings of the schools you see, newest first (no student data: counts only)."""

    serializer_class = MeetingSerializer

    def get_queryset(self):
        params = self.request.query_params
        meetings = selectors.visible_meetings(district=self.request.district, membership=self.request.membership)
        school = _param_int(params, "school")
        status_ = _choice_param(params, "status", Meeting.Status.values)
        team_type = _choice_param(params, "team_type", TeamType.values)
        date_from, date_to = _param_date(params, "date_from"), _param_date(params, "date_to")
        if school is not None:
            meetings = meetings.filter(school_id=school)
        if status_:
            meetings = meetings.filter(status=status_)
        if team_type:
            meetings = meetings.filter(team_type=team_type)
        if date_from is not None:
            meetings = meetings.filter(starts_at__date__gte=date_from)
        if date_to is not None:
            meetings = meetings.filter(starts_at__date__lte=date_to)
        return _counted(meetings.select_related("school")).order_by("-starts_at", "-id")

    @extend_schema(
        request=MeetingCreateSerializer,
        responses={201: MeetingSerializer(many=True)},
        description="One meeting, or a series: `occurrences` meetings `every_weeks` weeks apart. "
        "The answer lists the meetings created.",
    )
    def post(self, request):
        # The role first (403), then the body (400: a school the member does not cover is not a choice).
        if not any(allowed(request.membership, "may_create_meeting", school) for school in _meeting_schools(request)):
            require(request, "may_create_meeting", None)
        serializer = MeetingCreateSerializer(data=request.data, context={"request": request})
        serializer.is_valid(raise_exception=True)
        require(request, "may_create_meeting", serializer.validated_data["school"])
        created = services.meeting_create(district=request.district, actor=request.user, **serializer.validated_data)
        meetings = _counted(
            Meeting.objects.filter(district=request.district, pk__in=[m.pk for m in created]).select_related("school")
        ).order_by("starts_at", "id")
        return Response(MeetingSerializer(meetings, many=True).data, status=status.HTTP_201_CREATED)


class MeetingDetail(generics.GenericAPIView):
    serializer_class = MeetingDetailSerializer

    @extend_schema(
        description="The meeting with its attendees, its agenda (each item's reasons and decision) and "
        "its action items. Start and close it with the `start/` and `close/` operations."
    )
    def get(self, request, meeting_id: int):
        return Response(_meeting_detail(request, _meeting(request, meeting_id)))


class MeetingStart(generics.GenericAPIView):
    serializer_class = MeetingSerializer

    @extend_schema(
        request=None,
        responses={200: MeetingSerializer},
        description="Mark a scheduled meeting as in progress (a meeting in progress stays so).",
    )
    def post(self, request, meeting_id: int):
        meeting = _meeting(request, meeting_id)
        _require_writable(request, meeting)
        services.meeting_start(district=request.district, actor=request.user, meeting=meeting)
        return Response(_meeting_summary(request, meeting.pk))


class MeetingCloseSerializer(serializers.Serializer):
    carry_over = serializers.BooleanField(
        required=False,
        default=False,
        help_text="Put the undiscussed items on the next meeting of the series (created when there is none); "
        "else they are marked “not discussed”.",
    )
    versions = serializers.DictField(
        child=serializers.IntegerField(min_value=1),
        required=False,
        allow_null=True,
        default=None,
        help_text="The decisions you reviewed, {decision id: version} (the preview's `versions`). When a decision "
        "changed or appeared since, nothing is applied and the answer is 409.",
    )

    def validate_versions(self, value):
        if value is not None and not all(str(k).isdigit() for k in value):
            raise serializers.ValidationError("Keys are decision ids.")
        return value


class LetterCountSerializer(serializers.Serializer):
    key = serializers.CharField(help_text="The policy's notice key.")
    title = serializers.CharField()
    trigger = serializers.CharField()
    count = serializers.IntegerField(help_text="Students the letter goes out for.")


class ClosePreviewSerializer(serializers.Serializer):
    decisions = serializers.ListField(child=serializers.IntegerField(), help_text="Decisions that will take effect.")
    letters = LetterCountSerializer(many=True, help_text="Letters the policy queues, by notice.")
    undiscussed = serializers.ListField(child=serializers.IntegerField(), help_text="Agenda items not discussed.")
    next_meeting = serializers.IntegerField(allow_null=True, help_text="Where carried items go (null: a new one).")
    versions = serializers.DictField(child=serializers.IntegerField(), help_text="Send back to close.")


class MeetingClose(generics.GenericAPIView):
    serializer_class = MeetingCloseSerializer

    @extend_schema(
        responses={200: ClosePreviewSerializer},
        description="What closing will do: the decisions that take effect, the letters the policy queues "
        "(count by notice), the undiscussed items and the meeting they would be carried to.",
    )
    def get(self, request, meeting_id: int):
        # A read (ids and counts only): whoever sees the meeting may see what closing it would do.
        meeting = _meeting(request, meeting_id)
        preview = services.meeting_close_preview(district=request.district, meeting=meeting)
        return Response(
            {
                "decisions": [d.pk for d in preview["decisions"]],
                "letters": preview["letters"],
                "undiscussed": [i.pk for i in preview["undiscussed"]],
                "next_meeting": preview["next_meeting"].pk if preview["next_meeting"] else None,
                "versions": {str(k): v for k, v in preview["versions"].items()},
            }
        )

    @extend_schema(
        request=MeetingCloseSerializer,
        responses={200: MEETING_CLOSED, 409: OpenApiResponse(description="A decision changed since `versions`.")},
        description="Close the meeting: every decision not yet applied takes effect (placements, plans, "
        "parent notices), all or none; open items become “not discussed”, or go to the next meeting with "
        "`carry_over`. A closed meeting answers 400.",
    )
    def post(self, request, meeting_id: int):
        meeting = _meeting(request, meeting_id)
        _require_writable(request, meeting, "may_close_meeting")
        serializer = MeetingCloseSerializer(data=request.data or {})
        serializer.is_valid(raise_exception=True)
        try:
            applied = services.meeting_close(
                district=request.district,
                actor=request.user,
                meeting=meeting,
                carry_over=serializer.validated_data["carry_over"],
                expected_versions=serializer.validated_data["versions"],
            )
        except DjangoValidationError as error:
            if getattr(error, "code", None) == "conflict":
                return Response({"detail": " ".join(error.messages)}, status=status.HTTP_409_CONFLICT)
            raise
        return Response({"applied": applied, "meeting": _meeting_summary(request, meeting.pk)})


# --- the agenda -------------------------------------------------------------------------------


class AgendaListCreate(generics.GenericAPIView):
    serializer_class = AgendaItemSerializer
    pagination_class = None

    @extend_schema(responses=AgendaItemSerializer(many=True))
    def get(self, request, meeting_id: int):
        meeting = _meeting(request, meeting_id)
        return Response(_agenda_data(request, meeting, "meeting agenda"))

    @extend_schema(
        request=AgendaAddSerializer,
        responses={201: AgendaItemSerializer},
        description="Put a student on the agenda, with the reason (a parent's request, a teacher's concern ...).",
    )
    def post(self, request, meeting_id: int):
        meeting = _meeting(request, meeting_id)
        _require_writable(request, meeting, "may_build_agenda")
        serializer = AgendaAddSerializer(data=request.data, context={"request": request, "meeting": meeting})
        serializer.is_valid(raise_exception=True)
        item = services.agenda_add(
            district=request.district, actor=request.user, meeting=meeting, **serializer.validated_data
        )
        item.api_decision = None
        access_log.record(
            request._request, action="api_read", what="meeting agenda item", student_ids=[item.student_id]
        )
        return Response(AgendaItemSerializer(item).data, status=status.HTTP_201_CREATED)


class AgendaBuild(generics.GenericAPIView):
    serializer_class = AgendaBuiltSerializer

    @extend_schema(
        request=None,
        responses={200: AgendaBuiltSerializer},
        description="Add every student the district's rules say is due, each with why. Safe to repeat: "
        "students already on the agenda are not added twice.",
    )
    def post(self, request, meeting_id: int):
        meeting = _meeting(request, meeting_id)
        _require_writable(request, meeting, "may_build_agenda")
        added = services.agenda_build(district=request.district, actor=request.user, meeting=meeting)
        return Response(
            {"added": [item.pk for item in added], "items": _agenda_data(request, meeting, "meeting agenda")}
        )


class AgendaItemDetail(generics.GenericAPIView):
    serializer_class = AgendaItemDetailSerializer

    @extend_schema(
        description="One agenda item with the team's panel: the plan, the engine's recommendation and "
        "findings, the fidelity gate, the tier history and the student's past decisions."
    )
    def get(self, request, meeting_id: int, item_id: int):
        meeting = _meeting(request, meeting_id)
        item = _item(request, meeting, item_id)
        panel = selectors.item_panel(district=request.district, item=item)
        result = panel["result"]
        item.api_result, item.api_plan = result, result.plan if result else None
        item.api_gate = panel["gate"]
        item.api_history, item.api_past = panel["history"], panel["past_decisions"]
        item.api_decision = panel["decision"]
        _with_action_items([item.api_decision, *item.api_past])
        access_log.record(
            request._request, action="api_read", what="meeting agenda item", student_ids=[item.student_id]
        )
        return Response(AgendaItemDetailSerializer(item).data)


class AgendaItemMove(generics.GenericAPIView):
    serializer_class = AgendaMoveSerializer

    @extend_schema(
        request=AgendaMoveSerializer,
        responses={200: AgendaItemSerializer(many=True)},
        description="Swap the item with its neighbour; the answer is the agenda in its new order.",
    )
    def post(self, request, meeting_id: int, item_id: int):
        meeting = _meeting(request, meeting_id)
        item = _item(request, meeting, item_id, student_visible=False)
        _require_writable(request, meeting, "may_build_agenda")
        serializer = AgendaMoveSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        services.agenda_move(
            district=request.district,
            meeting=meeting,
            item=item,
            direction=-1 if serializer.validated_data["direction"] == "up" else 1,
        )
        return Response(_agenda_data(request, meeting, "meeting agenda"))


# --- decisions --------------------------------------------------------------------------------


def _is_conflict(error: DjangoValidationError) -> bool:
    """decision_record marks a concurrent save with the code "conflict"."""
    return hasattr(error, "error_dict") and any(e.code == "conflict" for e in error.error_dict.get("__all__", []))


class DecisionDetail(generics.GenericAPIView):
    serializer_class = DecisionSerializer

    @extend_schema(responses={200: DecisionSerializer, 404: OpenApiResponse(description="No decision yet.")})
    def get(self, request, meeting_id: int, item_id: int):
        meeting = _meeting(request, meeting_id)
        item = _item(request, meeting, item_id)
        decision = _current_decision(request, item)
        if decision is None:
            raise NotFound("No decision has been recorded for this agenda item yet.")
        return Response(_decision_data(request, decision))

    @extend_schema(
        request=DecisionSerializer,
        responses={
            200: DecisionSerializer,
            201: DecisionSerializer,
            409: OpenApiResponse(
                DECISION_CONFLICT, description="Someone saved this decision meanwhile; nothing was saved."
            ),
        },
        description="Record the decision (201) or change it from the `version` you read (200). Intensify and "
        "refer are refused while the fidelity gate blocks (400 on `override_reason`, with why) unless "
        "an `override_reason` is given. A stale or missing `version` answers 409 with the current "
        "decision. It takes effect when the meeting closes, or at once with `apply/`.",
    )
    def put(self, request, meeting_id: int, item_id: int):
        meeting = _meeting(request, meeting_id)
        item = _item(request, meeting, item_id)
        _require_writable(request, meeting, "may_decide_in_meeting")
        current = Decision.objects.filter(district=request.district, item=item).only("applied_at").first()
        if current is not None and current.applied_at is not None:
            raise serializers.ValidationError(
                {"non_field_errors": ["This decision has already taken effect; it can no longer change."]}
            )
        serializer = DecisionSerializer(data=request.data, context={"request": request})
        serializer.is_valid(raise_exception=True)
        values = dict(serializer.validated_data)
        actions = [(a["description"], a["owner"], a["due_date"]) for a in values.pop("action_items", [])]
        try:
            decision = services.decision_record(
                district=request.district, actor=request.user, item=item, action_items=actions, **values
            )
        except DjangoValidationError as error:
            if not _is_conflict(error):
                raise
            now = _current_decision(request, item)
            if now is not None:
                access_log.record(
                    request._request, action="api_read", what="meeting decision", student_ids=[now.student_id]
                )
            return Response(
                {
                    "detail": " ".join(error.message_dict["__all__"]),
                    "decision": DecisionSerializer(now).data if now else None,
                },
                status=status.HTTP_409_CONFLICT,
            )
        created = values["version"] is None
        return Response(
            _decision_data(request, _current_decision(request, item) or decision),
            status=status.HTTP_201_CREATED if created else status.HTTP_200_OK,
        )


class DecisionApply(generics.GenericAPIView):
    serializer_class = DecisionSerializer

    @extend_schema(
        request=None,
        responses={200: DecisionSerializer},
        description="Make the decision take effect now (placements, plans, parent notices) instead of "
        "when the meeting closes. Applying twice does nothing more.",
    )
    def post(self, request, meeting_id: int, item_id: int):
        meeting = _meeting(request, meeting_id)
        item = _item(request, meeting, item_id)
        _require_writable(request, meeting, "may_decide_in_meeting")
        decision = Decision.objects.filter(district=request.district, item=item).first()
        if decision is None:
            raise serializers.ValidationError({"non_field_errors": ["Record a decision first."]})
        services.decision_apply(district=request.district, actor=request.user, decision=decision)
        return Response(_decision_data(request, _current_decision(request, item)))


# --- attendees --------------------------------------------------------------------------------


class AttendeeListCreate(generics.GenericAPIView):
    serializer_class = AttendeeSerializer
    pagination_class = None

    @extend_schema(responses=AttendeeSerializer(many=True))
    def get(self, request, meeting_id: int):
        meeting = _meeting(request, meeting_id)
        return Response(_attendees_data(request, meeting))

    @extend_schema(request=AttendeeSerializer, responses={201: AttendeeSerializer})
    def post(self, request, meeting_id: int):
        meeting = _meeting(request, meeting_id)
        _require_writable(request, meeting)
        serializer = AttendeeSerializer(data=request.data, context={"request": request})
        serializer.is_valid(raise_exception=True)
        attendee = services.attendee_add(
            district=request.district, actor=request.user, meeting=meeting, **serializer.validated_data
        )
        student_ids = _attendee_student_ids(request, [attendee])
        if student_ids:
            access_log.record(request._request, action="api_read", what="meeting attendee", student_ids=student_ids)
        return Response(AttendeeSerializer(attendee).data, status=status.HTTP_201_CREATED)


class MeetingAttendance(generics.GenericAPIView):
    serializer_class = AttendanceSerializer

    @extend_schema(
        request=AttendanceSerializer,
        responses={200: AttendeeSerializer(many=True)},
        description="Record who attended: the attendees named attended, the others did not.",
    )
    def post(self, request, meeting_id: int):
        meeting = _meeting(request, meeting_id)
        _require_writable(request, meeting)
        serializer = AttendanceSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        present = set(serializer.validated_data["present"])
        known = set(
            MeetingAttendee.objects.filter(district=request.district, meeting=meeting).values_list("pk", flat=True)
        )
        if present - known:
            unknown = ", ".join(str(pk) for pk in sorted(present - known))
            raise serializers.ValidationError({"present": [f"Not attendees of this meeting: {unknown}."]})
        services.attendance_set(district=request.district, meeting=meeting, present_ids=present)
        return Response(_attendees_data(request, meeting))


# --- action items -----------------------------------------------------------------------------


@extend_schema(
    parameters=[
        OpenApiParameter("owner", str, description="`me`, or a member's id."),
        OpenApiParameter("open", bool, description="Only items not done yet."),
        OpenApiParameter("meeting", int),
    ]
)
class ActionItemList(generics.ListAPIView):
    """Action items of the meetings you see and those you own, by due date."""

    serializer_class = ActionItemSerializer

    def get_queryset(self):
        params = self.request.query_params
        rows = _visible_action_items(self.request)
        owner = params.get("owner", "")
        if owner == "me":
            rows = rows.filter(owner=self.request.user)
        elif owner:
            rows = rows.filter(owner_id=_param_int(params, "owner"))
        if params.get("open") in ("1", "true"):
            rows = rows.filter(done_at__isnull=True)
        meeting = _param_int(params, "meeting")
        if meeting is not None:
            rows = rows.filter(meeting_id=meeting)
        return rows.select_related("owner", "decision__student").order_by("due_date", "id")

    def list(self, request, *args, **kwargs):
        page = self.paginate_queryset(self.get_queryset())
        selectors.action_items_hidden(district=request.district, membership=request.membership, actions=page)
        access_log.record(
            request._request,
            action="api_read",
            what="meeting action items",
            student_ids=[a.decision.student_id for a in page if a.decision_id and not a.hidden],
        )
        return self.get_paginated_response(ActionItemSerializer(page, many=True).data)


class ActionItemDone(generics.GenericAPIView):
    serializer_class = ActionItemSerializer
    done = True

    @extend_schema(
        request=None,
        responses={200: ActionItemSerializer},
        description="Mark the action item done (its owner, or a member of the team). Also after the "
        "meeting closed: follow-ups are done later. Doing it twice keeps the first time.",
    )
    def post(self, request, action_id: int):
        try:
            action = _visible_action_items(request).select_related("owner", "decision__student").get(pk=action_id)
        except ActionItem.DoesNotExist:
            raise NotFound from None
        require(request, "may_mark_action_done", action)
        services.action_item_done(district=request.district, actor=request.user, action=action, done=self.done)
        action.refresh_from_db(fields=["done_at"])
        selectors.action_items_hidden(district=request.district, membership=request.membership, actions=[action])
        if action.decision_id and not action.hidden:
            access_log.record(
                request._request,
                action="api_read",
                what="meeting action item",
                student_ids=[action.decision.student_id],
            )
        return Response(ActionItemSerializer(action).data)


class ActionItemUndo(ActionItemDone):
    done = False

    @extend_schema(
        request=None,
        responses={200: ActionItemSerializer},
        description="Mark the action item not done again (a mistaken “done”): who may mark it done.",
    )
    def post(self, request, action_id: int):
        return super().post(request, action_id)
