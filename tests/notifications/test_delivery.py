"""Delivery tracking (issue 18, item 4): portal views and acknowledgements, bounces, and the
"to call" list of letters no guardian has read after the policy's days."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.management import CommandError, call_command
from django.urls import reverse
from django.utils import timezone

from mtss.tenancy import tenant_context
from notifications.delivery import notice_acknowledged, notice_bounced, notice_viewed
from notifications.models import Channel, DeliveryEvent, LetterType, Notice, NoticeStatus
from notifications.selectors import notice_delivery, notices_to_call
from students.models import Guardian
from tests import factories as f
from tests.notifications.helpers import sample_notice

pytestmark = pytest.mark.django_db


def _sent(side, index, *, days_ago, channel=Channel.PRINT):
    student = side.students[index]
    with tenant_context(side.district):
        guardian = Guardian.objects.filter(district=side.district, student=student).first()
        notice = sample_notice(
            district=side.district,
            student=student,
            guardian=guardian,
            letter_type=LetterType.PLACEMENT_START,
            language="en",
            period_key=f"p{index}",
            save=True,
        )
        Notice.objects.filter(pk=notice.pk).update(
            status=NoticeStatus.SENT, channel=channel, sent_at=timezone.now() - dt.timedelta(days=days_ago)
        )
        notice.refresh_from_db()
    return notice


def _to_call(side):
    with tenant_context(side.district):
        membership = f.membership_of(side.district_admin, side.district)
        return [
            n.pk for n in notices_to_call(district=side.district, membership=membership, today=timezone.localdate())
        ]


def test_a_letter_unread_after_the_policys_days_is_listed_to_call_until_a_guardian_views_it(world):
    side = world.a
    old = _sent(side, 0, days_ago=12)
    recent = _sent(side, 1, days_ago=3)
    acknowledged = _sent(side, 2, days_ago=20)
    assert _to_call(side) == [acknowledged.pk, old.pk]
    with tenant_context(side.district):
        assert notice_viewed(side.district, old, old.guardian) is True
        assert notice_viewed(side.district, old, old.guardian) is False  # the first view is kept
        assert notice_acknowledged(side.district, acknowledged, acknowledged.guardian) is True
        assert DeliveryEvent.objects.filter(district=side.district, notice=old).count() == 1
        delivery = notice_delivery(district=side.district, notice=acknowledged)
    assert delivery["portal_viewed"] is not None and delivery["portal_acknowledged"] is not None
    assert delivery["printed_at"] is None  # sample notices have no print batch
    assert _to_call(side) == []
    assert recent.pk not in _to_call(side)


def test_a_bounced_email_is_listed_to_call_at_once(world):
    side = world.a
    emailed = _sent(side, 0, days_ago=1, channel=Channel.EMAIL)
    assert _to_call(side) == []
    call_command("notice_bounced", "--district", side.district.slug, "--notice", str(emailed.pk), "--reason", "550")
    assert _to_call(side) == [emailed.pk]
    with tenant_context(side.district):
        delivery = notice_delivery(district=side.district, notice=emailed)
        assert notice_bounced(side.district, emailed) is False
    assert delivery["email_sent_at"] == emailed.sent_at and delivery["email_bounced"].detail == "550"


def test_the_bounce_command_names_a_bad_notice(world):
    other = _sent(world.b, 0, days_ago=1, channel=Channel.EMAIL)
    with pytest.raises(CommandError, match="--notice"):
        call_command("notice_bounced", "--district", world.a.district.slug, "--notice", str(other.pk))


def test_the_notices_page_shows_the_letters_to_call(world, login):
    side = world.a
    old = _sent(side, 0, days_ago=15)
    page = login(side.district_admin).get(reverse("notice_list")).content.decode()
    assert 'id="to-call"' in page
    assert reverse("notice_detail", kwargs={"notice_id": old.pk}) in page
    other = login(world.b.district_admin).get(reverse("notice_list")).content.decode()
    assert 'id="to-call"' not in other
