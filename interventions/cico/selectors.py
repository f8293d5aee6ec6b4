"""Reads for check-in/check-out: a plan's point-card setup, one day's card as a grid, recent cards."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from interventions.cico.models import PointCard, PointCardSetup, PointRating
from interventions.models import Plan
from mtss.models import District


def point_card_setup(*, district: District, plan: Plan) -> PointCardSetup | None:
    return PointCardSetup.objects.filter(district=district, plan=plan).select_related("measure").first()


@dataclass(frozen=True)
class CardRow:
    """One period of a day's card: the rating of each goal (None: not rated yet)."""

    period: str
    index: int
    cells: list[tuple[int, str, int | None]]  # (goal index, goal, rating)

    @property
    def rated(self) -> bool:
        return any(rating is not None for _i, _g, rating in self.cells)


def point_card_grid(
    *, district: District, plan: Plan, setup: PointCardSetup, date: dt.date
) -> tuple[PointCard | None, list[CardRow]]:
    """The day's card (None before its first rating) and one row per period of the setup."""
    card = PointCard.objects.filter(district=district, plan=plan, date=date).first()
    given: dict[tuple[str, str], int] = {}
    if card is not None:
        given = {
            (r.period, r.goal): r.rating
            for r in PointRating.objects.filter(district=district, card=card).only("period", "goal", "rating")
        }
    rows = [
        CardRow(
            period=period,
            index=p,
            cells=[(g, goal, given.get((period, goal))) for g, goal in enumerate(setup.goals)],
        )
        for p, period in enumerate(setup.periods)
    ]
    return card, rows


def point_cards_between(*, district: District, plan: Plan, start: dt.date, end: dt.date) -> list[PointCard]:
    """The plan's cards dated start..end (inclusive) that have at least one rating, oldest first."""
    return list(
        PointCard.objects.filter(
            district=district, plan=plan, date__gte=start, date__lte=end, points_possible__gt=0
        ).order_by("date")
    )


@dataclass(frozen=True)
class CardSummary:
    """The days of a period (one day or a week) on a plan's point card, for the parent notice."""

    start: dt.date
    end: dt.date
    days: list[tuple[dt.date, float]]  # (date, percent)
    goal_percent: float
    points_earned: int
    points_possible: int

    @property
    def percent(self) -> float | None:
        if not self.points_possible:
            return None
        return round(100.0 * self.points_earned / self.points_possible, 1)

    @property
    def days_at_goal(self) -> int:
        return sum(1 for _d, percent in self.days if percent >= self.goal_percent)


def point_card_summary(
    *, district: District, plan: Plan, setup: PointCardSetup, start: dt.date, end: dt.date
) -> CardSummary:
    cards = point_cards_between(district=district, plan=plan, start=start, end=end)
    return CardSummary(
        start=start,
        end=end,
        days=[(card.date, card.percent) for card in cards],
        goal_percent=setup.daily_goal_percent,
        points_earned=sum(card.points_earned for card in cards),
        points_possible=sum(card.points_possible for card in cards),
    )
