"""Writes for check-in/check-out: a behavior plan's point-card setup and its daily ratings.

Every rating write recomputes the card's total and keeps its probe (the day's
percentage on the plan's point-card measure) in step, in the same transaction, so
the chart, the decision rules and the reports see the card as soon as it is saved.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Count, Sum
from django.utils import timezone
from django.utils.translation import gettext as _

from interventions.cico.models import (
    MAX_GOALS,
    MAX_PERIODS,
    RATING_MAX,
    RATING_MIN,
    PointCard,
    PointCardSetup,
    PointRating,
)
from interventions.cico.selectors import point_card_setup
from interventions.models import Plan, PlanMeasure, Probe
from mtss.constraints import friendly_constraints
from mtss.models import District, User
from mtss.selectors import policy_document
from mtss.services import audit


@dataclass(frozen=True)
class RatingInput:
    """One posted rating; ``line`` names it in error messages ("line 3", "Period 2, Be safe")."""

    period: str
    goal: str
    rating: object
    line: str = ""


def plan_is_behavior(*, district: District, plan: Plan) -> bool:
    """Whether the plan's area is of kind "behavior" in the district's policy."""
    _version, policy = policy_document(district=district)
    if policy is None:
        return False
    try:
        return policy.area(plan.area).kind == "behavior"
    except LookupError:
        return False


def _clean_names(raw: Iterable[str] | str, *, field: str, label: str, limit: int, length: int) -> list[str]:
    items = raw.splitlines() if isinstance(raw, str) else list(raw)
    names, seen, errors = [], set(), []
    for item in items:
        name = " ".join(str(item).split())
        if not name:
            continue
        if len(name) > length:
            errors.append(_("“%(n)s” is longer than %(m)s characters.") % {"n": name[:30], "m": length})
        elif name.casefold() in seen:
            errors.append(_("“%(n)s” is listed twice.") % {"n": name})
        else:
            seen.add(name.casefold())
            names.append(name)
    if not names:
        errors.append(_("Give at least one %(label)s.") % {"label": label})
    if len(names) > limit:
        errors.append(_("At most %(m)s %(label)s entries.") % {"m": limit, "label": label})
    if errors:
        raise ValidationError({field: errors})
    return names


@transaction.atomic
def point_card_setup_save(
    *,
    district: District,
    actor: User | None,
    plan: Plan,
    periods: Iterable[str] | str,
    goals: Iterable[str] | str,
    daily_goal_percent: float | None = None,
    measure: PlanMeasure | None = None,
    parent_summary: str | None = None,
) -> PointCardSetup:
    """Create or change a behavior plan's point card (its periods, goals and daily goal)."""
    if plan.district_id != district.pk:
        raise ValidationError(_("Unknown plan."))
    if not plan_is_behavior(district=district, plan=plan):
        raise ValidationError(
            {"plan": [_("Point cards belong to behavior plans; this plan's area is not a behavior area.")]}
        )
    if measure is not None and (measure.district_id != district.pk or measure.plan_id != plan.pk):
        raise ValidationError({"measure": [_("Not a measure of this plan.")]})
    errors: dict[str, list[str]] = {}
    clean: dict[str, list[str]] = {}
    for field, raw, label, limit, length in (
        ("periods", periods, _("period"), MAX_PERIODS, 60),
        ("goals", goals, _("goal"), MAX_GOALS, 120),
    ):
        try:
            clean[field] = _clean_names(raw, field=field, label=label, limit=limit, length=length)
        except ValidationError as error:
            errors.update(error.message_dict)
    if parent_summary is not None and parent_summary not in PointCardSetup.ParentSummary.values:
        errors["parent_summary"] = [_("Summary to the family: daily, weekly or off.")]
    if daily_goal_percent is not None and not 0 < daily_goal_percent <= 100:
        errors["daily_goal_percent"] = [_("Daily goal: a percentage above 0 and at most 100.")]
    if errors:
        raise ValidationError(errors)
    setup = point_card_setup(district=district, plan=plan)
    before = None
    if setup is None:
        setup = PointCardSetup(district=district, plan=plan, created_by=actor)
    else:
        before = {"periods": setup.periods, "goals": setup.goals, "goal": setup.daily_goal_percent}
    setup.periods, setup.goals, setup.measure = clean["periods"], clean["goals"], measure
    if daily_goal_percent is not None:
        setup.daily_goal_percent = daily_goal_percent
    if parent_summary is not None:
        setup.parent_summary = parent_summary
    with friendly_constraints():
        setup.save()
    audit(
        district=district,
        actor=actor,
        verb="point_card_setup.save",
        obj=plan,
        changes={
            "before": before,
            "after": {
                "periods": setup.periods,
                "goals": setup.goals,
                "goal": setup.daily_goal_percent,
                "parent_summary": setup.parent_summary,
            },
        },
    )
    return setup


def _rating_value(raw: object) -> int | None:
    """0, 1 or 2 from an int or its text; anything else (2.5, "3", -1, True) is None."""
    if isinstance(raw, bool):
        return None
    if isinstance(raw, int):
        value = raw
    elif isinstance(raw, float) and raw.is_integer():
        value = int(raw)
    elif isinstance(raw, str) and raw.strip().lstrip("-").isdigit():
        value = int(raw.strip())
    else:
        return None
    return value if RATING_MIN <= value <= RATING_MAX else None


@transaction.atomic
def point_card_rate(
    *,
    district: District,
    actor: User | None,
    plan: Plan,
    date: dt.date,
    ratings: Sequence[RatingInput],
    note: str | None = None,
) -> PointCard:
    """Record ratings on the plan's card of ``date`` (creating the card), all checked before any is
    written. A rating already given for a period and goal is replaced (a teacher corrects a tap)."""
    if plan.district_id != district.pk:
        raise ValidationError(_("Unknown plan."))
    setup = point_card_setup(district=district, plan=plan)
    if setup is None:
        raise ValidationError({"plan": [_("This plan has no point card yet; set its periods and goals first.")]})
    errors: list[str] = []
    today = timezone.localdate()
    if date > today:
        errors.append(_("Date: %(d)s is in the future.") % {"d": date})
    elif date < plan.start_date:
        errors.append(_("Date: %(d)s is before the plan started (%(s)s).") % {"d": date, "s": plan.start_date})
    if plan.status != Plan.Status.ACTIVE:
        errors.append(_("The plan is not active; cards are kept for active plans."))
    periods, goals = set(setup.periods), set(setup.goals)
    cells: dict[tuple[str, str], int] = {}
    for item in ratings:
        prefix = f"{item.line}: " if item.line else ""
        if item.period not in periods:
            errors.append(prefix + _("“%(p)s” is not a period of this card.") % {"p": str(item.period)[:60]})
            continue
        if item.goal not in goals:
            errors.append(prefix + _("“%(g)s” is not a goal of this card.") % {"g": str(item.goal)[:120]})
            continue
        value = _rating_value(item.rating)
        if value is None:
            errors.append(
                prefix
                + _("Rating “%(r)s” for %(p)s, %(g)s: give 0, 1 or 2 points.")
                % {"r": str(item.rating)[:20], "p": item.period, "g": item.goal}
            )
            continue
        cells[(item.period, item.goal)] = value
    if not cells and not errors and note is None:
        errors.append(_("Give at least one rating."))
    if errors:
        raise ValidationError({"ratings": errors})
    card, _created = PointCard.objects.select_for_update().get_or_create(district=district, plan=plan, date=date)
    existing = {(r.period, r.goal): r for r in PointRating.objects.filter(district=district, card=card)}
    new, changed = [], []
    for (period, goal), value in cells.items():
        rating = existing.get((period, goal))
        if rating is None:
            new.append(
                PointRating(district=district, card=card, period=period, goal=goal, rating=value, rated_by=actor)
            )
        elif rating.rating != value:
            rating.rating, rating.rated_by = value, actor
            changed.append(rating)
    PointRating.objects.bulk_create(new)
    for rating in changed:
        rating.save(update_fields=["rating", "rated_by", "rated_at"])
    if note is not None:
        card.note = note.strip()
    _card_total(district=district, card=card, setup=setup, actor=actor)
    audit(
        district=district,
        actor=actor,
        verb="point_card.rate",
        obj=plan,
        changes={"date": date.isoformat(), "new": len(new), "changed": len(changed)},
    )
    return card


def _card_total(*, district: District, card: PointCard, setup: PointCardSetup, actor: User | None) -> None:
    """The card's points and its probe: percentage of the points possible for the cells rated.

    A period without ratings (the student was absent, a substitute forgot) is not counted as
    zero: CICO percentages are of the points possible for the periods rated (Crone, Hawken &
    Horner 2010, the daily progress report)."""
    totals = PointRating.objects.filter(district=district, card=card).aggregate(earned=Sum("rating"), rated=Count("id"))
    card.points_earned, card.points_possible = totals["earned"] or 0, totals["rated"] * RATING_MAX
    percent = card.percent
    if percent is None:
        if card.probe_id:
            Probe.objects.filter(district=district, pk=card.probe_id).delete()
            card.probe = None
    elif card.probe_id:
        Probe.objects.filter(district=district, pk=card.probe_id).update(score=percent, measure=setup.measure)
    else:
        card.probe = Probe.objects.create(
            district=district, plan=card.plan, date=card.date, score=percent, measure=setup.measure, entered_by=actor
        )
    card.save(update_fields=["points_earned", "points_possible", "note", "probe", "updated_at"])
