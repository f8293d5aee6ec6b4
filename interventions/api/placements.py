"""Tier placements API (placements/, placements/<id>/)."""

from __future__ import annotations

from django.http import Http404
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import generics, serializers, status
from rest_framework.response import Response

from interventions.api.fields import VisibleStudentField
from interventions.models import TierPlacement
from interventions.services import placement_set
from mtss import access_log
from mtss.api_params import param_int as _param_int
from mtss.api_permissions import require
from students.access import visible_students

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


@extend_schema(
    parameters=[
        OpenApiParameter("student", int),
        OpenApiParameter("area", str),
        OpenApiParameter("open", bool, description="Only placements without an end date."),
    ]
)
class PlacementListCreate(access_log.AccessLoggedList, generics.ListCreateAPIView):
    access_what = "tier placements"
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

    def create(self, request, *args, **kwargs):
        require(request, "may_place_in_tier")  # the role, before the body; the student's school once it is named
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
        access_log.record(
            request._request, action="api_read", what="tier placement", student_ids=[response.data["student"]]
        )
        return response
