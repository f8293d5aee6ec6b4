"""Probe scores of a plan (plans/<id>/probes/)."""

from __future__ import annotations

import datetime as dt

from drf_spectacular.utils import extend_schema
from rest_framework import generics, serializers, status
from rest_framework.response import Response

from interventions.api.common import MAX_PROBES
from interventions.api.plans import ProbeInputSerializer
from interventions.models import PlanMeasure, Probe
from interventions.selectors import plan_get, probe_get
from interventions.services import probe_delete, probe_update, probes_add
from mtss import access_log
from mtss.api_permissions import require

# --- probes ---------------------------------------------------------------------------------


class ProbeSerializer(serializers.ModelSerializer):
    class Meta:
        model = Probe
        fields = ["id", "date", "score", "is_baseline", "measure", "session", "created_at"]
        read_only_fields = fields


class ProbesCreateSerializer(serializers.Serializer):
    """One probe (`date`, `score`) or many (`probes`)."""

    date = serializers.DateField(required=False)
    score = serializers.FloatField(required=False)
    probes = ProbeInputSerializer(many=True, required=False)
    measure = serializers.IntegerField(
        required=False, allow_null=True, help_text="The id of one of the plan's further measures; empty: the primary."
    )


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
        return plan_get(
            district=self.request.district, membership=self.request.membership, plan_id=self.kwargs["plan_id"]
        )

    @extend_schema(responses=ProbeSerializer(many=True))
    def get(self, request, plan_id: int):
        plan = self.plan()
        probes = Probe.objects.filter(district=request.district, plan=plan).order_by("date", "id")
        access_log.record(request._request, action="api_read", what="probes", student_ids=[plan.student_id])
        return Response(ProbeSerializer(probes, many=True).data)

    @extend_schema(request=ProbesCreateSerializer, responses={201: ProbeSerializer(many=True)})
    def post(self, request, plan_id: int):
        plan = self.plan()
        require(request, "may_add_probe", plan)
        measure = None
        wanted = request.data.get("measure") if isinstance(request.data, dict) else None
        if wanted not in (None, ""):
            measure = PlanMeasure.objects.filter(
                district=request.district, plan=plan, pk=wanted if str(wanted).isdigit() else -1
            ).first()
            if measure is None:
                raise serializers.ValidationError({"measure": [f"“{wanted}” is not a measure of this plan."]})
        created = probes_add(
            district=request.district, actor=request.user, plan=plan, probes=_probe_rows(request.data), measure=measure
        )
        return Response(ProbeSerializer(created, many=True).data, status=status.HTTP_201_CREATED)


class ProbeUpdateSerializer(serializers.Serializer):
    date = serializers.DateField(required=False)
    score = serializers.FloatField(required=False)
    reason = serializers.CharField(required=False, allow_blank=True, default="")


class ProbeDeleteSerializer(serializers.Serializer):
    reason = serializers.CharField(allow_blank=True, help_text="Why it is deleted; kept in the audit trail.")


class ProbeDetail(generics.GenericAPIView):
    """One probe: read it (GET), correct its date or score (PATCH), or delete it with a reason (DELETE)."""

    serializer_class = ProbeSerializer

    @extend_schema(responses={200: ProbeSerializer})
    def get(self, request, probe_id: int):
        # Whoever sees the plan reads its probes (probe_get scopes to the visible plans).
        probe = probe_get(district=request.district, membership=request.membership, probe_id=probe_id)
        access_log.record(request._request, action="api_read", what="probe", student_ids=[probe.plan.student_id])
        return Response(ProbeSerializer(probe).data)

    def probe(self):
        probe = probe_get(
            district=self.request.district, membership=self.request.membership, probe_id=self.kwargs["probe_id"]
        )
        require(self.request, "may_edit_probe", probe)
        return probe

    @extend_schema(request=ProbeUpdateSerializer, responses={200: ProbeSerializer})
    def patch(self, request, probe_id: int):
        probe = self.probe()
        serializer = ProbeUpdateSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        values = serializer.validated_data
        probe = probe_update(
            district=request.district,
            actor=request.user,
            probe=probe,
            date=values.get("date", probe.date),
            score=values.get("score", probe.score),
            reason=values["reason"],
        )
        return Response(ProbeSerializer(probe).data)

    @extend_schema(request=ProbeDeleteSerializer, responses={204: None})
    def delete(self, request, probe_id: int):
        probe = self.probe()
        serializer = ProbeDeleteSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        probe_delete(
            district=request.district, actor=request.user, probe=probe, reason=serializer.validated_data["reason"]
        )
        return Response(status=status.HTTP_204_NO_CONTENT)
