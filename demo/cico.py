"""Demo check-in/check-out: point cards for the behavior plans of a seeded district.

Each behavior plan (an area of kind "behavior" in the district's policy, e.g. LAUSD's) gets a
card of the school's periods and the three school-wide expectations, and a daily card for every
school day of the last few weeks, rated 0-2 by period. Set-based: a few bulk inserts whatever
the size. Deterministic: the same district slug gives the same cards.
"""

from __future__ import annotations

import datetime as dt
import random

from interventions.cico.models import RATING_MAX, PointCard, PointCardSetup, PointRating
from interventions.models import Plan, Probe
from mtss.calendars.selectors import non_instructional_by_school
from mtss.models import District
from mtss.selectors import policy_document
from mtss.tenancy import tenant_context

BATCH = 5000
WEEKS = 4
MAX_PLANS = 60
PERIODS = ["Check-in", "Period 1", "Period 2", "Period 3", "Period 4", "Period 5", "Period 6"]
GOALS = ["Be safe", "Be respectful", "Be responsible"]


def seed_point_cards(*, district: District, as_of: dt.date) -> dict:
    """Cards for up to MAX_PLANS active behavior plans, for the school days of the last WEEKS weeks."""
    rng = random.Random(f"{district.slug}-cico")
    with tenant_context(district):
        _version, policy = policy_document(district=district, as_of=as_of)
        if policy is None:
            return {"point_cards": 0}
        areas = [area.key for area in policy.areas if area.kind == "behavior"]
        plans = list(
            Plan.objects.filter(district=district, area__in=areas, status=Plan.Status.ACTIVE, start_date__lt=as_of)
            .values_list("pk", "start_date", "student__school_id", "provider_id")
            .order_by("pk")[:MAX_PLANS]
        )
        if not plans:
            return {"point_cards": 0}
        PointCardSetup.objects.bulk_create(
            [
                PointCardSetup(district=district, plan_id=pk, periods=PERIODS, goals=GOALS, created_by_id=provider)
                for pk, _start, _school, provider in plans
            ],
            batch_size=BATCH,
        )
        first = as_of - dt.timedelta(weeks=WEEKS)
        closed = non_instructional_by_school(
            district=district, school_ids={school for _p, _s, school, _u in plans}, start=first, end=as_of
        )
        # The days that already have a weekly probe on the primary measure keep it (one point a day).
        probed = set(
            Probe.objects.filter(
                district=district, plan_id__in=[p[0] for p in plans], measure__isnull=True, date__gte=first
            ).values_list("plan_id", "date")
        )
        days, probes, ratings_of = [], [], []
        for pk, start, school, provider in plans:
            # How well this student does on the card, and whether it improves (most do on CICO).
            level, gain = rng.choice([0.55, 0.65, 0.75, 0.85]), rng.choice([0.08, 0.04, 0.0, -0.03])
            day = max(first, start)
            while day < as_of:
                if day.weekday() < 5 and day not in closed.get(school, frozenset()) and (pk, day) not in probed:
                    chance = min(0.97, level + gain * (day - first).days / 7)
                    cells = []
                    for period in PERIODS:
                        if rng.random() < 0.05:  # the student was out of the room; the period is not rated
                            continue
                        for goal in GOALS:
                            roll = rng.random()
                            cells.append((period, goal, 2 if roll < chance else 1 if roll < chance + 0.2 else 0))
                    if cells:
                        earned, possible = sum(c[2] for c in cells), len(cells) * RATING_MAX
                        days.append((pk, day, earned, possible))
                        probes.append(
                            Probe(
                                district=district,
                                plan_id=pk,
                                date=day,
                                score=round(100.0 * earned / possible, 1),
                                entered_by_id=provider,
                            )
                        )
                        ratings_of.append((cells, provider))
                day += dt.timedelta(days=1)
        probes = Probe.objects.bulk_create(probes, batch_size=BATCH)
        cards = PointCard.objects.bulk_create(
            [
                PointCard(district=district, plan_id=pk, date=day, points_earned=e, points_possible=p, probe=probe)
                for (pk, day, e, p), probe in zip(days, probes, strict=True)
            ],
            batch_size=BATCH,
        )
        ratings = [
            PointRating(district=district, card=card, period=period, goal=goal, rating=value, rated_by_id=provider)
            for card, (cells, provider) in zip(cards, ratings_of, strict=True)
            for period, goal, value in cells
        ]
        PointRating.objects.bulk_create(ratings, batch_size=BATCH)
        return {"point_card_plans": len(plans), "point_cards": len(cards), "point_ratings": len(ratings)}
