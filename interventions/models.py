"""Tier placements (the interventions issue adds plans, groups, sessions and probes)."""
from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _

from mtss.models import DistrictOwned


class TierPlacement(DistrictOwned):
    """A student's tier in one academic area for a period; the history is kept."""

    student = models.ForeignKey("students.Student", on_delete=models.CASCADE, related_name="placements")
    area = models.CharField(_("area"), max_length=40)
    tier = models.PositiveSmallIntegerField(_("tier"))
    start_date = models.DateField(_("start"))
    end_date = models.DateField(_("end"), null=True, blank=True)
    reason = models.TextField(_("reason"), blank=True)
    decided_by = models.ForeignKey("mtss.User", null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-start_date", "-id"]
        constraints = [
            models.CheckConstraint(condition=models.Q(tier__gte=1), name="placement_tier_positive"),
            # One open placement per student and area.
            models.UniqueConstraint(
                fields=["district", "student", "area"],
                condition=models.Q(end_date__isnull=True),
                name="one_open_placement_per_area",
            ),
        ]
        indexes = [models.Index(fields=["district", "student", "area"], name="placement_student_area_idx")]
