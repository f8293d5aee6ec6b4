"""Writes of the reports app: report subscriptions, their weekly deliveries, and the
district-wide evaluation snapshot. Each takes the district first, runs in a
transaction and records an audit event where a person acted."""

from __future__ import annotations

import datetime as dt
import logging

from django.core.exceptions import ValidationError
from django.core.mail import EmailMessage
from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from interventions.batch_evaluation import evaluate, response_of
from interventions.models import Plan
from mtss.models import AccessLog, District, Membership, School, User
from mtss.permissions import allowed
from mtss.services import audit
from reports import dashboard_snapshot as sql
from reports.documents import weekly_fidelity_pdf
from reports.models import (
    DashboardCount,
    DashboardSnapshot,
    EffectSummary,
    PlanEvaluation,
    ReportDelivery,
    ReportKind,
    ReportSubscription,
)
from reports.selectors import district_areas, effect_summaries
from students.models import SUBGROUPS

log = logging.getLogger(__name__)

CLAIM_SECONDS = 600
MAX_ATTEMPTS = 5


# --- subscriptions ----------------------------------------------------------------------------


def _may_report_on(membership: Membership | None, school: School) -> bool:
    return allowed(membership, "may_view_fidelity", school)


@transaction.atomic
def subscription_set(
    *,
    district: District,
    user: User,
    membership: Membership,
    school: School,
    active: bool,
    kind: str = ReportKind.WEEKLY_FIDELITY,
) -> ReportSubscription:
    """Subscribe (or unsubscribe) the user to a school's weekly report; idempotent."""
    if school.district_id != district.pk or not _may_report_on(membership, school):
        raise ValidationError({"school": _("You cannot subscribe to reports about this school.")})
    if kind not in ReportKind.values:
        raise ValidationError({"kind": _("Unknown report.")})
    subscription, created = ReportSubscription.objects.get_or_create(
        district=district, user=user, school=school, kind=kind, defaults={"is_active": active}
    )
    changed = created or subscription.is_active != active
    if not created and changed:
        subscription.is_active = active
        subscription.save(update_fields=["is_active", "updated_at"])
    if changed:
        audit(
            district=district,
            actor=user,
            verb="report.subscribe" if active else "report.unsubscribe",
            obj=subscription,
            changes={"school": school.pk, "kind": kind},
        )
    return subscription


def week_period(today: dt.date) -> tuple[str, dt.date, dt.date]:
    """The last full week (Monday to Sunday) before `today`, and its ISO key (2026-W46)."""
    this_monday = today - dt.timedelta(days=today.weekday())
    start = this_monday - dt.timedelta(days=7)
    end = this_monday - dt.timedelta(days=1)
    iso = start.isocalendar()
    return f"{iso.year}-W{iso.week:02d}", start, end


def deliveries_due(*, district: District, today: dt.date) -> list[int]:
    """Create (once) this week's delivery of every active subscription; return the ones not yet sent."""
    key, start, end = week_period(today)
    subscriptions = list(
        ReportSubscription.objects.filter(
            district=district, kind=ReportKind.WEEKLY_FIDELITY, is_active=True
        ).values_list("pk", flat=True)
    )
    existing = set(
        ReportDelivery.objects.filter(district=district, period_key=key, subscription_id__in=subscriptions).values_list(
            "subscription_id", flat=True
        )
    )
    ReportDelivery.objects.bulk_create(
        [
            ReportDelivery(district=district, subscription_id=pk, period_key=key, period_start=start, period_end=end)
            for pk in subscriptions
            if pk not in existing
        ],
        ignore_conflicts=True,
    )  # a second beat or worker racing here creates nothing twice
    return list(
        ReportDelivery.objects.filter(
            district=district,
            period_key=key,
            subscription_id__in=subscriptions,
            status__in=[ReportDelivery.Status.PENDING, ReportDelivery.Status.FAILED],
            attempts__lt=MAX_ATTEMPTS,
        ).values_list("pk", flat=True)
    )


def delivery_claim(*, district: District, delivery_id: int) -> bool:
    """Claim a delivery with a conditional update: only one worker sends it."""
    now = timezone.now()
    return bool(
        ReportDelivery.objects.filter(
            Q(claimed_until__isnull=True) | Q(claimed_until__lt=now),
            district=district,
            pk=delivery_id,
            status__in=[ReportDelivery.Status.PENDING, ReportDelivery.Status.FAILED],
        ).update(claimed_until=now + dt.timedelta(seconds=CLAIM_SECONDS))
    )


def delivery_send(*, district: District, delivery_id: int) -> ReportDelivery | None:
    """Build the weekly fidelity PDF for the subscriber's school and e-mail it, once.

    The subscriber's access is checked again at send time: a principal who has
    left the school gets nothing (the delivery is marked skipped and the
    subscription turned off). The PDF holds aggregates only, no student names or
    ids; the export is still recorded in the access log (with no student ids).
    """
    if not delivery_claim(district=district, delivery_id=delivery_id):
        return None
    delivery = ReportDelivery.objects.select_related("subscription__user", "subscription__school").get(
        district=district, pk=delivery_id
    )
    subscription = delivery.subscription
    membership = (
        Membership.objects.filter(district=district, user=subscription.user, is_active=True)
        .select_related("district")
        .first()
    )
    if not subscription.is_active or not _may_report_on(membership, subscription.school):
        with transaction.atomic():
            ReportDelivery.objects.filter(pk=delivery.pk).update(
                status=ReportDelivery.Status.SKIPPED, claimed_until=None
            )
            ReportSubscription.objects.filter(pk=subscription.pk).update(is_active=False)
        delivery.refresh_from_db()
        return delivery
    try:
        pdf = weekly_fidelity_pdf(
            district=district,
            membership=membership,
            school=subscription.school,
            start=delivery.period_start,
            end=delivery.period_end,
        )
        message = EmailMessage(
            subject=_("Weekly fidelity summary: %(school)s, %(start)s to %(end)s")
            % {"school": subscription.school.name, "start": delivery.period_start, "end": delivery.period_end},
            body=_(
                "The weekly intervention-fidelity summary of %(school)s is attached (aggregates only).\n"
                "Sign in to see the plans behind each number."
            )
            % {"school": subscription.school.name},
            to=[subscription.user.email],
        )
        message.attach(f"fidelity-{delivery.period_key}.pdf", pdf, "application/pdf")
        message.send(fail_silently=False)
    except Exception as error:  # noqa: BLE001 - recorded and retried; the log names ids, never data
        log.warning("report delivery %s failed: %s", delivery.pk, type(error).__name__)
        ReportDelivery.objects.filter(pk=delivery.pk).update(
            status=ReportDelivery.Status.FAILED,
            attempts=delivery.attempts + 1,
            last_error=str(error)[:500],
            claimed_until=None,
        )
        raise
    with transaction.atomic():
        ReportDelivery.objects.filter(pk=delivery.pk).update(
            status=ReportDelivery.Status.SENT,
            sent_at=timezone.now(),
            attempts=delivery.attempts + 1,
            pdf_bytes=len(pdf),
            claimed_until=None,
            last_error="",
        )
        AccessLog.objects.create(
            district=district,
            user=subscription.user,
            action=AccessLog.Action.EXPORT,
            what=f"weekly fidelity summary PDF (e-mailed), school {subscription.school_id}",
            student_ids=[],
            student_count=0,
            path=f"job:reports.delivery/{delivery.pk}",
            ip_address=None,
        )
    delivery.refresh_from_db()
    return delivery


# --- the evaluation snapshot --------------------------------------------------------------------


def evaluations_refresh(*, district: District, as_of: dt.date | None = None, actor: User | None = None) -> int:
    """Evaluate every active plan of the district with the batch engine and replace the snapshot.

    Set-based throughout: five reads (evaluation.evaluate with session totals), one
    delete and one bulk insert. Returns the number of plans evaluated.
    """
    as_of = as_of or timezone.localdate()
    plans = Plan.objects.filter(district=district, status=Plan.Status.ACTIVE)
    result = evaluate(district=district, plans=plans, as_of=as_of, sessions="totals")
    meta = {
        pid: (student, school, intervention)
        for pid, student, school, intervention in plans.order_by().values_list(
            "pk", "student_id", "student__school_id", "intervention_id"
        )
    }
    now = timezone.now()

    def number(value):
        return None if value is None or value != value else float(value)

    rows = []
    for plan_id, row in zip(result.index, result.itertuples(index=False), strict=False):
        if plan_id not in meta:
            continue
        student_id, school_id, intervention_id = meta[plan_id]
        rows.append(
            PlanEvaluation(
                district=district,
                plan_id=plan_id,
                student_id=student_id,
                school_id=school_id,
                intervention_id=intervention_id,
                tier=int(row.tier),
                area=row.area,
                as_of=as_of,
                computed_at=now,
                recommendation=row.recommendation,
                response=response_of(row.recommendation) or "",
                roi=number(row.roi),
                goal_roi=number(row.goal_roi),
                sessions_delivered=int(row.sessions_delivered),
                sessions_pct=number(row.sessions_pct),
                status_fidelity=row.status_fidelity,
                policy_label=row.policy,
            )
        )
    with transaction.atomic():
        PlanEvaluation.objects.filter(district=district).delete()
        PlanEvaluation.objects.bulk_create(rows, batch_size=2000)
        # The district-wide effectiveness groups of this snapshot, stored with it (EffectSummary).
        EffectSummary.objects.filter(district=district).delete()
        EffectSummary.objects.bulk_create(effect_summaries(district=district, as_of=as_of, computed_at=now))
        if actor is not None:
            audit(district=district, actor=actor, verb="report.evaluations_refresh", changes={"plans": len(rows)})
    return len(rows)


# --- the district dashboard's counts ------------------------------------------------------------


def dashboard_refresh(*, district: District, actor: User | None = None) -> int:
    """Count the district dashboard's numbers set-based (reports.dashboard_snapshot) and replace
    the district's DashboardCount rows and its DashboardSnapshot stamp. Returns the rows written."""
    columns = ["n", *(f"n_{key}" for key in SUBGROUPS)]
    now = timezone.now()
    rows: list[DashboardCount] = []

    def add(section, school_id, measure, counts, **where):
        rows.append(
            DashboardCount(
                district=district,
                section=section,
                school_id=school_id,
                measure=measure,
                **dict(zip(columns, counts, strict=True)),
                **where,
            )
        )

    totals = {row[0]: row[1:] for row in sql.current_totals(district=district)}
    served = {(school, area, tier): counts for school, area, tier, *counts in sql.served(district=district)}
    areas = {
        "",
        *(area for _s, area, _t in served),
        *(key for key, _n in district_areas(district=district, today=timezone.localdate())),
    }
    zero = (0,) * len(columns)
    for area in sorted(areas):
        for school_id, total in totals.items():
            two, three = served.get((school_id, area, 2), zero), served.get((school_id, area, 3), zero)
            add("tier", school_id, "1", [a - b - c for a, b, c in zip(total, two, three, strict=True)], area=area)
            add("tier", school_id, "2", two, area=area)
            add("tier", school_id, "3", three, area=area)
    for year_id, area, school_id, kind, *counts in sql.movement(district=district):
        add("movement", school_id, kind, counts, area=area, school_year_id=year_id)
    enrolled: dict[tuple[int, int], list[int]] = {}
    for window_id, school_id, screened, *counts in sql.participation(district=district):
        key = (window_id, school_id)
        enrolled[key] = [a + b for a, b in zip(enrolled.get(key, zero), counts, strict=True)]
        if screened:
            add("participation", school_id, "screened", counts, window_id=window_id)
    for (window_id, school_id), counts in enrolled.items():
        add("participation", school_id, "enrolled", counts, window_id=window_id)
    with transaction.atomic():
        DashboardCount.objects.filter(district=district).delete()
        DashboardCount.objects.bulk_create(rows, batch_size=5000)
        DashboardSnapshot.objects.update_or_create(
            district=district, defaults={"computed_at": now, "students": sum(t[0] for t in totals.values())}
        )
        if actor is not None:
            audit(district=district, actor=actor, verb="report.dashboard_refresh", changes={"rows": len(rows)})
    return len(rows)
