"""Reads of notices, scoped by district and by which students the user may see
(students.access.visible_students): a notice is as private as its student."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from django.db.models import Count, Exists, OuterRef, Q, QuerySet
from django.http import Http404

from mtss.models import District, Membership
from mtss.policy.schema import ParentContact
from mtss.selectors import policy_document, school_list
from notifications.models import (
    Channel,
    DeliveryEvent,
    DeliveryKind,
    DistrictLanguage,
    LetterSettings,
    LetterText,
    Notice,
    NoticeEvent,
    NoticeStatus,
    PrintBatch,
)
from students.access import visible_students

MAX_PAGE = 100


@dataclass(frozen=True)
class NoticeFilters:
    status: str | None = None
    letter_type: str | None = None
    school_id: int | None = None
    student_id: int | None = None


def visible_notices(*, district: District, membership: Membership) -> QuerySet[Notice]:
    students = visible_students(district=district, membership=membership).values("id")
    return Notice.objects.filter(district=district, student_id__in=students)


def notice_list(*, district: District, membership: Membership, filters: NoticeFilters) -> QuerySet[Notice]:
    notices = visible_notices(district=district, membership=membership)
    if filters.status:
        notices = notices.filter(status=filters.status)
    if filters.letter_type:
        notices = notices.filter(letter_type=filters.letter_type)
    if filters.school_id:
        notices = notices.filter(school_id=filters.school_id)
    if filters.student_id:
        notices = notices.filter(student_id=filters.student_id)
    return notices.select_related("student", "school").order_by("-created_at", "-id")


def notice_get(*, district: District, membership: Membership, notice_id: int) -> Notice:
    """One notice of a student the user may see, else 404 (missing and not-yours alike)."""
    try:
        return (
            visible_notices(district=district, membership=membership)
            .select_related("student", "school", "school__principal", "guardian", "acknowledged_by", "print_batch")
            .get(pk=notice_id)
        )
    except Notice.DoesNotExist:
        raise Http404 from None


def notice_events(*, district: District, notice: Notice) -> list[NoticeEvent]:
    return list(
        NoticeEvent.objects.filter(district=district, notice=notice).select_related("actor").order_by("at", "id")
    )


def student_notices(*, district: District, student) -> list[Notice]:
    """A student's notice history with each notice's events: two queries."""
    notices = list(
        Notice.objects.filter(district=district, student=student)
        .select_related("school")
        .order_by("-created_at", "-id")
    )
    events: dict[int, list] = {}
    for event in NoticeEvent.objects.filter(district=district, notice__in=[n.pk for n in notices]).order_by("at", "id"):
        events.setdefault(event.notice_id, []).append(event)
    for notice in notices:
        notice.history = events.get(notice.pk, [])
    return notices


def status_counts(*, district: District, membership: Membership) -> dict[str, int]:
    rows = visible_notices(district=district, membership=membership).values("status").annotate(n=Count("id"))
    return {row["status"]: row["n"] for row in rows}


def print_queue(*, district: District, membership: Membership) -> list[dict]:
    """Per school the user may print for: how many printed letters wait for a batch."""
    schools = list(school_list(district=district, membership=membership))
    waiting = dict(
        Notice.objects.filter(
            district=district,
            school__in=schools,
            channel=Channel.PRINT,
            status=NoticeStatus.GENERATED,
            print_batch__isnull=True,
        )
        .values_list("school_id")
        .annotate(n=Count("id"))
        .values_list("school_id", "n")
    )
    return [{"school": s, "waiting": waiting.get(s.pk, 0)} for s in schools]


def print_batches(*, district: District, membership: Membership, limit: int = 20) -> list[PrintBatch]:
    schools = school_list(district=district, membership=membership).values("id")
    return list(
        PrintBatch.objects.filter(district=district, school_id__in=schools)
        .select_related("school", "created_by")
        .order_by("-created_at")[:limit]
    )


def print_batch_get(*, district: District, membership: Membership, batch_id: int) -> PrintBatch:
    schools = school_list(district=district, membership=membership).values("id")
    try:
        return PrintBatch.objects.select_related("school").get(district=district, school_id__in=schools, pk=batch_id)
    except PrintBatch.DoesNotExist:
        raise Http404 from None


def language_reviews(*, district: District) -> dict[str, DistrictLanguage]:
    return {row.language: row for row in DistrictLanguage.objects.filter(district=district)}


def letter_settings(*, district: District) -> LetterSettings | None:
    return LetterSettings.objects.filter(district=district).first()


def letter_texts(*, district: District) -> list[LetterText]:
    return list(LetterText.objects.filter(district=district).order_by("key", "language"))


def failures(*, district: District, now=None) -> QuerySet[Notice]:
    """The administrator's failures list: failed notices, those marked maybe sent (a worker
    stopped mid-delivery), and deliveries stalled now (the mail server has had them for longer
    than two mail timeouts: the sweeper marks them maybe sent once the claim runs out)."""
    import datetime as dt

    from django.conf import settings
    from django.db.models import Q
    from django.utils import timezone

    now = now or timezone.now()
    stalled = Q(send_started_at__lt=now - dt.timedelta(seconds=2 * (settings.EMAIL_TIMEOUT or 30))) & ~Q(
        status=NoticeStatus.SENT
    )
    return (
        Notice.objects.filter(district=district)
        .filter(Q(status__in=[NoticeStatus.FAILED, NoticeStatus.MAYBE_SENT]) | stalled)
        .select_related("student", "school")
        .order_by("-created_at")
    )


def notices_for_student(*, district: District, student) -> QuerySet[Notice]:
    """Every notice about one student, oldest first (the referral packet's parent contacts).
    The caller has already checked that the user may see the student."""
    return (
        Notice.objects.filter(district=district, student=student).select_related("school").order_by("created_at", "id")
    )


def current_school_year(*, district: District, today=None):
    """The school year that covers today (the start-of-year letters' year)."""
    from django.utils import timezone

    from mtss.models import SchoolYear

    today = today or timezone.localdate()
    return (
        SchoolYear.objects.filter(district=district, start_date__lte=today, end_date__gte=today)
        .order_by("-start_date")
        .first()
    )


def call_after_days(*, district: District, today) -> int:
    """The policy's `parent_contact.call_when_unread_after_days` (10 without a policy)."""
    _, document = policy_document(district=district, as_of=today)
    if document is None:
        return ParentContact.model_fields["call_when_unread_after_days"].default
    return document.parent_contact.call_when_unread_after_days


def notices_to_call(*, district: District, membership: Membership, today, limit: int = 200) -> list[Notice]:
    """Letters to follow up by phone (issue 18, item 4): sent to a guardian at least the policy's
    days ago and neither viewed nor acknowledged since (in the portal, or by staff), or whose
    e-mail bounced. Oldest first: the family waiting longest is called first."""
    days = call_after_days(district=district, today=today)
    cutoff = dt.datetime.combine(today - dt.timedelta(days=days), dt.time.min, tzinfo=ZoneInfo(district.timezone))
    events = DeliveryEvent.objects.filter(district=district, notice=OuterRef("pk"))
    seen = Exists(events.filter(kind__in=[DeliveryKind.PORTAL_VIEWED, DeliveryKind.PORTAL_ACKNOWLEDGED]))
    bounced = Exists(events.filter(kind=DeliveryKind.EMAIL_BOUNCED))
    return list(
        visible_notices(district=district, membership=membership)
        .filter(guardian__isnull=False, status=NoticeStatus.SENT, acknowledged_at__isnull=True)
        .annotate(seen=seen, bounced=bounced)
        .filter(Q(bounced=True) | Q(seen=False, sent_at__lt=cutoff))
        .select_related("student", "guardian", "print_batch")
        .order_by("sent_at", "id")[:limit]
    )


def notice_delivery(*, district: District, notice: Notice) -> dict:
    """Per notice (so per guardian): e-mail sent/bounced, print batch and date, portal viewed/acknowledged."""
    events = {e.kind: e for e in DeliveryEvent.objects.filter(district=district, notice=notice)}
    return {
        "email_sent_at": notice.sent_at if notice.channel == Channel.EMAIL else None,
        "email_bounced": events.get("email_bounced"),
        "print_batch": notice.print_batch if notice.print_batch_id else None,
        "printed_at": notice.sent_at if notice.print_batch_id else None,
        "portal_viewed": events.get("portal_viewed"),
        "portal_acknowledged": events.get("portal_acknowledged"),
    }
