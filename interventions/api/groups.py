"""Intervention groups API (groups/, groups/<id>/, groups/<id>/members/)."""

from __future__ import annotations

from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import generics, serializers, status
from rest_framework.response import Response

from interventions.api.fields import GroupSchoolField, LibraryField, ProviderField, VisiblePlanField
from interventions.models import InterventionGroup, Plan
from interventions.selectors import group_get, group_members, visible_groups
from interventions.services import group_add_plan, group_create
from mtss import access_log
from mtss.api_params import param_int as _param_int
from mtss.api_permissions import require

# --- groups ---------------------------------------------------------------------------------

GROUP_FIELDS = [
    "id",
    "school",
    "provider",
    "name",
    "area",
    "tier",
    "intervention",
    "sessions_per_week",
    "sessions_per_cycle",
    "cycle_days",
    "minutes_per_session",
    "schedule",
    "is_active",
    "created_at",
]


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
    access_log.record(
        request._request,
        action="api_read",
        what="intervention group",
        student_ids=[p.student_id for p in group.api_members],
    )
    return GroupDetailSerializer(group, context={"request": request}).data


@extend_schema(
    parameters=[
        OpenApiParameter("area", str),
        OpenApiParameter("tier", int),
        OpenApiParameter("provider", int),
        OpenApiParameter("include_inactive", bool),
    ]
)
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
        require(request, "may_create_group")  # the role, before the body; the school once it is named
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
        require(request, "may_log_for_group", group)
        serializer = GroupMemberAddSerializer(data=request.data, context=self.get_serializer_context())
        serializer.is_valid(raise_exception=True)
        group_add_plan(
            district=request.district, actor=request.user, group=group, plan=serializer.validated_data["plan"]
        )
        return Response(_group_detail(request, group), status=status.HTTP_201_CREATED)
