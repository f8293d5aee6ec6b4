"""A teacher rates a check-in/check-out card on a tablet (768 px): one tap per rating on big
0/1/2 buttons, saved with one button, the total shown; axe-core finds no serious violation
and the page does not scroll sideways (issue 17, item 3)."""

from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse
from playwright.sync_api import expect

from interventions.cico.models import PointCard
from mtss.tenancy import tenant_context
from tests.browser.conftest import axe_check, sign_in, visit
from tests.interventions.cico_fixtures import START

pytestmark = pytest.mark.browser
DAY = START + dt.timedelta(days=2)


def test_a_teacher_rates_a_card_with_one_tap_per_rating_at_768_px(cico, page, live_server):
    side, plan = cico["side"], cico["plan"]
    page.set_viewport_size({"width": 768, "height": 1024})
    sign_in(page, live_server, side.teacher)
    visit(page, reverse("point_card", args=[plan.pk]) + f"?date={DAY.isoformat()}")
    scroll_width, inner = page.evaluate("() => [document.scrollingElement.scrollWidth, window.innerWidth]")
    assert scroll_width <= inner, f"the card scrolls sideways at 768 px ({scroll_width} > {inner})"
    # A rating button is big enough to tap (at least 44 px, WCAG 2.5.5).
    box = page.locator("label[for='r_1_0_2']").bounding_box()
    assert box["height"] >= 44 and box["width"] >= 44, box
    # Period 1: tap 2 for "Be safe", 1 for "Be respectful"; then correct "Be respectful" to 2.
    page.locator("label[for='r_1_0_2']").click()
    page.locator("label[for='r_1_1_1']").click()
    page.locator("label[for='r_1_1_2']").click()
    expect(page.locator("#r_1_1_2")).to_be_checked()
    expect(page.locator("#r_1_1_1")).not_to_be_checked()
    page.get_by_role("button", name="Save ratings").click()
    expect(page.locator("#card-total")).to_contain_text("4 of 4 points (100.0 %)")
    expect(page.locator("#r_1_0_2")).to_be_checked()
    axe_check(page)
    with tenant_context(side.district):
        card = PointCard.objects.get(plan=plan, date=DAY)
        assert (card.points_earned, card.points_possible) == (4, 4)
