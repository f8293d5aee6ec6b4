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


class EffectSummary(DistrictOwned):
    """One row of the district-wide effectiveness table, computed with the evaluation snapshot.

    The district dashboard of a district administrator groups every PlanEvaluation row
    (80,000 at 400,000 students, about a second per view with the subgroup flags); the
    numbers only change when the snapshot does, so `evaluations_refresh` groups them once,
    in the same transaction. ``group`` is "intervention" (``key`` = its id), "subgroup"
    (``key`` = a students.models.SUBGROUPS key) or "all"; ``area`` "" is across areas.
    Views narrower than the district (a principal's schools) still group live.
    """

    area = models.CharField(max_length=40, blank=True)
    group = models.CharField(max_length=16)
    key = models.CharField(max_length=40)
    plans = models.PositiveIntegerField(default=0)
    responding = models.PositiveIntegerField(default=0)
    not_responding = models.PositiveIntegerField(default=0)
    growth_n = models.PositiveIntegerField(default=0)
    median_ratio = models.FloatField(null=True)
    median_roi = models.FloatField(null=True)
    median_goal_roi = models.FloatField(null=True)
    as_of = models.DateField()
    computed_at = models.DateTimeField()

    class Meta:
        indexes = [models.Index(fields=["district", "area"], name="effect_summary_area_idx")]


class DashboardSnapshot(DistrictOwned):
    """When the district dashboard's counts (DashboardCount) were last computed: one row per district.

    The dashboard's tier distribution, tier movement and screening participation are
    counts over every student of the district; counting them per request grew with the
    district (issue 16, item 7: PostgreSQL's JIT once spent 8.4 s compiling one of them).
    A job counts them set-based in SQL (nightly with the evaluation snapshot, or when an
    administrator asks) and the page reads a few rows per school, saying as of when.
    """

    computed_at = models.DateTimeField()
    students = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["district"], name="dashboard_snapshot_unique")]


class DashboardCount(DistrictOwned):
    """One count of the district dashboard for one school, with its split by subgroup.

    ``section`` says which table it feeds and ``measure`` which number:

    * "tier": students currently in tier ``measure`` ("1", "2", "3" = Tier 3 and above),
      for one ``area`` ("" = across areas);
    * "movement": tier moves of the ``school_year`` ("entries", "exits", "up", "down"),
      per ``area`` (across areas is their sum);
    * "participation": per screening ``window``, students "enrolled" on its last day and
      those of them "screened".

    Per school, so a principal's view keeps only the membership's schools; the page sums
    the subgroup columns (``n_<key>``, one per students.models.SUBGROUPS key).
    """

    class Section(models.TextChoices):
        TIER = "tier", "tier"
        MOVEMENT = "movement", "movement"
        PARTICIPATION = "participation", "participation"

    section = models.CharField(max_length=16, choices=Section.choices)
    school = models.ForeignKey("mtss.School", on_delete=models.CASCADE, related_name="+")
    area = models.CharField(max_length=40, blank=True)
    school_year = models.ForeignKey("mtss.SchoolYear", null=True, on_delete=models.CASCADE, related_name="+")
    window = models.ForeignKey("screening.ScreeningWindow", null=True, on_delete=models.CASCADE, related_name="+")
    measure = models.CharField(max_length=16)
    n = models.PositiveIntegerField(default=0)
    n_english_learner = models.PositiveIntegerField(default=0)
    n_standard_english_learner = models.PositiveIntegerField(default=0)
    n_disability_iep = models.PositiveIntegerField(default=0)
    n_section_504 = models.PositiveIntegerField(default=0)
    n_foster = models.PositiveIntegerField(default=0)
    n_homeless = models.PositiveIntegerField(default=0)
    n_socioeconomically_disadvantaged = models.PositiveIntegerField(default=0)
    n_gifted = models.PositiveIntegerField(default=0)
    n_expelled = models.PositiveIntegerField(default=0)

    class Meta:
        # The page: one district's rows of one section (and year or area).
        indexes = [models.Index(fields=["district", "section", "area"], name="dashboard_count_section_idx")]
