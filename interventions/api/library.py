"""The intervention library API (interventions/, interventions/<id>/)."""

from __future__ import annotations

from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import generics, serializers, status
from rest_framework.response import Response

from interventions.models import EvidenceLevel, Intervention
from interventions.selectors import intervention_get, library
from interventions.services import LIBRARY_LIMITS as LIMITS
from interventions.services import intervention_save
from mtss.api_params import param_int as _param_int
from mtss.api_permissions import require

# --- library ----------------------------------------------------------------------------------


class InterventionSerializer(serializers.ModelSerializer):
    tiers = serializers.ListField(
        child=serializers.IntegerField(), required=False, help_text="Suitable tiers, e.g. [2, 3]."
    )
    evidence_level = serializers.ChoiceField(choices=EvidenceLevel.choices, required=False)

    class Meta:
        model = Intervention
        fields = [
            "id",
            "name",
            "area",
            "tiers",
            "evidence_level",
            "evidence_source",
            "evidence_url",
            "evidence_note",
            "sessions_per_week",
            "minutes_per_session",
            "group_size_max",
            "description",
            "materials",
            "source",
            "is_active",
        ]
        read_only_fields = ["id"]
        # The service checks the name (case-insensitively) and names the field.
        validators = []
        extra_kwargs = {
            "name": {"validators": []},
            **{name: {"min_value": low, "max_value": high} for name, (low, high) in LIMITS.items()},
        }


@extend_schema(
    parameters=[
        OpenApiParameter("area", str),
        OpenApiParameter("tier", int),
        OpenApiParameter("include_inactive", bool),
    ]
)
class InterventionListCreate(generics.ListCreateAPIView):
    serializer_class = InterventionSerializer

    def get_queryset(self):
        params = self.request.query_params
        tier = _param_int(params, "tier")
        rows = library(
            district=self.request.district,
            area=params.get("area") or None,
            active_only=params.get("include_inactive") not in ("1", "true"),
        )
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
        intervention = intervention_save(
            district=request.district, actor=request.user, intervention=intervention, **serializer.validated_data
        )
        return Response(self.get_serializer(intervention).data)
