"""REST API for interventions: the library, tier placements, plans (with phases,
probes and their evaluation), groups and session logs (one or in bulk).

Thin views over interventions.selectors and interventions.services, as in
students/api.py. Every object is looked up through a district- and
user-scoped selector first, so another district's id answers 404 exactly like a
missing one; then the role is checked (403); then the body is validated (400,
naming the field: the services' ValidationErrors pass through
mtss.api_errors).
"""
from __future__ import annotations

import datetime as dt
import math
from abc import ABCMeta, abstractmethod
from decimal import Decimal

from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import transaction
from django.db.models import Exists, OuterRef, Prefetch, Q
from django.http import Http404
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema, inline_serializer
from rest_framework import generics, serializers, status
from rest_framework.exceptions import PermissionDenied
from rest_framework.response import Response

from interventions.services import LIBRARY_LIMITS as LIMITS
from interventions.models import (
    Attendance, EvidenceLevel, Intervention, InterventionGroup, InterventionSession, Plan, PlanPhase, Probe,
    TierPlacement,
)
from interventions.selectors import (
    group_get, group_members, intervention_get, library, plan_get, plan_result, session_get,
    visible_groups, visible_plans,
)
from interventions.services import (
    group_add_plan, group_create, intervention_save, placement_set, plan_change_phase, plan_create, probes_add,
    session_delete, session_log, session_update,
)
from mtss import access_log
from mtss.api_params import param_date as _param_date
from mtss.api_params import param_int as _param_int
from mtss.api_permissions import MESSAGES, require
from mtss.models import School, User
from mtss.permissions import PLANNERS, SEES_WHOLE_DISTRICT
from students.models import Student
from students.selectors import visible_students

MAX_BULK_SESSIONS = 500
MAX_PROBES = 1000


# --- permissions ----------------------------------------------------------------------------

def _require_planner(request, rule: str) -> None:
    """Before the body is read: a role that may create this at some school (else 403). The object's own
    rule (its school) is asked once the body named it."""
    if request.membership.role not in PLANNERS:
        raise PermissionDenied(MESSAGES[rule])


def _require_logger(request, *, group: InterventionGroup | None = None, plan: Plan | None = None) -> None:
    if group is not None:
        require(request, "may_log_for_group", group)
    else:
        require(request, "may_log_for_plan", plan)


# --- helpers --------------------------------------------------------------------------------

def _jsonable(value):
    """Finding values as plain JSON (dates as ISO strings, no NaN or infinity)."""
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple, set, frozenset)):
        return [_jsonable(v) for v in value]
    if isinstance(value, (dt.date, dt.datetime)):
        return value.isoformat()
    if isinstance(value, Decimal):
        value = float(value)
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if value is None or isinstance(value, (bool, int, float, str)):
        return value
    return str(value)




def _plan_ids(mapping: dict, field: str) -> dict[int, object]:
    """{"<plan id>": value} from JSON (keys are strings) -> {plan id: value}."""
    result = {}
    for key, value in (mapping or {}).items():
        try:
            result[int(key)] = value
        except (TypeError, ValueError):
            raise serializers.ValidationError({field: f"“{key}” is not a plan id."}) from None
    return result


def _student_ids_of_sessions(sessions) -> set[int]:
    ids = set()
    for session in sessions:
        if session.plan_id:
            ids.add(session.plan.student_id)
        ids.update(row.plan.student_id for row in session.attendance.all())
    return ids


# --- scoped relation fields -----------------------------------------------------------------

class _ScopedField(serializers.PrimaryKeyRelatedField, metaclass=ABCMeta):
    """A related id that must be one of the request's district (and visible to the user);
    anything else reads as unknown ("Invalid pk"), never as another district's."""

    model = None

    def __init__(self, **kwargs):
        kwargs.setdefault("queryset", self.model.objects.none())
        super().__init__(**kwargs)

    @abstractmethod
    def scoped(self, request):
        """The objects of the request's district this field accepts."""

    def get_queryset(self):
        return self.scoped(self.context["request"])


class VisibleStudentField(_ScopedField):
    model = Student

    def scoped(self, request):
        return visible_students(district=request.district, membership=request.membership)


class LibraryField(_ScopedField):
    model = Intervention

    def scoped(self, request):
        return library(district=request.district)


class ProviderField(_ScopedField):
    model = User

    def scoped(self, request):
        return User.objects.filter(memberships__district=request.district, memberships__is_active=True)


class GroupSchoolField(_ScopedField):
    """A school of the district; principals and staff may only pick their own schools."""

    model = School

    def scoped(self, request):
        schools = School.objects.filter(district=request.district)
        if request.membership.role not in SEES_WHOLE_DISTRICT:
            schools = schools.filter(pk__in=request.membership.schools.values("id"))
        return schools


class VisibleGroupField(_ScopedField):
    model = InterventionGroup

    def scoped(self, request):
        return visible_groups(district=request.district, membership=request.membership).select_related("provider")


class VisiblePlanField(_ScopedField):
    model = Plan

    def scoped(self, request):
        return visible_plans(district=request.district, membership=request.membership).select_related(
            "student", "group")


# --- library ----------------------------------------------------------------------------------

class InterventionSerializer(serializers.ModelSerializer):
    tiers = serializers.ListField(child=serializers.IntegerField(), required=False,
                                 help_text="Suitable tiers, e.g. [2, 3].")
    evidence_level = serializers.ChoiceField(choices=EvidenceLevel.choices, required=False)

    class Meta:
        model = Intervention
        fields = ["id", "name", "area", "tiers", "evidence_level", "sessions_per_week", "minutes_per_session",
                  "group_size_max", "description", "materials", "source", "is_active"]
        read_only_fields = ["id"]
        # The service checks the name (case-insensitively) and names the field.
        validators = []
        extra_kwargs = {"name": {"validators": []},
                        **{name: {"min_value": low, "max_value": high} for name, (low, high) in LIMITS.items()}}


@extend_schema(parameters=[OpenApiParameter("area", str), OpenApiParameter("tier", int),
                           OpenApiParameter("include_inactive", bool)])
class InterventionListCreate(generics.ListCreateAPIView):
    serializer_class = InterventionSerializer

    def get_queryset(self):
        params = self.request.query_params
        tier = _param_int(params, "tier")
        rows = library(district=self.request.district, area=params.get("area") or None,
                       active_only=params.get("include_inactive") not in ("1", "true"))
        if tier is not None:
            # The tiers are a JSON list; the library is small, so match them here on any database.
            rows = rows.filter(pk__in=[pk for pk, tiers in rows.values_list("pk", "tiers") if tier in (tiers or [])])
        return rows

    def create(self, request, *args, **kwargs):
        require(request, "may_edit_library")
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        intervention = intervention_save(district=request.district, actor=request.user, **serializer.validated_data)
        return Response(self.get_serializer(intervention).data, status=status.HTTP_201_CREATED)


class InterventionDetail(generics.RetrieveUpdateAPIView):
    serializer_class = InterventionSerializer
    http_method_names = ["get", "patch", "head", "options"]

    def get_object(self):
        return intervention_get(district=self.request.district, intervention_id=self.kwargs["intervention_id"])

    def update(self, request, *args, **kwargs):
        intervention = self.get_object()
        require(request, "may_edit_library")
        serializer = self.get_serializer(intervention, data=request.data, partial=True)
        serializer.is_valid(raise_exception=True)
        intervention = intervention_save(district=request.district, actor=request.user, intervention=intervention,
                                         **serializer.validated_data)
        return Response(self.get_serializer(intervention).data)


# --- placements -----------------------------------------------------------------------------

class PlacementSerializer(serializers.ModelSerializer):
    student = VisibleStudentField()
    tier = serializers.IntegerField()

    class Meta:
        model = TierPlacement
        fields = ["id", "student", "area", "tier", "start_date", "end_date", "reason", "decided_by", "created_at"]
        read_only_fields = ["id", "end_date", "decided_by", "created_at"]
        validators = []


def _visible_placements(request):
    students = visible_students(district=request.district, membership=request.membership)
    return TierPlacement.objects.filter(district=request.district, student_id__in=students.values("pk"))


@extend_schema(parameters=[OpenApiParameter("student", int), OpenApiParameter("area", str),
                           OpenApiParameter("open", bool, description="Only placements without an end date.")])
class PlacementListCreate(generics.ListCreateAPIView):
    serializer_class = PlacementSerializer

    def get_queryset(self):
        params = self.request.query_params
        rows = _visible_placements(self.request)
        student = _param_int(params, "student")
        if student is not None:
            rows = rows.filter(student_id=student)
        if params.get("area"):
            rows = rows.filter(area=params["area"])
        if params.get("open") in ("1", "true"):
            rows = rows.filter(end_date__isnull=True)
        return rows.order_by("-start_date", "-id")

    def list(self, request, *args, **kwargs):
        response = super().list(request, *args, **kwargs)
        access_log.record(request._request, action="api_read", what="tier placements",
                          student_ids=[row["student"] for row in response.data["results"]])
        return response

    def create(self, request, *args, **kwargs):
        _require_planner(request, "may_place_in_tier")
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        require(request, "may_place_in_tier", serializer.validated_data["student"])
        placement = placement_set(district=request.district, actor=request.user, **serializer.validated_data)
        return Response(self.get_serializer(placement).data, status=status.HTTP_201_CREATED)


class PlacementDetail(generics.RetrieveAPIView):
    serializer_class = PlacementSerializer

    def get_object(self):
        try:
            return _visible_placements(self.request).get(pk=self.kwargs["placement_id"])
        except TierPlacement.DoesNotExist:
            raise Http404 from None

    def retrieve(self, request, *args, **kwargs):
        response = super().retrieve(request, *args, **kwargs)
        access_log.record(request._request, action="api_read", what="tier placement",
                          student_ids=[response.data["student"]])
        return response


# --- plans ----------------------------------------------------------------------------------

PLAN_FIELDS = [
    "id", "student", "student_name", "area", "tier", "intervention", "intervention_name", "provider", "group",
    "placement", "start_date", "expected_end_date", "goal_measure", "goal_target", "goal_target_date", "goal_roi",
    "goal_direction", "status", "sessions_per_week", "sessions_per_cycle", "cycle_days", "minutes_per_session",
]


class PlanSerializer(serializers.ModelSerializer):
    student_name = serializers.CharField(source="student.full_name", read_only=True)
    intervention_name = serializers.CharField(source="intervention.name", read_only=True)

    class Meta:
        model = Plan
        fields = PLAN_FIELDS
        read_only_fields = PLAN_FIELDS


class PhaseSerializer(serializers.ModelSerializer):
    intervention_name = serializers.CharField(source="intervention.name", read_only=True)

    class Meta:
        model = PlanPhase
        fields = ["number", "start_date", "intervention", "intervention_name", "goal_target", "goal_target_date",
                  "goal_roi", "reason"]
        read_only_fields = fields


class GoalSerializer(serializers.Serializer):
    measure = serializers.CharField(source="goal_measure")
    target = serializers.FloatField(source="goal_target", allow_null=True)
    target_date = serializers.DateField(source="goal_target_date")
    roi = serializers.FloatField(source="goal_roi", allow_null=True, help_text="Goal rate of improvement per week.")
    direction = serializers.CharField(source="goal_direction")


class ScheduleSerializer(serializers.Serializer):
    sessions_per_week = serializers.FloatField(allow_null=True)
    sessions_per_cycle = serializers.IntegerField(allow_null=True)
    cycle_days = serializers.IntegerField(allow_null=True)
    minutes_per_session = serializers.IntegerField()
    weekly_sessions = serializers.FloatField(help_text="Sessions per calendar week.")
    label = serializers.CharField(source="schedule_label")


class FindingSerializer(serializers.Serializer):
    rule = serializers.CharField()
    status = serializers.CharField()
    values = serializers.SerializerMethodField()
    explanation = serializers.SerializerMethodField()

    def get_values(self, finding) -> dict:
        return _jsonable(finding.values)

    def get_explanation(self, finding) -> str:
        return str(finding.explanation)


class EvaluationSerializer(serializers.Serializer):
    """The decision-rule engine's reading of the current phase (selectors.plan_result)."""

    recommendation = serializers.CharField(source="evaluation.recommendation")
    baseline = serializers.FloatField(source="evaluation.baseline", allow_null=True)
    goal_score = serializers.FloatField(source="evaluation.goal_score", allow_null=True)
    goal_roi = serializers.FloatField(source="evaluation.goal_roi", allow_null=True)
    roi = serializers.FloatField(source="evaluation.roi", allow_null=True)
    n_points = serializers.IntegerField(source="evaluation.n_points")
    as_of = serializers.DateField(source="evaluation.as_of", allow_null=True)
    findings = FindingSerializer(source="evaluation.findings", many=True)
    policy = serializers.CharField(source="policy_label", help_text="The policy version the rules came from.")


class PlanDetailSerializer(PlanSerializer):
    phase = PhaseSerializer(source="api_result.phase", read_only=True, allow_null=True)
    goal = GoalSerializer(source="*", read_only=True)
    schedule = ScheduleSerializer(source="*", read_only=True)
    evaluation = EvaluationSerializer(source="api_result", read_only=True)

    class Meta(PlanSerializer.Meta):
        fields = [*PLAN_FIELDS, "phase", "goal", "schedule", "evaluation"]
        read_only_fields = fields


class PlanCreatedSerializer(PlanDetailSerializer):
    warnings = serializers.ListField(child=serializers.CharField(), source="api_warnings", read_only=True,
                                     help_text="Where the schedule falls short of the district policy's dosage.")

    class Meta(PlanDetailSerializer.Meta):
        fields = [*PlanDetailSerializer.Meta.fields, "warnings"]
        read_only_fields = fields


class ProbeInputSerializer(serializers.Serializer):
    date = serializers.DateField()
    score = serializers.FloatField()


class PlanCreateSerializer(serializers.Serializer):
    student = VisibleStudentField()
    area = serializers.CharField(max_length=40)
    tier = serializers.IntegerField(min_value=1)
    intervention = LibraryField()
    provider = ProviderField()
    group = VisibleGroupField(required=False, allow_null=True)
    start_date = serializers.DateField()
    expected_end_date = serializers.DateField()
    goal_measure = serializers.CharField(max_length=80)
    goal_target_date = serializers.DateField()
    goal_target = serializers.FloatField(required=False, allow_null=True)
    goal_roi = serializers.FloatField(required=False, allow_null=True)
    goal_direction = serializers.ChoiceField(choices=Plan.Direction.choices, required=False, default="up")
    sessions_per_week = serializers.FloatField(required=False, allow_null=True)
    sessions_per_cycle = serializers.IntegerField(required=False, allow_null=True)
    cycle_days = serializers.IntegerField(required=False, allow_null=True)
    minutes_per_session = serializers.IntegerField(required=False, allow_null=True)
    baseline_probes = ProbeInputSerializer(many=True, required=False)


def _plan_detail(request, plan: Plan, serializer_class=PlanDetailSerializer, **extra):
    plan.api_result = plan_result(district=request.district, plan=plan)
    for name, value in extra.items():
        setattr(plan, name, value)
    access_log.record(request._request, action="api_read", what="intervention plan", student_ids=[plan.student_id])
    return serializer_class(plan, context={"request": request}).data


@extend_schema(parameters=[OpenApiParameter("student", int), OpenApiParameter("tier", int),
                           OpenApiParameter("area", str),
                           OpenApiParameter("status", str, enum=list(Plan.Status.values))])
class PlanListCreate(generics.ListCreateAPIView):
    serializer_class = PlanSerializer

    def get_queryset(self):
        params = self.request.query_params
        plans = visible_plans(district=self.request.district, membership=self.request.membership).select_related(
            "student", "intervention")
        student, tier = _param_int(params, "student"), _param_int(params, "tier")
        if student is not None:
            plans = plans.filter(student_id=student)
        if tier is not None:
            plans = plans.filter(tier=tier)
        if params.get("area"):
            plans = plans.filter(area=params["area"])
        if params.get("status"):
            if params["status"] not in Plan.Status.values:
                raise serializers.ValidationError({"status": f"One of {', '.join(Plan.Status.values)}."})
            plans = plans.filter(status=params["status"])
        return plans.order_by("-start_date", "-id")

    def list(self, request, *args, **kwargs):
        response = super().list(request, *args, **kwargs)
        access_log.record(request._request, action="api_read", what="intervention plans",
                          student_ids=[row["student"] for row in response.data["results"]])
        return response

    @extend_schema(request=PlanCreateSerializer, responses={201: PlanCreatedSerializer})
    def post(self, request, *args, **kwargs):
        _require_planner(request, "may_create_plan")
        serializer = PlanCreateSerializer(data=request.data, context=self.get_serializer_context())
        serializer.is_valid(raise_exception=True)
        require(request, "may_create_plan", serializer.validated_data["student"])
        data = dict(serializer.validated_data)
        data["baseline_probes"] = [(p["date"], p["score"]) for p in data.pop("baseline_probes", [])]
        plan, warnings = plan_create(district=request.district, actor=request.user, **data)
        plan = plan_get(district=request.district, membership=request.membership, plan_id=plan.pk)
        return Response(_plan_detail(request, plan, PlanCreatedSerializer, api_warnings=warnings),
                        status=status.HTTP_201_CREATED)


class PlanDetail(generics.GenericAPIView):
    serializer_class = PlanDetailSerializer

    def get(self, request, plan_id: int):
        plan = plan_get(district=request.district, membership=request.membership, plan_id=plan_id)
        return Response(_plan_detail(request, plan))


class PhaseCreateSerializer(serializers.Serializer):
    start_date = serializers.DateField()
    reason = serializers.CharField(allow_blank=True, help_text="Why the plan changes (kept in the record).")
    intervention = LibraryField(required=False, allow_null=True)
    goal_target = serializers.FloatField(required=False, allow_null=True)
    goal_target_date = serializers.DateField(required=False, allow_null=True)
    goal_roi = serializers.FloatField(required=False, allow_null=True)


class PlanPhaseCreate(generics.GenericAPIView):
    serializer_class = PhaseCreateSerializer

    @extend_schema(request=PhaseCreateSerializer, responses={201: PhaseSerializer})
    def post(self, request, plan_id: int):
        plan = plan_get(district=request.district, membership=request.membership, plan_id=plan_id)
        _require_logger(request, plan=plan)
        serializer = PhaseCreateSerializer(data=request.data, context=self.get_serializer_context())
        serializer.is_valid(raise_exception=True)
        phase = plan_change_phase(district=request.district, actor=request.user, plan=plan,
                                  **serializer.validated_data)
        return Response(PhaseSerializer(phase).data, status=status.HTTP_201_CREATED)


# --- probes ---------------------------------------------------------------------------------

class ProbeSerializer(serializers.ModelSerializer):
    class Meta:
        model = Probe
        fields = ["id", "date", "score", "is_baseline", "session", "created_at"]
        read_only_fields = fields


class ProbesCreateSerializer(serializers.Serializer):
    """One probe (`date`, `score`) or many (`probes`)."""

    date = serializers.DateField(required=False)
    score = serializers.FloatField(required=False)
    probes = ProbeInputSerializer(many=True, required=False)


def _probe_rows(data) -> list[tuple[dt.date, object]]:
    """The posted probes as (date, raw score); bad dates are reported by line."""
    if isinstance(data, dict) and "probes" in data:
        items, numbered = data["probes"], True
        if not isinstance(items, list) or not items:
            raise serializers.ValidationError({"probes": ["Give a list of probes, each with a date and a score."]})
        if len(items) > MAX_PROBES:
            raise serializers.ValidationError({"probes": [f"At most {MAX_PROBES} probes at once."]})
    elif isinstance(data, dict):
        items, numbered = [data], False
    else:
        raise serializers.ValidationError({"probes": ["Send a probe (date, score) or a list under “probes”."]})
    rows, errors = [], []
    for index, item in enumerate(items, start=1):
        prefix = f"line {index}: " if numbered else ""
        if not isinstance(item, dict):
            errors.append(prefix + "Give a date and a score.")
            continue
        raw_date, score = item.get("date"), item.get("score")
        try:
            when = dt.date.fromisoformat(str(raw_date))
        except ValueError:
            errors.append(prefix + f"“{raw_date}” is not a date (YYYY-MM-DD).")
            continue
        if score in (None, "") or isinstance(score, bool):
            errors.append(prefix + "Give a score.")
            continue
        rows.append((when, score))
    if errors:
        raise serializers.ValidationError({"probes": errors})
    return rows


class PlanProbes(generics.GenericAPIView):
    serializer_class = ProbeSerializer
    pagination_class = None

    def plan(self):
        return plan_get(district=self.request.district, membership=self.request.membership,
                        plan_id=self.kwargs["plan_id"])

    @extend_schema(responses=ProbeSerializer(many=True))
    def get(self, request, plan_id: int):
        plan = self.plan()
        probes = Probe.objects.filter(district=request.district, plan=plan).order_by("date", "id")
        access_log.record(request._request, action="api_read", what="probes", student_ids=[plan.student_id])
        return Response(ProbeSerializer(probes, many=True).data)

    @extend_schema(request=ProbesCreateSerializer, responses={201: ProbeSerializer(many=True)})
    def post(self, request, plan_id: int):
        plan = self.plan()
        _require_logger(request, plan=plan)
        created = probes_add(district=request.district, actor=request.user, plan=plan,
                             probes=_probe_rows(request.data))
        return Response(ProbeSerializer(created, many=True).data, status=status.HTTP_201_CREATED)


# --- groups ---------------------------------------------------------------------------------

GROUP_FIELDS = ["id", "school", "provider", "name", "area", "tier", "intervention", "sessions_per_week",
                "sessions_per_cycle", "cycle_days", "minutes_per_session", "schedule", "is_active", "created_at"]


class GroupSerializer(serializers.ModelSerializer):
    school = GroupSchoolField()
    provider = ProviderField()
    intervention = LibraryField(required=False, allow_null=True)
    tier = serializers.IntegerField(min_value=1)
    # Ranges are the service's checks (same messages as the forms).
    minutes_per_session = serializers.IntegerField(required=False, allow_null=True)
    sessions_per_cycle = serializers.IntegerField(required=False, allow_null=True)
    cycle_days = serializers.IntegerField(required=False, allow_null=True)
    schedule = serializers.CharField(source="schedule_label", read_only=True)

    class Meta:
        model = InterventionGroup
        fields = GROUP_FIELDS
        read_only_fields = ["id", "schedule", "is_active", "created_at"]


class MemberSerializer(serializers.ModelSerializer):
    plan = serializers.IntegerField(source="pk")
    student_name = serializers.CharField(source="student.full_name")

    class Meta:
        model = Plan
        fields = ["plan", "student", "student_name", "start_date", "status"]
        read_only_fields = fields


class GroupDetailSerializer(GroupSerializer):
    members = MemberSerializer(source="api_members", many=True, read_only=True)

    class Meta(GroupSerializer.Meta):
        fields = [*GROUP_FIELDS, "members"]


class GroupMemberAddSerializer(serializers.Serializer):
    plan = VisiblePlanField()


def _group_detail(request, group: InterventionGroup):
    group.api_members = group_members(district=request.district, group=group)
    access_log.record(request._request, action="api_read", what="intervention group",
                      student_ids=[p.student_id for p in group.api_members])
    return GroupDetailSerializer(group, context={"request": request}).data


@extend_schema(parameters=[OpenApiParameter("area", str), OpenApiParameter("tier", int),
                           OpenApiParameter("provider", int), OpenApiParameter("include_inactive", bool)])
class GroupListCreate(generics.ListCreateAPIView):
    serializer_class = GroupSerializer

    def get_queryset(self):
        params = self.request.query_params
        groups = visible_groups(district=self.request.district, membership=self.request.membership)
        tier, provider = _param_int(params, "tier"), _param_int(params, "provider")
        if tier is not None:
            groups = groups.filter(tier=tier)
        if provider is not None:
            groups = groups.filter(provider_id=provider)
        if params.get("area"):
            groups = groups.filter(area=params["area"])
        if params.get("include_inactive") not in ("1", "true"):
            groups = groups.filter(is_active=True)
        return groups.order_by("name", "id")

    @extend_schema(responses={201: GroupDetailSerializer})
    def post(self, request, *args, **kwargs):
        _require_planner(request, "may_create_group")
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        require(request, "may_create_group", serializer.validated_data["school"])
        group = group_create(district=request.district, actor=request.user, **serializer.validated_data)
        return Response(_group_detail(request, group), status=status.HTTP_201_CREATED)


class GroupDetail(generics.GenericAPIView):
    serializer_class = GroupDetailSerializer

    def get(self, request, group_id: int):
        group = group_get(district=request.district, membership=request.membership, group_id=group_id)
        return Response(_group_detail(request, group))


class GroupMemberAdd(generics.GenericAPIView):
    serializer_class = GroupMemberAddSerializer

    @extend_schema(request=GroupMemberAddSerializer, responses={201: GroupDetailSerializer})
    def post(self, request, group_id: int):
        group = group_get(district=request.district, membership=request.membership, group_id=group_id)
        _require_logger(request, group=group)
        serializer = GroupMemberAddSerializer(data=request.data, context=self.get_serializer_context())
        serializer.is_valid(raise_exception=True)
        group_add_plan(district=request.district, actor=request.user, group=group,
                       plan=serializer.validated_data["plan"])
        return Response(_group_detail(request, group), status=status.HTTP_201_CREATED)


# --- sessions -------------------------------------------------------------------------------

class SessionSerializer(serializers.ModelSerializer):
    attendance = serializers.SerializerMethodField(help_text="Plan id -> attendance status.")
    probes = serializers.SerializerMethodField(help_text="Plan id -> probe score taken in this session.")

    class Meta:
        model = InterventionSession
        fields = ["id", "group", "plan", "provider", "date", "minutes", "note", "attendance", "probes", "logged_by",
                  "created_at", "updated_at"]
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
    attendance = serializers.DictField(child=serializers.ChoiceField(choices=Attendance.Status.choices),
                                       required=False, default=dict,
                                       help_text="Plan id -> status; members not named were present.")
    probes = serializers.DictField(child=serializers.FloatField(allow_null=True), required=False, default=dict,
                                   help_text="Plan id -> probe score taken in this session.")
    note = serializers.CharField(required=False, allow_blank=True, default="")

    def validate(self, attrs):
        if (attrs.get("group") is None) == (attrs.get("plan") is None):
            raise serializers.ValidationError({"group": "Give a group or a plan (one of them)."})
        attrs["attendance"] = _plan_ids(attrs.get("attendance"), "attendance")
        attrs["probes"] = _plan_ids(attrs.get("probes"), "probes")
        return attrs


class SessionUpdateSerializer(serializers.Serializer):
    minutes = serializers.IntegerField(required=False)
    attendance = serializers.DictField(child=serializers.ChoiceField(choices=Attendance.Status.choices),
                                       required=False, help_text="Plan id -> status; others stay as they are.")
    note = serializers.CharField(required=False, allow_blank=True)

    def validate(self, attrs):
        if "attendance" in attrs:
            attrs["attendance"] = _plan_ids(attrs["attendance"], "attendance")
        return attrs


class SessionDeleteSerializer(serializers.Serializer):
    reason = serializers.CharField(allow_blank=True, help_text="Why it is deleted; kept in the audit trail.")


def _sessions_queryset(request):
    groups = visible_groups(district=request.district, membership=request.membership)
    plans = visible_plans(district=request.district, membership=request.membership)
    return (
        InterventionSession.objects.filter(district=request.district)
        .filter(Q(group_id__in=groups.values("pk")) | Q(plan_id__in=plans.values("pk")))
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
    _require_logger(request, group=group, plan=plan)
    return session_log(district=request.district, actor=request.user, group=group, plan=plan, date=values["date"],
                       minutes=values["minutes"], attendance=values["attendance"], probe_scores=values["probes"],
                       note=values["note"])


@extend_schema(parameters=[OpenApiParameter("group", int), OpenApiParameter("plan", int),
                           OpenApiParameter("date_from", dt.date), OpenApiParameter("date_to", dt.date)])
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
        access_log.record(request._request, action="api_read", what="intervention sessions",
                          student_ids=_student_ids_of_sessions(page))
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


BULK_ERRORS = inline_serializer("SessionBulkErrors", fields={
    "errors": serializers.ListField(child=inline_serializer("SessionBulkError", fields={
        "index": serializers.IntegerField(help_text="Position in the posted list, from 0."),
        "errors": serializers.DictField(help_text="Field -> messages, as for one session."),
    })),
})


class SessionBulkCreate(generics.GenericAPIView):
    """Log many sessions at once: every one is checked, and either all are logged or none."""

    serializer_class = SessionInputSerializer

    @extend_schema(
        request=SessionInputSerializer(many=True),
        responses={201: SessionSerializer(many=True),
                   400: OpenApiResponse(BULK_ERRORS, description="Nothing was logged."),
                   403: OpenApiResponse(BULK_ERRORS, description="Nothing was logged.")},
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
        return Response(SessionSerializer([sessions[s.pk] for s in created], many=True).data,
                        status=status.HTTP_201_CREATED)


class SessionDetail(generics.GenericAPIView):
    serializer_class = SessionSerializer

    def session(self):
        # session_get answers 404 for a session whose group or plan the user cannot see.
        session = session_get(district=self.request.district, membership=self.request.membership,
                              session_id=self.kwargs["session_id"])
        return _session_full(self.request, session.pk)

    def _require_logger_for(self, session):
        if session.group_id:
            _require_logger(self.request, group=session.group)
        else:
            _require_logger(self.request, plan=session.plan)

    def get(self, request, session_id: int):
        session = self.session()
        access_log.record(request._request, action="api_read", what="intervention session",
                          student_ids=_student_ids_of_sessions([session]))
        return Response(SessionSerializer(session).data)

    @extend_schema(request=SessionUpdateSerializer, responses={200: SessionSerializer})
    def patch(self, request, session_id: int):
        session = self.session()
        self._require_logger_for(session)
        serializer = SessionUpdateSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        values = serializer.validated_data
        session_update(district=request.district, actor=request.user, session=session,
                       minutes=values.get("minutes", session.minutes), attendance=values.get("attendance", {}),
                       note=values.get("note", session.note))
        return Response(SessionSerializer(_session_full(request, session.pk)).data)

    @extend_schema(responses={204: None},
                   description="Delete a session log. Send the reason in the body: `{\"reason\": \"...\"}`; it "
                               "stays in the audit trail with the session's attendance and probes.")
    def delete(self, request, session_id: int):
        session = self.session()
        self._require_logger_for(session)
        serializer = SessionDeleteSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        session_delete(district=request.district, actor=request.user, session=session,
                       reason=serializer.validated_data["reason"])
        return Response(status=status.HTTP_204_NO_CONTENT)
