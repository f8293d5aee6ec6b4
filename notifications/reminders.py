"""Reminders to staff: overdue progress probes and team reviews that are due.

One e-mail per provider per ISO week, with counts only (no student names in mail
that may be forwarded); the caseload page lists the students. A StaffReminder row
per (user, kind, week) makes a re-run or a second worker send nothing twice.
"""

from __future__ import annotations

from collections import defaultdict

from django.conf import settings
from django.core.mail import send_mail
from django.db import IntegrityError, transaction
from django.urls import NoReverseMatch, reverse
from django.utils import timezone

from interventions.models import Plan
from interventions.selectors import evaluate_plans, next_probe_due
from mtss.models import District, User
from notifications.models import StaffReminder


def _counts(*, district: District, as_of) -> dict[int, dict[str, int]]:
    plans = list(
        Plan.objects.filter(district=district, status=Plan.Status.ACTIVE).select_related("student", "placement")
    )
    counts: dict[int, dict[str, int]] = defaultdict(lambda: {"overdue_probes": 0, "reviews_due": 0})
    for result in evaluate_plans(district=district, plans=plans, as_of=as_of).values():
        due = next_probe_due(result)
        if due and due < as_of:
            counts[result.plan.provider_id]["overdue_probes"] += 1
        review = result.finding("review_due")
        if review and review.status == "due":
            counts[result.plan.provider_id]["reviews_due"] += 1
    return counts


def staff_reminders_send(*, district: District, as_of=None) -> int:
    as_of = as_of or timezone.localdate()
    year, week, _day = as_of.isocalendar()
    period = f"{year}-W{week:02d}"
    counts = _counts(district=district, as_of=as_of)
    users = {u.pk: u for u in User.objects.filter(pk__in=list(counts), is_active=True)}
    try:
        link = reverse("caseload")
    except NoReverseMatch:
        link = "/interventions/caseload/"
    sent = 0
    for user_id, kinds in counts.items():
        user = users.get(user_id)
        if user is None or not user.email or not any(kinds.values()):
            continue
        try:
            with transaction.atomic():
                reminder = StaffReminder.objects.create(
                    district=district, user=user, kind="caseload", period_key=period, item_count=sum(kinds.values())
                )
        except IntegrityError:
            continue  # already reminded this week
        send_mail(
            subject=f"{district.name}: {kinds['overdue_probes']} overdue probes, {kinds['reviews_due']} reviews due",
            message=(
                f"You have {kinds['overdue_probes']} overdue progress probes and {kinds['reviews_due']} "
                f"team reviews due. Open your caseload to see them: {link}\n"
            ),
            from_email=settings.DEFAULT_FROM_EMAIL,
            recipient_list=[user.email],
        )
        StaffReminder.objects.filter(pk=reminder.pk).update(sent_at=timezone.now())
        sent += 1
    return sent
