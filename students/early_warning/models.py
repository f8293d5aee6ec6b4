"""Attendance days, behaviour incidents, course grades and early-warning flags.

Registered in the `students` app (imported by students/models.py): they are student records.

`AttendanceDay` is the big table (a year of a 400,000-student district is about 70 million
rows). On PostgreSQL it is partitioned by school year: RANGE on `date` with 1 July
boundaries, the school year of US state reporting (migration 0009 creates the partitions of
2000-01 to 2059-60 and a default one), so a year's indicators read one partition and an old
year can be detached whole. The partition key is the date rather than a school-year id
because the application role owns no table and so could not create a partition for a new
school year; date ranges can be made in advance.
"""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _

from mtss.models import DistrictOwned, School, SchoolYear


class AttendanceStatus(models.TextChoices):
    PRESENT = "present", _("Present")
    ABSENT_EXCUSED = "absent_excused", _("Absent, excused")
    ABSENT_UNEXCUSED = "absent_unexcused", _("Absent, unexcused")
    TARDY = "tardy", _("Tardy")
    PARTIAL = "partial", _("Partial day")


class AttendanceDay(DistrictOwned):
    """One student's attendance on one day at one school.

    `absent_share` is the part of the day missed (1 for an absence, 0 for present or tardy,
    the file's share for a partial day): chronic absence sums it, so two half days are one day
    missed (Attendance Works counts "missed school days for any reason").
    """

    student = models.ForeignKey("students.Student", on_delete=models.CASCADE, related_name="+")
    school = models.ForeignKey(School, on_delete=models.CASCADE, related_name="+")
    date = models.DateField(_("date"))
    status = models.CharField(_("status"), max_length=20, choices=AttendanceStatus.choices)
    absent_share = models.DecimalField(_("share of the day missed"), max_digits=3, decimal_places=2, default=0)

    class Meta:
        # Migration 0009 writes this table's DDL by hand on PostgreSQL (partitions); keep both in step.
        constraints = [
            # The importers' upsert key (a second import of the same day updates the row).
            models.UniqueConstraint(
                fields=["district", "student", "date"],
                name="attendance_day_unique",
                violation_error_message=_("Date: the student already has attendance for this day."),
            ),
            models.CheckConstraint(
                condition=models.Q(absent_share__gte=0, absent_share__lte=1),
                name="attendance_absent_share",
                violation_error_message=_("Absent share: give a share of the day between 0 and 1."),
            ),
        ]
        # The dashboard's trend and the big-change check: a school's days in a date range.
        indexes = [models.Index(fields=["district", "school", "date"], name="attendance_school_date_idx")]


class IncidentType(DistrictOwned):
    """A district-defined kind of behaviour incident (fighting, defiance, ...); the import refuses others."""

    code = models.CharField(_("code"), max_length=40)
    name = models.CharField(_("name"), max_length=200)

    class Meta:
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(
                fields=["district", "code"],
                name="incident_type_code_unique",
                violation_error_message=_("Code: the district already has an incident type with this code."),
            )
        ]

    def __str__(self) -> str:
        return self.name


class IncidentAction(models.TextChoices):
    # The actions, mildest first; the behaviour indicator counts referrals and suspensions.
    NONE = "none", _("Handled in class (no referral)")
    OFFICE_REFERRAL = "office_referral", _("Office referral")
    IN_SCHOOL_SUSPENSION = "in_school_suspension", _("In-school suspension")
    OUT_OF_SCHOOL_SUSPENSION = "out_of_school_suspension", _("Out-of-school suspension")
    EXPULSION = "expulsion", _("Expulsion")


#: Actions that are an office discipline referral (every action beyond the classroom).
REFERRAL_ACTIONS = (
    IncidentAction.OFFICE_REFERRAL,
    IncidentAction.IN_SCHOOL_SUSPENSION,
    IncidentAction.OUT_OF_SCHOOL_SUSPENSION,
    IncidentAction.EXPULSION,
)
SUSPENSION_ACTIONS = (
    IncidentAction.IN_SCHOOL_SUSPENSION,
    IncidentAction.OUT_OF_SCHOOL_SUSPENSION,
    IncidentAction.EXPULSION,
)


class BehaviorIncident(DistrictOwned):
    student = models.ForeignKey("students.Student", on_delete=models.CASCADE, related_name="+")
    school = models.ForeignKey(School, on_delete=models.CASCADE, related_name="+")
    occurred_on = models.DateField(_("date"))
    incident_type = models.ForeignKey(IncidentType, on_delete=models.PROTECT, related_name="+")
    location = models.CharField(_("location"), max_length=100, blank=True)
    action = models.CharField(_("action taken"), max_length=30, choices=IncidentAction.choices)
    suspension_days = models.DecimalField(_("days of suspension"), max_digits=4, decimal_places=1, default=0)
    # The SIS's incident number, or a digest of the row when the file has none: a second
    # import of the same file updates instead of duplicating.
    reference = models.CharField(_("incident id"), max_length=100)

    class Meta:
        ordering = ["-occurred_on", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["district", "reference"],
                name="incident_reference_unique",
                violation_error_message=_("Reference: another incident of the district has this reference."),
            ),
        ]
        # The indicator: a student's incidents in a date window.
        indexes = [models.Index(fields=["district", "student", "occurred_on"], name="incident_student_date_idx")]


class CourseGrade(DistrictOwned):
    """A student's mark in one course for one term (a grading period or the final mark)."""

    student = models.ForeignKey("students.Student", on_delete=models.CASCADE, related_name="+")
    school = models.ForeignKey(School, on_delete=models.CASCADE, related_name="+")
    school_year = models.ForeignKey(SchoolYear, on_delete=models.PROTECT, related_name="+")
    term = models.CharField(_("term"), max_length=40)
    course_code = models.CharField(_("course code"), max_length=40)
    course_name = models.CharField(_("course"), max_length=200, blank=True)
    mark = models.CharField(_("mark"), max_length=10, help_text=_("As the file gives it: a letter or a percentage."))
    # The mark on the policy's grade-point scale (early_warning.grading.letters) and whether it fails.
    grade_points = models.DecimalField(max_digits=3, decimal_places=2)
    failed = models.BooleanField(default=False)
    credits_attempted = models.DecimalField(max_digits=4, decimal_places=2, default=0)
    credits_earned = models.DecimalField(max_digits=4, decimal_places=2, default=0)

    class Meta:
        ordering = ["term", "course_code"]
        constraints = [
            models.UniqueConstraint(
                fields=["district", "student", "school_year", "term", "course_code"],
                name="course_grade_unique",
                violation_error_message=_("Course code: the student already has a grade for this course in this term."),
            ),
        ]
        indexes = [models.Index(fields=["district", "school_year", "student"], name="course_grade_year_idx")]


class EarlyWarningFlag(DistrictOwned):
    """One indicator raised for one student in one school year, with its explanation.

    Recomputed nightly and after each import (students.early_warning.indicators): a flag
    whose indicator no longer fires is marked `cleared`, never deleted, so the dashboard
    can show the trend and the team sees what changed. `status` is the review queue's.
    """

    class Indicator(models.TextChoices):
        ATTENDANCE = "attendance", _("Chronic absence")
        BEHAVIOR = "behavior", _("Behaviour")
        COURSE_PERFORMANCE = "course_performance", _("Course performance")

    class Status(models.TextChoices):
        OPEN = "open", _("To review")
        REVIEWED = "reviewed", _("Reviewed")
        DISMISSED = "dismissed", _("Dismissed")
        CLEARED = "cleared", _("No longer flagged")

    student = models.ForeignKey("students.Student", on_delete=models.CASCADE, related_name="early_warning_flags")
    school = models.ForeignKey(School, on_delete=models.CASCADE, related_name="+")
    school_year = models.ForeignKey(SchoolYear, on_delete=models.CASCADE, related_name="+")
    indicator = models.CharField(_("indicator"), max_length=20, choices=Indicator.choices)
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.OPEN)
    # The rule's sentence with its numbers, and the numbers themselves (the dashboard's columns).
    explanation = models.TextField(_("why"))
    numbers = models.JSONField(default=dict)
    first_flagged_on = models.DateField(_("first flagged"))
    computed_on = models.DateField(_("last computed"))
    cleared_on = models.DateField(null=True, blank=True)
    decided_by = models.ForeignKey("mtss.User", null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    decided_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["indicator", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["district", "school_year", "student", "indicator"],
                name="early_warning_flag_unique",
                violation_error_message=_("Indicator: the student already has this flag for the school year."),
            ),
        ]
        # The dashboard: a year's flags by school and status.
        indexes = [
            models.Index(fields=["district", "school_year", "school", "status"], name="ew_flag_school_idx"),
        ]


class EarlyWarningSnapshot(DistrictOwned):
    """How many students an indicator flagged at a school on one day: the dashboard's trend.

    One row per (day, school, grade, indicator), written by each computation, so the trend is
    what the team saw at the time, not a re-reading of data imported later.
    """

    school_year = models.ForeignKey(SchoolYear, on_delete=models.CASCADE, related_name="+")
    school = models.ForeignKey(School, on_delete=models.CASCADE, related_name="+")
    grade = models.SmallIntegerField()
    indicator = models.CharField(max_length=20, choices=EarlyWarningFlag.Indicator.choices)
    computed_on = models.DateField()
    flagged = models.PositiveIntegerField()
    enrolled = models.PositiveIntegerField()

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["district", "school_year", "computed_on", "school", "grade", "indicator"],
                name="ew_snapshot_unique",
                violation_error_message=_("Indicator: this count is already recorded for that day."),
            ),
        ]
