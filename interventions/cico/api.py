"""API of check-in/check-out: a plan's daily point cards (plans/<id>/point-cards/)."""

from __future__ import annotations

import datetime as dt

from drf_spectacular.utils import extend_schema
from rest_framework import generics, serializers, status
from rest_framework.response import Response

from interventions.cico.models import PointCard
from interventions.cico.services import RatingInput, point_card_rate
from interventions.selectors import plan_get
from mtss import access_log
from mtss.api_permissions import require

MAX_RATINGS = 200  # 12 periods x 6 goals is the largest card; anything longer is not a card


class PointCardSerializer(serializers.ModelSerializer):
    percent = serializers.FloatField(read_only=True, allow_null=True)
    ratings = serializers.SerializerMethodField()

    class Meta:
        model = PointCard
        fields = ["id", "date", "points_earned", "points_possible", "percent", "note", "ratings"]
        read_only_fields = fields

    def get_ratings(self, card) -> list[dict]:
        return [{"period": r.period, "goal": r.goal, "rating": r.rating} for r in card.ratings.all()]


class RatingSerializer(serializers.Serializer):
    period = serializers.CharField()
    goal = serializers.CharField()
    rating = serializers.IntegerField(min_value=0, max_value=2)


class PointCardRateSerializer(serializers.Serializer):
    date = serializers.DateField()
    ratings = RatingSerializer(many=True)
    note = serializers.CharField(required=False, allow_blank=True, max_length=500)


def _ratings(data) -> list[RatingInput]:
    """The posted ratings, each named by its line; the service checks periods, goals and 0..2."""
    items = data.get("ratings") if isinstance(data, dict) else None
    if not isinstance(items, list) or not items:
        raise serializers.ValidationError({"ratings": ["Give a list of ratings, each with period, goal and rating."]})
    if len(items) > MAX_RATINGS:
        raise serializers.ValidationError({"ratings": [f"At most {MAX_RATINGS} ratings at once."]})
    rows, errors = [], []
    for index, item in enumerate(items, start=1):
        if not isinstance(item, dict) or not all(item.get(key) not in (None, "") for key in ("period", "goal")):
            errors.append(f"line {index}: give a period, a goal and a rating.")
            continue
        rows.append(
            RatingInput(
                period=str(item["period"]), goal=str(item["goal"]), rating=item.get("rating"), line=f"line {index}"
            )
        )
    if errors:
        raise serializers.ValidationError({"ratings": errors})
    return rows


class PlanPointCards(generics.GenericAPIView):
    serializer_class = PointCardSerializer
    pagination_class = None

    def plan(self):
        return plan_get(
            district=self.request.district, membership=self.request.membership, plan_id=self.kwargs["plan_id"]
        )

    @extend_schema(responses=PointCardSerializer(many=True))
    def get(self, request, plan_id: int):
        plan = self.plan()
        cards = PointCard.objects.filter(district=request.district, plan=plan).prefetch_related("ratings")
        access_log.record(request._request, action="api_read", what="point cards", student_ids=[plan.student_id])
        return Response(PointCardSerializer(cards.order_by("date"), many=True).data)

    @extend_schema(request=PointCardRateSerializer, responses={201: PointCardSerializer})
    def post(self, request, plan_id: int):
        plan = self.plan()
        require(request, "may_rate_point_card", plan)
        raw_date = request.data.get("date") if isinstance(request.data, dict) else None
        try:
            date = dt.date.fromisoformat(str(raw_date))
        except ValueError:
            raise serializers.ValidationError({"date": [f"“{raw_date}” is not a date (YYYY-MM-DD)."]}) from None
        note = request.data.get("note")
        card = point_card_rate(
            district=request.district,
            actor=request.user,
            plan=plan,
            date=date,
            ratings=_ratings(request.data),
            note=str(note) if note is not None else None,
        )
        card = PointCard.objects.prefetch_related("ratings").get(district=request.district, pk=card.pk)
        return Response(PointCardSerializer(card).data, status=status.HTTP_201_CREATED)
