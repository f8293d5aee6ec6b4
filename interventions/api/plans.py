"""Plans API: plans with their phases, goal, schedule and evaluation (plans/, plans/<id>/, plans/<id>/phases/)."""

from __future__ import annotations

from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import generics, serializers, status
from rest_framework.response import Response

from interventions.api.common import _jsonable
from interventions.api.fields import LibraryField, ProviderField, VisibleGroupField, VisibleStudentField
from interventions.models import Plan, PlanPhase
from interventions.selectors import plan_get, plan_result, visible_plans
from interventions.services import plan_change_phase, plan_create, plan_measure_add
from mtss import access_log
from mtss.api_params import param_int as _param_int
from mtss.api_permissions import require

PLAN_FIELDS = [
    "id",
    "student",
    "student_name",
    "area",
    "tier",
    "intervention",
    "intervention_name",
    "provider",
    "group",
    "placement",
    "start_date",
    "expected_end_date",
    "goal_measure",
    "goal_target",
    "goal_target_date",
    "goal_roi",
    "goal_direction",
    "status",
    "sessions_per_week",
    "sessions_per_cycle",
    "cycle_days",
    "minutes_per_session",
    "dd_level_cut",
    "dd_growth_cut",
    "dd_override_reason",
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
        fields = [
            "number",
            "start_date",
            "intervention",
            "intervention_name",
            "goal_target",
            "goal_target_date",
            "goal_roi",
            "reason",
        ]
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


class MeasureEvaluationSerializer(serializers.Serializer):
    """One measure of the plan (selectors.MeasureResult): ``id`` null is the primary measure."""

    id = serializers.IntegerField(source="measure.pk", allow_null=True, default=None)
    measure = serializers.CharField(source="name")
    primary = serializers.SerializerMethodField()
    goal_target = serializers.FloatField(source="case.goal.target", allow_null=True)
    goal_roi = serializers.FloatField(source="case.goal.roi", allow_null=True)
    goal_target_date = serializers.DateField(source="case.goal.target_date")
    goal_direction = serializers.CharField(source="case.goal.direction")
    recommendation = serializers.CharField(source="evaluation.recommendation")
    baseline = serializers.FloatField(source="evaluation.baseline", allow_null=True)
    goal_score = serializers.FloatField(source="evaluation.goal_score", allow_null=True)
    roi = serializers.FloatField(source="evaluation.roi", allow_null=True)
    n_points = serializers.IntegerField(source="evaluation.n_points")
    norms_source = serializers.CharField(source="norms.source", allow_null=True)
    norms_missing = serializers.CharField(source="norms.missing", allow_null=True)
    findings = FindingSerializer(source="evaluation.findings", many=True)

    def get_primary(self, measure) -> bool:
        return measure.measure is None


class PlanDetailSerializer(PlanSerializer):
    phase = PhaseSerializer(source="api_result.phase", read_only=True, allow_null=True)
    goal = GoalSerializer(source="*", read_only=True)
    schedule = ScheduleSerializer(source="*", read_only=True)
    evaluation = EvaluationSerializer(source="api_result", read_only=True)
    measures = MeasureEvaluationSerializer(
        source="api_result.measures",
        many=True,
        read_only=True,
        help_text="Every measure the plan monitors, the primary first; the "
        "evaluation's recommendation combines them by the policy rule.",
    )
    combine = serializers.CharField(source="api_result.combined.combine", read_only=True, allow_null=True, default=None)

    class Meta(PlanSerializer.Meta):
        fields = [*PLAN_FIELDS, "phase", "goal", "schedule", "evaluation", "measures", "combine"]
        read_only_fields = fields


class PlanCreatedSerializer(PlanDetailSerializer):
    warnings = serializers.ListField(
        child=serializers.CharField(),
        source="api_warnings",
        read_only=True,
        help_text="Where the schedule falls short of the district policy's dosage.",
    )

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


@extend_schema(
    parameters=[
        OpenApiParameter("student", int),
        OpenApiParameter("tier", int),
        OpenApiParameter("area", str),
        OpenApiParameter("status", str, enum=list(Plan.Status.values)),
    ]
)
class PlanListCreate(access_log.AccessLoggedList, generics.ListCreateAPIView):
    access_what = "intervention plans"
    serializer_class = PlanSerializer

    def get_queryset(self):
        params = self.request.query_params
        plans = visible_plans(district=self.request.district, membership=self.request.membership).select_related(
            "student", "intervention"
        )
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

    @extend_schema(request=PlanCreateSerializer, responses={201: PlanCreatedSerializer})
    def post(self, request, *args, **kwargs):
        require(request, "may_create_plan")  # the role, before the body; the student's school once it is named
        serializer = PlanCreateSerializer(data=request.data, context=self.get_serializer_context())
        serializer.is_valid(raise_exception=True)
        require(request, "may_create_plan", serializer.validated_data["student"])
        data = dict(serializer.validated_data)
        data["baseline_probes"] = [(p["date"], p["score"]) for p in data.pop("baseline_probes", [])]
        plan, warnings = plan_create(district=request.district, actor=request.user, **data)
        plan = plan_get(district=request.district, membership=request.membership, plan_id=plan.pk)
        return Response(
            _plan_detail(request, plan, PlanCreatedSerializer, api_warnings=warnings), status=status.HTTP_201_CREATED
        )


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
        require(request, "may_edit_plan", plan)
        serializer = PhaseCreateSerializer(data=request.data, context=self.get_serializer_context())
        serializer.is_valid(raise_exception=True)
        phase = plan_change_phase(district=request.district, actor=request.user, plan=plan, **serializer.validated_data)
        return Response(PhaseSerializer(phase).data, status=status.HTTP_201_CREATED)


class MeasureCreateSerializer(serializers.Serializer):
    measure = serializers.CharField(max_length=80, help_text="The measure's name, e.g. “Daily behavior card %”.")
    goal_target = serializers.FloatField(required=False, allow_null=True)
    goal_roi = serializers.FloatField(required=False, allow_null=True)
    goal_target_date = serializers.DateField()
    goal_direction = serializers.ChoiceField(choices=Plan.Direction.choices, default=Plan.Direction.UP)
    baseline_probes = ProbeInputSerializer(many=True, required=False)


class PlanMeasureCreate(generics.GenericAPIView):
    """Add a further measure to a plan (its probes then go to plans/<id>/probes/ with ``measure``)."""

    serializer_class = MeasureCreateSerializer

    @extend_schema(request=MeasureCreateSerializer, responses={201: PlanDetailSerializer})
    def post(self, request, plan_id: int):
        plan = plan_get(district=request.district, membership=request.membership, plan_id=plan_id)
        require(request, "may_edit_plan", plan)
        serializer = MeasureCreateSerializer(data=request.data, context=self.get_serializer_context())
        serializer.is_valid(raise_exception=True)
        data = dict(serializer.validated_data)
        baseline = [(row["date"], row["score"]) for row in data.pop("baseline_probes", [])]
        plan_measure_add(district=request.district, actor=request.user, plan=plan, baseline_probes=baseline, **data)
        return Response(_plan_detail(request, plan), status=status.HTTP_201_CREATED)
