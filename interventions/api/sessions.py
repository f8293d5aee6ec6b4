"""Session logs API: one session, many in bulk, edits and deletes (sessions/...)."""

from __future__ import annotations

import datetime as dt

from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import transaction
from django.db.models import Exists, OuterRef, Prefetch, Q
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema, inline_serializer
from rest_framework import generics, serializers, status
from rest_framework.exceptions import PermissionDenied
from rest_framework.response import Response

from interventions.api.common import MAX_BULK_SESSIONS, _plan_ids, _student_ids_of_sessions
from interventions.api.fields import VisibleGroupField, VisiblePlanField
from interventions.models import Attendance, InterventionSession, Probe
from interventions.selectors import session_get, visible_groups, visible_plans
from interventions.services import session_delete, session_log, session_update
from mtss import access_log
from mtss.api_params import param_date as _param_date
from mtss.api_params import param_int as _param_int
from mtss.api_permissions import require
from mtss.db.colocation import among

# --- sessions -------------------------------------------------------------------------------


class SessionSerializer(serializers.ModelSerializer):
    attendance = serializers.SerializerMethodField(help_text="Plan id -> attendance status.")
    probes = serializers.SerializerMethodField(help_text="Plan id -> probe score taken in this session.")

    class Meta:
        model = InterventionSession
        fields = [
            "id",
            "group",
            "plan",
            "provider",
            "date",
            "minutes",
            "note",
            "attendance",
            "probes",
            "logged_by",
            "created_at",
            "updated_at",
        ]
        read_only_fields = fields

    def get_attendance(self, session) -> dict[str, str]:
        return {str(row.plan_id): row.status for row in session.attendance.all()}

    def get_probes(self, session) -> dict[str, float]:
        return {str(probe.plan_id): probe.score for probe in session.probes.all()}


class SessionInputSerializer(serializers.Serializer):
    group = VisibleGroupField(required=False, allow_null=True, help_text="The group; give a group or a plan.")
    plan = VisiblePlanField(required=False, allow_null=True, help_text="A one-to-one plan; give a group or a plan.")
    date = serializers.DateField()
    minutes = serializers.IntegerField(help_text="0 only when the session did not happen.")
    attendance = serializers.DictField(
        child=serializers.ChoiceField(choices=Attendance.Status.choices),
        required=False,
        default=dict,
        help_text="Plan id -> status; members not named were present.",
    )
    probes = serializers.DictField(
        child=serializers.FloatField(allow_null=True),
        required=False,
        default=dict,
        help_text="Plan id -> probe score taken in this session.",
    )
    note = serializers.CharField(required=False, allow_blank=True, default="")

    def validate(self, attrs):
        if (attrs.get("group") is None) == (attrs.get("plan") is None):
            raise serializers.ValidationError({"group": "Give a group or a plan (one of them)."})
        attrs["attendance"] = _plan_ids(attrs.get("attendance"), "attendance")
        attrs["probes"] = _plan_ids(attrs.get("probes"), "probes")
        return attrs


class SessionUpdateSerializer(serializers.Serializer):
    date = serializers.DateField(required=False, help_text="Move the session (and its probes) to this date.")
    minutes = serializers.IntegerField(required=False)
    probes = serializers.DictField(
        child=serializers.FloatField(allow_null=True),
        required=False,
        help_text="Plan id -> the probe score taken in this session; null removes it; others stay as they are.",
    )
    attendance = serializers.DictField(
        child=serializers.ChoiceField(choices=Attendance.Status.choices),
        required=False,
        help_text="Plan id -> status; others stay as they are.",
    )
    note = serializers.CharField(required=False, allow_blank=True)

    def validate(self, attrs):
        if "attendance" in attrs:
            attrs["attendance"] = _plan_ids(attrs["attendance"], "attendance")
        if "probes" in attrs:
            attrs["probes"] = _plan_ids(attrs["probes"], "probes")
        return attrs


class SessionDeleteSerializer(serializers.Serializer):
    reason = serializers.CharField(allow_blank=True, help_text="Why it is deleted; kept in the audit trail.")


def _sessions_queryset(request):
    groups = visible_groups(district=request.district, membership=request.membership)
    plans = visible_plans(district=request.district, membership=request.membership)
    return (
        InterventionSession.objects.filter(district=request.district)
        .filter(among(groups, "group_id") | among(plans, "plan_id"))
        .select_related("group", "plan__group")
        .prefetch_related(
            Prefetch("attendance", queryset=Attendance.objects.select_related("plan").order_by("plan_id")),
            Prefetch("probes", queryset=Probe.objects.order_by("plan_id", "id")),
        )
    )


def _session_full(request, session_id: int) -> InterventionSession:
    return _sessions_queryset(request).get(pk=session_id)


def _log_one(request, data) -> InterventionSession:
    """Validate one posted session, check the role, log it; raises DRF or Django errors."""
    serializer = SessionInputSerializer(data=data, context={"request": request})
    serializer.is_valid(raise_exception=True)
    values = serializer.validated_data
    group, plan = values.get("group"), values.get("plan")
    # The serializer lets exactly one of group and plan through.
    if group is not None:
        require(request, "may_log_for_group", group)
    else:
        require(request, "may_log_for_plan", plan)
    return session_log(
        district=request.district,
        actor=request.user,
        group=group,
        plan=plan,
        date=values["date"],
        minutes=values["minutes"],
        attendance=values["attendance"],
        probe_scores=values["probes"],
        note=values["note"],
    )


@extend_schema(
    parameters=[
        OpenApiParameter("group", int),
        OpenApiParameter("plan", int),
        OpenApiParameter("date_from", dt.date),
        OpenApiParameter("date_to", dt.date),
    ]
)
class SessionListCreate(generics.ListCreateAPIView):
    serializer_class = SessionSerializer

    def get_queryset(self):
        params = self.request.query_params
        sessions = _sessions_queryset(self.request)
        group, plan = _param_int(params, "group"), _param_int(params, "plan")
        date_from, date_to = _param_date(params, "date_from"), _param_date(params, "date_to")
        if group is not None:
            sessions = sessions.filter(group_id=group)
        if plan is not None:
            attended = Attendance.objects.filter(session_id=OuterRef("pk"), plan_id=plan)
            sessions = sessions.filter(Q(plan_id=plan) | Q(Exists(attended)))
        if date_from is not None:
            sessions = sessions.filter(date__gte=date_from)
        if date_to is not None:
            sessions = sessions.filter(date__lte=date_to)
        return sessions.order_by("-date", "-id")

    def list(self, request, *args, **kwargs):
        queryset = self.filter_queryset(self.get_queryset())
        page = self.paginate_queryset(queryset)
        access_log.record(
            request._request,
            action="api_read",
            what="intervention sessions",
            student_ids=_student_ids_of_sessions(page),
        )
        return self.get_paginated_response(self.get_serializer(page, many=True).data)

    @extend_schema(request=SessionInputSerializer, responses={201: SessionSerializer})
    def post(self, request, *args, **kwargs):
        session = _log_one(request, request.data)
        return Response(SessionSerializer(_session_full(request, session.pk)).data, status=status.HTTP_201_CREATED)


def _error_detail(error) -> dict:
    if isinstance(error, DjangoValidationError):
        return error.message_dict if hasattr(error, "error_dict") else {"non_field_errors": error.messages}
    detail = error.detail
    if isinstance(detail, dict):
        return detail
    return {"non_field_errors": detail if isinstance(detail, list) else [detail]}


BULK_ERRORS = inline_serializer(
    "SessionBulkErrors",
    fields={
        "errors": serializers.ListField(
            child=inline_serializer(
                "SessionBulkError",
                fields={
                    "index": serializers.IntegerField(help_text="Position in the posted list, from 0."),
                    "errors": serializers.DictField(help_text="Field -> messages, as for one session."),
                },
            )
        ),
    },
)


class SessionBulkCreate(generics.GenericAPIView):
    """Log many sessions at once: every one is checked, and either all are logged or none."""

    serializer_class = SessionInputSerializer

    @extend_schema(
        request=SessionInputSerializer(many=True),
        responses={
            201: SessionSerializer(many=True),
            400: OpenApiResponse(BULK_ERRORS, description="Nothing was logged."),
            403: OpenApiResponse(BULK_ERRORS, description="Nothing was logged."),
        },
    )
    def post(self, request):
        items = request.data.get("sessions") if isinstance(request.data, dict) else request.data
        if not isinstance(items, list) or not items:
            raise serializers.ValidationError({"sessions": ["Send a list of sessions."]})
        if len(items) > MAX_BULK_SESSIONS:
            raise serializers.ValidationError({"sessions": [f"At most {MAX_BULK_SESSIONS} sessions at once."]})
        errors, forbidden, created = [], [], []
        with transaction.atomic():
            for index, item in enumerate(items):
                try:
                    with transaction.atomic():
                        created.append(_log_one(request, item))
                except PermissionDenied as error:
                    forbidden.append({"index": index, "errors": {"non_field_errors": [str(error.detail)]}})
                except (serializers.ValidationError, DjangoValidationError) as error:
                    errors.append({"index": index, "errors": _error_detail(error)})
            if errors or forbidden:
                transaction.set_rollback(True)
        if forbidden:
            return Response({"errors": forbidden + errors}, status=status.HTTP_403_FORBIDDEN)
        if errors:
            return Response({"errors": errors}, status=status.HTTP_400_BAD_REQUEST)
        sessions = {s.pk: s for s in _sessions_queryset(request).filter(pk__in=[s.pk for s in created])}
        return Response(
            SessionSerializer([sessions[s.pk] for s in created], many=True).data, status=status.HTTP_201_CREATED
        )


class SessionDetail(generics.GenericAPIView):
    serializer_class = SessionSerializer

    def session(self):
        # session_get answers 404 for a session whose group or plan the user cannot see.
        session = session_get(
            district=self.request.district, membership=self.request.membership, session_id=self.kwargs["session_id"]
        )
        return _session_full(self.request, session.pk)

    def get(self, request, session_id: int):
        session = self.session()
        access_log.record(
            request._request,
            action="api_read",
            what="intervention session",
            student_ids=_student_ids_of_sessions([session]),
        )
        return Response(SessionSerializer(session).data)

    @extend_schema(request=SessionUpdateSerializer, responses={200: SessionSerializer})
    def patch(self, request, session_id: int):
        session = self.session()
        require(request, "may_edit_session", session)
        serializer = SessionUpdateSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        values = serializer.validated_data
        probes = None
        if "probes" in values:
            # Plans not named keep their probe of this session.
            probes = {probe.plan_id: probe.score for probe in session.probes.all() if probe.measure_id is None}
            probes.update(values["probes"])
        session_update(
            district=request.district,
            actor=request.user,
            session=session,
            date=values.get("date"),
            minutes=values.get("minutes", session.minutes),
            attendance=values.get("attendance", {}),
            note=values.get("note", session.note),
            probe_scores=probes,
        )
        return Response(SessionSerializer(_session_full(request, session.pk)).data)

    @extend_schema(
        responses={204: None},
        description='Delete a session log. Send the reason in the body: `{"reason": "..."}`; it '
        "stays in the audit trail with the session's attendance and probes.",
    )
    def delete(self, request, session_id: int):
        session = self.session()
        require(request, "may_edit_session", session)
        serializer = SessionDeleteSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        session_delete(
            district=request.district, actor=request.user, session=session, reason=serializer.validated_data["reason"]
        )
        return Response(status=status.HTTP_204_NO_CONTENT)
