"""Reports keep almost nothing of their own: every number is computed from the
interventions, screening and notifications tables when asked. What is stored is
who subscribed to which scheduled report, and each delivery of it (so a beat
that fires twice, or a retried task, never mails the same week twice)."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _

from mtss.models import DistrictOwned


class ReportKind(models.TextChoices):
    WEEKLY_FIDELITY = "weekly_fidelity", _("Weekly fidelity summary (PDF by e-mail)")


class ReportSubscription(DistrictOwned):
    """A staff member's subscription to a scheduled report about one school."""

    user = models.ForeignKey("mtss.User", on_delete=models.CASCADE, related_name="+")
    school = models.ForeignKey("mtss.School", on_delete=models.CASCADE, related_name="+")
    kind = models.CharField(_("report"), max_length=30, choices=ReportKind.choices, default=ReportKind.WEEKLY_FIDELITY)
    is_active = models.BooleanField(_("active"), default=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["school__name"]
        constraints = [
            models.UniqueConstraint(fields=["district", "user", "school", "kind"], name="report_subscription_unique"),
        ]
        # The weekly job: a district's active subscriptions of one kind.
        indexes = [models.Index(fields=["district", "kind", "is_active"], name="report_sub_kind_idx")]

    def __str__(self) -> str:
        return f"{self.get_kind_display()}: {self.school_id}"


class ReportDelivery(DistrictOwned):
    """One period's delivery of a subscription; the unique key is the job's claim."""

    class Status(models.TextChoices):
        PENDING = "pending", _("Pending")
        SENT = "sent", _("Sent")
        FAILED = "failed", _("Failed")
        SKIPPED = "skipped", _("Skipped (no longer allowed)")

    subscription = models.ForeignKey(ReportSubscription, on_delete=models.CASCADE, related_name="deliveries")
    period_key = models.CharField(max_length=20, help_text=_("e.g. 2026-W47"))
    period_start = models.DateField()
    period_end = models.DateField()
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PENDING)
    attempts = models.PositiveSmallIntegerField(default=0)
    last_error = models.TextField(blank=True)
    claimed_until = models.DateTimeField(null=True, blank=True)
    sent_at = models.DateTimeField(null=True, blank=True)
    pdf_bytes = models.PositiveIntegerField(default=0)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-period_start", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["district", "subscription", "period_key"], name="report_delivery_unique"),
        ]


class PlanEvaluation(DistrictOwned):
    """The decision rules' verdict on one active plan, as of `as_of` (a district-wide snapshot).

    District numbers (intervention effectiveness, responding shares, their subgroup
    gaps) read this table: evaluating 10,000 plans needs the whole district's
    attendance (700,000 rows in the 50,000-student demo), which takes about a second
    to sum, so a job does it (nightly, or when an administrator asks) with
    `mtss.rules.batch.evaluate_many`, and the page reads the result in milliseconds.
    The page says as of when. School pages evaluate their own plans live.
    """

    plan = models.ForeignKey("interventions.Plan", on_delete=models.CASCADE, related_name="+")
    student = models.ForeignKey("students.Student", on_delete=models.CASCADE, related_name="+")
    school = models.ForeignKey("mtss.School", on_delete=models.CASCADE, related_name="+")
    intervention = models.ForeignKey("interventions.Intervention", on_delete=models.CASCADE, related_name="+")
    tier = models.PositiveSmallIntegerField()
    area = models.CharField(max_length=40)
    as_of = models.DateField()
    computed_at = models.DateTimeField()
    recommendation = models.CharField(max_length=20)
    # "responding", "not_responding" or "" (not judged: too little data, or low fidelity).
    response = models.CharField(max_length=16, blank=True)
    roi = models.FloatField(null=True)
    goal_roi = models.FloatField(null=True)
    sessions_delivered = models.PositiveIntegerField(default=0)
    sessions_pct = models.FloatField(null=True)
    status_fidelity = models.CharField(max_length=20, blank=True)
    policy_label = models.CharField(max_length=120, blank=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["district", "plan"], name="plan_evaluation_unique")]
        # The effectiveness table: one district's rows grouped by intervention.
        indexes = [models.Index(fields=["district", "intervention"], name="plan_eval_intervention_idx")]
