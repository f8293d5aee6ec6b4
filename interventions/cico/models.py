"""Point-card models of check-in/check-out (see interventions/cico/__init__.py for the sources).

Imported by interventions/models.py so that Django finds them in the interventions app.
"""

from __future__ import annotations

from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from mtss.models import DistrictOwned

#: Each teacher rates each goal 0, 1 or 2 for their period (Crone, Hawken & Horner 2010:
#: 2 = met the expectation, 1 = partly, 0 = not met).
RATING_MIN, RATING_MAX = 0, 2
#: The customary daily CICO goal: 80 % of the possible points (Crone, Hawken & Horner 2010;
#: Hawken et al. 2014). A plan may set another.
DEFAULT_DAILY_GOAL_PERCENT = 80.0
MAX_PERIODS, MAX_GOALS = 12, 6


class PointCardSetup(DistrictOwned):
    """How a behavior plan's daily point card looks: its schedule periods and the student's goals."""

    class ParentSummary(models.TextChoices):
        OFF = "off", _("Not sent")
        DAILY = "daily", _("Every school day")
        WEEKLY = "weekly", _("Every week (Friday)")

    plan = models.OneToOneField("interventions.Plan", on_delete=models.CASCADE, related_name="point_card_setup")
    periods = models.JSONField(_("periods"), default=list, help_text=_("The schedule periods a teacher rates"))
    goals = models.JSONField(_("goals"), default=list, help_text=_("The student's behavior goals"))
    daily_goal_percent = models.FloatField(_("daily goal (% of points)"), default=DEFAULT_DAILY_GOAL_PERCENT)
    # The plan measure the daily percentage is recorded on; empty: the plan's primary measure.
    measure = models.ForeignKey(
        "interventions.PlanMeasure", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    # Whether the family receives the card's summary as a notice (notifications, letter type
    # "point_card_summary"): each school day, each week (on Fridays), or not at all. In CICO the
    # card goes home every day for a parent's signature (Crone, Hawken & Horner 2010).
    parent_summary = models.CharField(
        _("summary to the family"), max_length=8, choices=ParentSummary.choices, default=ParentSummary.OFF
    )
    created_by = models.ForeignKey("mtss.User", null=True, on_delete=models.SET_NULL, related_name="+")
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        # The evening job finds the plans whose families receive a summary.
        indexes = [models.Index(fields=["district", "parent_summary"], name="point_card_setup_summary_idx")]
        constraints = [
            models.CheckConstraint(
                condition=Q(daily_goal_percent__gt=0, daily_goal_percent__lte=100),
                name="point_card_goal_percent_range",
                violation_error_message=_("Daily goal: a percentage above 0 and at most 100."),
            )
        ]

    def __str__(self) -> str:
        return f"point card of plan {self.plan_id}"


class PointCard(DistrictOwned):
    """One school day's card: the ratings and their total."""

    plan = models.ForeignKey("interventions.Plan", on_delete=models.CASCADE, related_name="point_cards")
    date = models.DateField(_("date"))
    points_earned = models.PositiveSmallIntegerField(default=0)
    points_possible = models.PositiveSmallIntegerField(default=0)
    note = models.TextField(_("note"), blank=True)
    # The progress probe that carries the day's percentage (kept in step by the services).
    probe = models.OneToOneField(
        "interventions.Probe", null=True, blank=True, on_delete=models.SET_NULL, related_name="point_card"
    )
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["date", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["district", "plan", "date"],
                name="point_card_one_per_day",
                violation_error_message=_("Date: this plan already has a card for that day."),
            ),
            models.CheckConstraint(
                condition=Q(points_earned__lte=models.F("points_possible")),
                name="point_card_points_within_possible",
                violation_error_message=_("Points earned: they cannot be more than the points possible."),
            ),
        ]
        # The card page and the weekly summary read a plan's cards by date.
        indexes = [models.Index(fields=["district", "plan", "date"], name="point_card_plan_date_idx")]

    @property
    def percent(self) -> float | None:
        if not self.points_possible:
            return None
        return round(100.0 * self.points_earned / self.points_possible, 1)


class PointRating(DistrictOwned):
    """One teacher's rating of one goal in one period: 0, 1 or 2 points."""

    card = models.ForeignKey(PointCard, on_delete=models.CASCADE, related_name="ratings")
    # Stored by name, so a later change of the setup keeps the meaning of old cards.
    period = models.CharField(_("period"), max_length=60)
    goal = models.CharField(_("goal"), max_length=120)
    rating = models.PositiveSmallIntegerField(_("rating"))
    rated_by = models.ForeignKey("mtss.User", null=True, on_delete=models.SET_NULL, related_name="+")
    rated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["id"]
        constraints = [
            models.UniqueConstraint(
                fields=["district", "card", "period", "goal"],
                name="point_rating_one_per_cell",
                violation_error_message=_("Rating: this goal is already rated for that period."),
            ),
            models.CheckConstraint(
                condition=Q(rating__gte=RATING_MIN, rating__lte=RATING_MAX),
                name="point_rating_0_to_2",
                violation_error_message=_("Rating: 0, 1 or 2 points."),
            ),
        ]
        indexes = [models.Index(fields=["district", "card"], name="point_rating_card_idx")]
