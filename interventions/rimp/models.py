"""The reading determination and the Reading Improvement and Monitoring Plan (RIMP).

Imported by interventions/models.py so that Django finds them in the interventions app.

Sources: RULES.md 4.5 (ODE Guidance Manual): the school must "Develop a reading improvement and
monitoring plan within 60 days of receiving the student's diagnostic result"; its contents are
"Identification of the student's specific reading deficiency; A description of proposed supplemental
instruction services ...; Opportunities for the student's parents or guardians to be involved ...;
A process to monitor the implementation of the student's instructional services ...". Ohio Virtual
Academy (seed 003, section D): the RIMP "will be approved by the principal and placed in the student
file and provided to the parent".
"""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _

from mtss.models import DistrictOwned


class ReadingDetermination(DistrictOwned):
    """A K-3 student's on-track / not-on-track rating from the year's fall reading diagnostic.

    One per student and school year: "once not on track in the fall, the student stays on a
    RIMP" (RULES.md 4.5), so a later score does not replace the determination.
    """

    class Status(models.TextChoices):
        ON_TRACK = "on_track", _("On track")
        NOT_ON_TRACK = "not_on_track", _("Not on track")

    student = models.ForeignKey("students.Student", on_delete=models.CASCADE, related_name="reading_determinations")
    school_year = models.ForeignKey("mtss.SchoolYear", on_delete=models.PROTECT, related_name="+")
    status = models.CharField(_("rating"), max_length=14, choices=Status.choices)
    grade = models.SmallIntegerField(_("grade"))
    # The diagnostic: the screening score the rating comes from (its risk rule is the policy's cut score).
    score = models.ForeignKey("screening.Score", null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    measure = models.CharField(_("diagnostic"), max_length=200, blank=True)
    score_value = models.FloatField(_("score"), null=True, blank=True)
    # "receiving the student's diagnostic result": the day the 60 days start.
    determined_on = models.DateField(_("diagnostic date"))
    rimp_due = models.DateField(_("RIMP due"), null=True, blank=True)
    explanation = models.TextField(blank=True)
    determined_by = models.ForeignKey("mtss.User", null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["determined_on", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["district", "student", "school_year"],
                name="reading_determination_one_per_year",
                violation_error_message=_(
                    "School year: the student already has a reading determination for this school year."
                ),
            ),
        ]
        indexes = [
            # The RIMP report: a year's not-on-track students.
            models.Index(fields=["district", "school_year", "status"], name="reading_det_year_idx"),
        ]


class Rimp(DistrictOwned):
    """A not-on-track student's Reading Improvement and Monitoring Plan.

    Draft until the role the policy names (required_plans[].approved_by; Ohio: the principal)
    approves it; approval queues the letter to the parents (mtss.events.RIMP_APPROVED).
    """

    class Status(models.TextChoices):
        DRAFT = "draft", _("Created (draft)")
        APPROVED = "approved", _("Approved")

    student = models.ForeignKey("students.Student", on_delete=models.CASCADE, related_name="rimps")
    determination = models.OneToOneField(ReadingDetermination, on_delete=models.PROTECT, related_name="rimp")
    # "Identification of the student's specific reading deficiency".
    deficiency = models.TextField(_("the student's specific reading deficiencies"))
    # "A description of proposed supplemental instruction services that will target the ... deficiencies".
    supplemental_instruction = models.TextField(_("supplemental instruction to remediate the deficiencies"))
    plan = models.ForeignKey("interventions.Plan", null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    # "A process to monitor the implementation of the student's instructional services".
    monitoring = models.TextField(_("how progress and the services are monitored"))
    # "A reading curriculum during regular school hours ... ongoing analysis of each student's reading progress".
    curriculum = models.TextField(_("reading curriculum during regular school hours"), blank=True)
    # "Opportunities for the student's parents or guardians to be involved in the instructional services".
    parent_involvement = models.TextField(_("how the parents take part"))
    consultation = models.ForeignKey(
        "students.ParentConsultation", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.DRAFT)
    created_by = models.ForeignKey("mtss.User", null=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    approved_by = models.ForeignKey("mtss.User", null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    approved_at = models.DateTimeField(null=True, blank=True)
    approver_role = models.CharField(max_length=40, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(status="draft") | models.Q(approved_at__isnull=False),
                name="rimp_approved_has_date",
                violation_error_message=_("Status: an approved RIMP records when it was approved."),
            ),
        ]
        indexes = [models.Index(fields=["district", "student"], name="rimp_student_idx")]
