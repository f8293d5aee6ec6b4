"""Calendar models. Registered in the `mtss` app (imported by mtss/models.py).

School years are the core `mtss.SchoolYear`; this module adds what lies inside
them: terms, days without school (holidays, breaks, closures) and day cycles.
"""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _

from mtss.models import DistrictOwned, School, SchoolYear


class Term(DistrictOwned):
    """A term, semester or grading period of a school year (OneRoster academicSessions)."""

    class Kind(models.TextChoices):
        # The OneRoster 1.1/1.2 SessionType vocabulary, spelled as the standard spells it.
        TERM = "term", _("Term")
        SEMESTER = "semester", _("Semester")
        GRADING_PERIOD = "gradingPeriod", _("Grading period")

    school_year = models.ForeignKey(SchoolYear, on_delete=models.CASCADE, related_name="terms")
    parent = models.ForeignKey("self", null=True, blank=True, on_delete=models.SET_NULL, related_name="children")
    name = models.CharField(_("name"), max_length=100)
    kind = models.CharField(_("type"), max_length=20, choices=Kind.choices, default=Kind.TERM)
    start_date = models.DateField(_("first day"))
    end_date = models.DateField(_("last day"))
    sourced_id = models.CharField(_("OneRoster sourcedId"), max_length=100, blank=True)

    class Meta:
        ordering = ["start_date", "kind", "name"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(start_date__lte=models.F("end_date")),
                name="term_dates",
                violation_error_message=_("Last day: a term cannot end before its first day."),
            ),
            # The roster import finds a term by its sourcedId.
            models.UniqueConstraint(
                fields=["district", "sourced_id"],
                condition=~models.Q(sourced_id=""),
                name="term_sourced_id_unique",
                violation_error_message=_("OneRoster sourcedId: another term of the district has this sourcedId."),
            ),
        ]
        # The calendar page: a year's terms in date order.
        indexes = [models.Index(fields=["district", "school_year", "start_date"], name="term_year_idx")]

    def __str__(self) -> str:
        return self.name


class CalendarEvent(DistrictOwned):
    """A day or run of days without school: for the whole district, or one school's exception."""

    class Kind(models.TextChoices):
        HOLIDAY = "holiday", _("Holiday")
        BREAK = "break", _("Break")
        CLOSURE = "closure", _("Closure (e.g. snow day)")

    class Source(models.TextChoices):
        MANUAL = "manual", _("Entered on the calendar page")
        ICS = "ics", _("iCalendar import")
        ONEROSTER = "oneroster", _("OneRoster import")

    school = models.ForeignKey(
        School,
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="+",
        help_text=_("Empty: the whole district."),
    )
    kind = models.CharField(_("kind"), max_length=10, choices=Kind.choices)
    name = models.CharField(_("name"), max_length=200)
    start_date = models.DateField(_("first day"))
    end_date = models.DateField(_("last day"))
    source = models.CharField(_("source"), max_length=10, choices=Source.choices, default=Source.MANUAL)
    # An imported event's identity in its source (the iCalendar UID, per occurrence
    # for a recurring event), so that a second import updates instead of duplicating.
    external_uid = models.CharField(max_length=255, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["start_date", "end_date", "name"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(start_date__lte=models.F("end_date")),
                name="calendar_event_dates",
                violation_error_message=_("Last day: the event cannot end before its first day."),
            ),
            models.UniqueConstraint(
                fields=["district", "source", "external_uid"],
                condition=~models.Q(external_uid=""),
                name="calendar_event_external_uid_unique",
                violation_error_message=_("Event: this imported event is already on the calendar."),
            ),
        ]
        # The selectors: events overlapping [start, end] (start_date <= end AND end_date >= start).
        indexes = [models.Index(fields=["district", "start_date", "end_date"], name="calendar_event_range_idx")]

    def __str__(self) -> str:
        return self.name

    @property
    def days(self) -> int:
        return (self.end_date - self.start_date).days + 1


class DayCycle(DistrictOwned):
    """A rotating day cycle (e.g. Holland Patent's 6-day cycle) for a school year.

    `first_day` is cycle day 1; each later instructional day advances the cycle by
    one, and a day without school (holiday, break, snow day) does not use up a
    cycle day. A school-level row overrides the district's.
    """

    school_year = models.ForeignKey(SchoolYear, on_delete=models.CASCADE, related_name="+")
    school = models.ForeignKey(
        School,
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="+",
        help_text=_("Empty: the whole district."),
    )
    length = models.PositiveSmallIntegerField(_("days in the cycle"))
    first_day = models.DateField(_("date of cycle day 1"))

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=models.Q(length__gte=2, length__lte=20),
                name="day_cycle_length",
                violation_error_message=_("Days in the cycle: between 2 and 20."),
            ),
            models.UniqueConstraint(
                fields=["district", "school_year"],
                condition=models.Q(school__isnull=True),
                name="day_cycle_one_per_district_year",
                violation_error_message=_("School year: the district already has a day cycle for this year."),
            ),
            models.UniqueConstraint(
                fields=["district", "school_year", "school"],
                condition=models.Q(school__isnull=False),
                name="day_cycle_one_per_school_year",
                violation_error_message=_("School: this school already has a day cycle for this year."),
            ),
        ]
