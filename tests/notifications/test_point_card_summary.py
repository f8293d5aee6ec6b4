"""The check-in/check-out card summary to the family (issue 17, item 3): daily or weekly, in the
guardian's language, once per period, only when a card was rated."""

from __future__ import annotations

import datetime as dt

import pytest

from interventions.cico.models import PointCardSetup
from interventions.cico.services import RatingInput, point_card_rate
from mtss.tenancy import tenant_context
from notifications.letters.render import letter_context, render_html
from notifications.models import LetterType, Notice
from notifications.services import point_card_summaries_create
from tests.interventions.cico_fixtures import START

pytestmark = pytest.mark.django_db
MONDAY = START + dt.timedelta(weeks=1)
FRIDAY = MONDAY + dt.timedelta(days=4)


def _summary(cico, kind: str):
    with tenant_context(cico["side"].district):
        PointCardSetup.objects.filter(pk=cico["setup"].pk).update(parent_summary=kind)


def _rate(cico, day, cells):
    side = cico["side"]
    with tenant_context(side.district):
        point_card_rate(
            district=side.district,
            actor=side.teacher,
            plan=cico["plan"],
            date=day,
            ratings=[RatingInput(period=p, goal=g, rating=r) for p, g, r in cells],
        )


def test_a_daily_summary_goes_to_the_guardian_in_spanish_once(cico):
    side, plan = cico["side"], cico["plan"]
    _summary(cico, "daily")
    _rate(cico, MONDAY, [("Check-in", "Be safe", 2), ("Check-in", "Be respectful", 1)])
    with tenant_context(side.district):
        created = point_card_summaries_create(district=side.district, as_of=MONDAY)
        assert [(n.letter_type, n.language, n.period_key) for n in created] == [
            (LetterType.POINT_CARD_SUMMARY, "es", f"{plan.pk}-day-{MONDAY.isoformat()}")
        ]
        # A re-run (a retry, a second worker) writes nothing.
        assert point_card_summaries_create(district=side.district, as_of=MONDAY) == []
        notice = Notice.objects.get(pk=created[0].pk)
        html = render_html(letter_context(district=side.district, notice=notice))
    assert "Tarjeta diaria de conducta" in html
    assert "Puntos obtenidos: 3 de 4 (75%). La meta diaria es 80%." in html


def test_no_letter_for_a_day_without_ratings_or_a_plan_that_asks_for_none(cico):
    side = cico["side"]
    _rate(cico, MONDAY, [("Check-in", "Be safe", 2)])
    with tenant_context(side.district):
        assert point_card_summaries_create(district=side.district, as_of=MONDAY) == []  # parent_summary "off"
    _summary(cico, "daily")
    with tenant_context(side.district):
        assert point_card_summaries_create(district=side.district, as_of=MONDAY + dt.timedelta(days=1)) == []


def test_the_weekly_summary_goes_on_friday_with_the_weeks_days(cico):
    side = cico["side"]
    _summary(cico, "weekly")
    for offset, rating in enumerate([2, 2, 1, 0, 2]):
        _rate(
            cico,
            MONDAY + dt.timedelta(days=offset),
            [("Period 1", "Be safe", rating), ("Period 1", "Be respectful", 2)],
        )
    with tenant_context(side.district):
        assert point_card_summaries_create(district=side.district, as_of=FRIDAY - dt.timedelta(days=1)) == []
        (notice,) = point_card_summaries_create(district=side.district, as_of=FRIDAY)
        assert notice.context["start"] == MONDAY.isoformat() and notice.context["end"] == FRIDAY.isoformat()
        year, week, _ = FRIDAY.isocalendar()
        assert notice.period_key.endswith(f"week-{year}-W{week:02d}")
        # The guardian reads Spanish (tests/factories.make_guardian): the letter is in Spanish.
        html = render_html(letter_context(district=side.district, notice=notice))
    # Percentages 100, 100, 75, 50, 100: 17 of 20 points; the 80 % goal met on 3 of 5 days.
    assert "Puntos obtenidos: 17 de 20 (85%)" in html
    assert "La meta se cumplió en 3 de 5 días." in html
