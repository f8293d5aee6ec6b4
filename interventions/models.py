"""Interventions: the library, tier placements, groups, plans and their phases,
delivered sessions with attendance (the fidelity record), and probes."""

from __future__ import annotations

import re

from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from mtss.models import DistrictOwned
from screening.scores import finite_score_q

MAX_SESSION_MINUTES = 240  # a half-day; anything longer is a typo (600 was seen)


class EvidenceLevel(models.TextChoices):
    # ESSA evidence tiers (ESEA section 8101(21)).
    STRONG = "essa_1", _("ESSA Tier 1: strong evidence")
    MODERATE = "essa_2", _("ESSA Tier 2: moderate evidence")
    PROMISING = "essa_3", _("ESSA Tier 3: promising evidence")
    RATIONALE = "essa_4", _("ESSA Tier 4: demonstrates a rationale")
    NOT_RATED = "not_rated", _("Not yet reviewed")


class EvidenceSource(models.TextChoices):
    """Who gave a program its ESSA level: an independent clearinghouse, a state list, or the district."""

    WWC = "wwc", _("What Works Clearinghouse (IES)")
    EVIDENCE_FOR_ESSA = "evidence_for_essa", _("Evidence for ESSA (Johns Hopkins CRRE)")
    STATE = "state", _("State education agency list")
    DISTRICT = "district", _("District review (logic model and local evaluation)")
    PUBLISHER = "publisher", _("Publisher's study (not independently reviewed)")
    OTHER = "other", _("Other source")


class Intervention(DistrictOwned):
    """A program or strategy in the district's library (e.g. Fundations, Learning Lab)."""

    name = models.CharField(_("name"), max_length=120)
    area = models.CharField(_("area"), max_length=40)
    tiers = models.JSONField(_("suitable tiers"), default=list, help_text=_("e.g. [2, 3]"))
    evidence_level = models.CharField(
        _("evidence level"), max_length=12, choices=EvidenceLevel.choices, default=EvidenceLevel.NOT_RATED
    )
    sessions_per_week = models.FloatField(_("recommended sessions per week"), null=True, blank=True)
    minutes_per_session = models.PositiveSmallIntegerField(_("recommended minutes per session"), null=True, blank=True)
    group_size_max = models.PositiveSmallIntegerField(_("largest group"), null=True, blank=True)
    description = models.TextField(_("description"), blank=True)
    materials = models.TextField(_("materials"), blank=True)
    source = models.CharField(_("named in"), max_length=200, blank=True)
    # Where the ESSA level comes from, a link to the rating, and a note: the reason a
    # program is "not yet reviewed", or what the rating covers (outcome, grades).
    evidence_source = models.CharField(
        _("source of the rating"), max_length=20, choices=EvidenceSource.choices, blank=True
    )
    evidence_url = models.URLField(_("link to the rating or program"), max_length=300, blank=True)
    evidence_note = models.TextField(_("evidence note"), blank=True)
    is_active = models.BooleanField(_("in use"), default=True)

    class Meta:
        ordering = ["area", "name"]
        constraints = [
            models.UniqueConstraint(
                fields=["district", "name"],
                name="intervention_name_unique",
                violation_error_message=_("Name: the library already has an intervention with this name."),
            )
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def source_label(self) -> str:
        """Where the program is named, for readers: never an internal file name (issue 14, item 9)."""
        return re.sub(r",?\s*(tests/data/)?seeds/\S+\.txt\s*$", "", self.source or "").strip()

    @property
    def evidence_reason(self) -> str:
        """What the page says beside "Not yet reviewed" when no one wrote a reason."""
        if self.evidence_level != EvidenceLevel.NOT_RATED or self.evidence_note:
            return self.evidence_note
        return _("No one has reviewed this program's evidence yet.")


class TierPlacement(DistrictOwned):
    """A student's tier in one academic area for a period; the history is kept."""

    student = models.ForeignKey("students.Student", on_delete=models.CASCADE, related_name="placements")
    area = models.CharField(_("area"), max_length=40)
    tier = models.PositiveSmallIntegerField(_("tier"))
    start_date = models.DateField(_("start"))
    end_date = models.DateField(_("end"), null=True, blank=True)
    reason = models.TextField(_("reason"), blank=True)
    decided_by = models.ForeignKey("mtss.User", null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    # The team meeting that decided it, when one did.
    meeting = models.ForeignKey(
        "interventions.Meeting", null=True, blank=True, on_delete=models.SET_NULL, related_name="placements"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-start_date", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(tier__gte=1),
                name="placement_tier_positive",
                violation_error_message=_("Tier: must be 1 or more."),
            ),
            # One open placement per student and area.
            models.UniqueConstraint(
                fields=["district", "student", "area"],
                condition=models.Q(end_date__isnull=True),
                name="one_open_placement_per_area",
                violation_error_message=_("Area: the student already has an open placement in this area."),
            ),
        ]
        indexes = [models.Index(fields=["district", "student", "area"], name="placement_student_area_idx")]


class Schedule(models.Model):
    """Planned dosage: sessions per week, or per cycle of school days (Holland Patent's 6-day cycle)."""

    sessions_per_week = models.FloatField(_("sessions per week"), null=True, blank=True)
    sessions_per_cycle = models.PositiveSmallIntegerField(_("sessions per cycle"), null=True, blank=True)
    cycle_days = models.PositiveSmallIntegerField(_("school days per cycle"), null=True, blank=True)
    minutes_per_session = models.PositiveSmallIntegerField(
        _("minutes per session"), validators=[MinValueValidator(1), MaxValueValidator(MAX_SESSION_MINUTES)]
    )

    class Meta:
        abstract = True

    @property
    def weekly_sessions(self) -> float:
        """Sessions per calendar week (a cycle of N school days spans N/5 weeks)."""
        if self.sessions_per_week:
            return float(self.sessions_per_week)
        if self.sessions_per_cycle and self.cycle_days:
            return self.sessions_per_cycle * 5 / self.cycle_days
        return 0.0

    @property
    def schedule_label(self) -> str:
        if self.sessions_per_cycle and self.cycle_days:
            return _("%(n)s × %(m)s min per %(d)s-day cycle") % {
                "n": self.sessions_per_cycle,
                "m": self.minutes_per_session,
                "d": self.cycle_days,
            }
        return _("%(n)s × %(m)s min per week") % {
            "n": f"{self.sessions_per_week:g}" if self.sessions_per_week else "?",
            "m": self.minutes_per_session,
        }


SCHEDULE_KIND_MESSAGE = _(
    "Sessions per week: give sessions per week, or sessions per cycle with the cycle length (not both)."
)
SCHEDULE_CONSTRAINTS = [
    Q(sessions_per_week__isnull=False, sessions_per_cycle__isnull=True, cycle_days__isnull=True)
    | Q(sessions_per_week__isnull=True, sessions_per_cycle__isnull=False, cycle_days__isnull=False),
    Q(minutes_per_session__gte=1, minutes_per_session__lte=MAX_SESSION_MINUTES),
]


class InterventionGroup(DistrictOwned, Schedule):
    """A provider's group; its members are the active plans pointing at it."""

    school = models.ForeignKey("mtss.School", on_delete=models.PROTECT, related_name="+")
    provider = models.ForeignKey("mtss.User", on_delete=models.PROTECT, related_name="+")
    name = models.CharField(_("name"), max_length=120)
    area = models.CharField(_("area"), max_length=40)
    tier = models.PositiveSmallIntegerField(_("tier"))
    intervention = models.ForeignKey(Intervention, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    # The weekdays the group meets (0 = Monday); empty: spread from the dosage (meeting_weekdays).
    meeting_days = models.JSONField(_("meeting days"), default=list, blank=True)
    is_active = models.BooleanField(default=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name"]
        constraints = [
            models.CheckConstraint(
                condition=SCHEDULE_CONSTRAINTS[0],
                name="group_schedule_kind",
                violation_error_message=SCHEDULE_KIND_MESSAGE,
            ),
            models.CheckConstraint(
                condition=SCHEDULE_CONSTRAINTS[1],
                name="group_minutes_range",
                violation_error_message=_("Minutes per session: between 1 and 240."),
            ),
        ]
        # The specialist's screens: my groups.
        indexes = [models.Index(fields=["district", "provider", "is_active"], name="group_provider_idx")]

    def __str__(self) -> str:
        return self.name

    @property
    def meeting_weekdays(self) -> tuple[int, ...]:
        """The weekdays the group meets: its own, else the first N school days of the week
        for a dosage of N sessions a week."""
        if self.meeting_days:
            return tuple(sorted(int(day) for day in self.meeting_days))
        return tuple(range(min(5, max(1, round(self.weekly_sessions)))))


class Plan(DistrictOwned, Schedule):
    """One student's intervention in one area and tier, with its goal and schedule."""

    class Status(models.TextChoices):
        ACTIVE = "active", _("Active")
        COMPLETED = "completed", _("Completed")
        DISCONTINUED = "discontinued", _("Discontinued")
        # Drafted by an "intensify" decision for the next tier; the provider checks and starts it.
        DRAFT = "draft", _("Draft")

    class Direction(models.TextChoices):
        UP = "up", _("Higher is better")
        DOWN = "down", _("Lower is better")

    class EndReason(models.TextChoices):
        # completed
        GOAL_MET = "goal_met", _("Goal met")
        DURATION_COMPLETED = "duration_completed", _("Planned duration completed")
        # discontinued
        MORE_INTENSIVE = "more_intensive", _("Moved to a more intensive tier or plan")
        LESS_INTENSIVE = "less_intensive", _("Moved to a less intensive tier")
        REFERRED = "referred", _("Referred for a special-education evaluation")
        STUDENT_LEFT = "student_left", _("Student left the school")
        PARENT_REQUEST = "parent_request", _("Parent or guardian request")
        OTHER = "other", _("Other reason (say which)")

    # Which reasons fit which way of ending (the end-plan form and plan_end check it).
    END_REASONS = {
        "completed": ("goal_met", "duration_completed", "other"),
        "discontinued": (
            "more_intensive",
            "less_intensive",
            "referred",
            "student_left",
            "parent_request",
            "other",
        ),
    }

    student = models.ForeignKey("students.Student", on_delete=models.CASCADE, related_name="plans")
    placement = models.ForeignKey(TierPlacement, null=True, blank=True, on_delete=models.SET_NULL, related_name="plans")
    area = models.CharField(_("area"), max_length=40)
    tier = models.PositiveSmallIntegerField(_("tier"))
    intervention = models.ForeignKey(Intervention, on_delete=models.PROTECT, related_name="plans")
    provider = models.ForeignKey("mtss.User", on_delete=models.PROTECT, related_name="+")
    group = models.ForeignKey(InterventionGroup, null=True, blank=True, on_delete=models.SET_NULL, related_name="plans")
    start_date = models.DateField(_("start"))
    expected_end_date = models.DateField(_("expected end"))
    goal_measure = models.CharField(_("progress measure"), max_length=80, help_text=_("e.g. R-CBM words correct"))
    goal_target = models.FloatField(_("goal score"), null=True, blank=True)
    goal_target_date = models.DateField(_("goal date"))
    goal_roi = models.FloatField(_("goal rate of improvement (per week)"), null=True, blank=True)
    goal_direction = models.CharField(_("direction"), max_length=4, choices=Direction.choices, default=Direction.UP)
    status = models.CharField(_("status"), max_length=12, choices=Status.choices, default=Status.ACTIVE)
    # Dual-discrepancy criteria for this plan instead of the district's norm tables
    # (issue 12: "or from a per-plan override with a reason"); both cuts and a reason, or none.
    dd_level_cut = models.FloatField(_("level criterion (override)"), null=True, blank=True)
    dd_growth_cut = models.FloatField(_("growth criterion per week (override)"), null=True, blank=True)
    dd_override_reason = models.TextField(_("why the criteria are overridden"), blank=True)
    created_by = models.ForeignKey("mtss.User", null=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    # How the plan ended (status completed or discontinued), when and why.
    end_date = models.DateField(_("ended on"), null=True, blank=True)
    end_reason = models.CharField(_("why it ended"), max_length=24, choices=EndReason.choices, blank=True)
    end_note = models.TextField(_("notes on the end"), blank=True)
    ended_by = models.ForeignKey("mtss.User", null=True, blank=True, on_delete=models.SET_NULL, related_name="+")

    class Meta:
        ordering = ["-start_date", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=SCHEDULE_CONSTRAINTS[0],
                name="plan_schedule_kind",
                violation_error_message=SCHEDULE_KIND_MESSAGE,
            ),
            models.CheckConstraint(
                condition=SCHEDULE_CONSTRAINTS[1],
                name="plan_minutes_range",
                violation_error_message=_("Minutes per session: between 1 and 240."),
            ),
            models.CheckConstraint(
                condition=Q(goal_target__isnull=False) | Q(goal_roi__isnull=False),
                name="plan_goal_target_or_roi",
                violation_error_message=_("Goal score: give a goal score or a goal rate of improvement."),
            ),
            models.CheckConstraint(
                condition=Q(expected_end_date__gt=models.F("start_date")),
                name="plan_dates",
                violation_error_message=_("Expected end: the plan must end after it starts."),
            ),
            models.CheckConstraint(
                condition=Q(dd_level_cut__isnull=True, dd_growth_cut__isnull=True, dd_override_reason="")
                | (Q(dd_level_cut__isnull=False, dd_growth_cut__isnull=False) & ~Q(dd_override_reason="")),
                name="plan_dd_override_complete",
                violation_error_message=_("Level criterion (override): give both criteria and a reason, or none."),
            ),
        ]
        indexes = [
            models.Index(fields=["district", "provider", "status"], name="plan_provider_idx"),
            models.Index(fields=["district", "student", "status"], name="plan_student_idx"),
            models.Index(fields=["district", "group", "status"], name="plan_group_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.area} tier {self.tier}: {self.intervention}"


class PlanMeasure(DistrictOwned):
    """A further measure a plan monitors, beside its primary one (the plan's own goal fields).

    LAUSD asks for "multiple measures of data ... for instruction and behavior" (seed 000;
    issue 12, item 6): e.g. an oral-reading probe and a daily behaviour rating. Each has its
    own goal, aim line and findings; the policy's ``decision_rules.multiple_measures``
    combines their recommendations (mtss/rules/plan.py).
    """

    plan = models.ForeignKey(Plan, on_delete=models.CASCADE, related_name="measures")
    measure = models.CharField(_("progress measure"), max_length=80, help_text=_("e.g. Daily behavior card %"))
    goal_target = models.FloatField(_("goal score"), null=True, blank=True)
    goal_target_date = models.DateField(_("goal date"))
    goal_roi = models.FloatField(_("goal rate of improvement (per week)"), null=True, blank=True)
    goal_direction = models.CharField(
        _("direction"), max_length=4, choices=Plan.Direction.choices, default=Plan.Direction.UP
    )
    created_by = models.ForeignKey("mtss.User", null=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["plan", "id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(goal_target__isnull=False) | Q(goal_roi__isnull=False),
                name="plan_measure_goal_target_or_roi",
                violation_error_message=_("Goal score: give a goal score or a goal rate of improvement."),
            ),
            models.UniqueConstraint(
                fields=["district", "plan", "measure"],
                name="plan_measure_unique",
                violation_error_message=_("Measure: the plan already monitors this measure."),
            ),
        ]

    def __str__(self) -> str:
        return self.measure


class PlanPhase(DistrictOwned):
    """A plan's intervention and goal for a period; a change starts a new phase,
    drawn as a phase line and evaluated separately (RULES.md 1.0)."""

    plan = models.ForeignKey(Plan, on_delete=models.CASCADE, related_name="phases")
    number = models.PositiveSmallIntegerField()
    start_date = models.DateField(_("start"))
    intervention = models.ForeignKey(Intervention, on_delete=models.PROTECT, related_name="+")
    goal_target = models.FloatField(null=True, blank=True)
    goal_target_date = models.DateField()
    goal_roi = models.FloatField(null=True, blank=True)
    reason = models.TextField(_("why it changed"), blank=True)
    created_by = models.ForeignKey("mtss.User", null=True, on_delete=models.SET_NULL, related_name="+")

    class Meta:
        ordering = ["plan", "number"]
        constraints = [
            models.UniqueConstraint(
                fields=["district", "plan", "number"],
                name="phase_number_unique",
                violation_error_message=_(
                    "Phase: another change of the plan was saved at the same time; reload and try again."
                ),
            )
        ]


class InterventionSession(DistrictOwned):
    """One delivered (or missed) session of a group or of a one-to-one plan."""

    group = models.ForeignKey(
        InterventionGroup, null=True, blank=True, on_delete=models.CASCADE, related_name="sessions"
    )
    plan = models.ForeignKey(Plan, null=True, blank=True, on_delete=models.CASCADE, related_name="individual_sessions")
    provider = models.ForeignKey("mtss.User", on_delete=models.PROTECT, related_name="+")
    date = models.DateField(_("date"))
    minutes = models.PositiveSmallIntegerField(_("minutes"))
    note = models.TextField(_("note"), blank=True)
    logged_by = models.ForeignKey("mtss.User", null=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-date", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(group__isnull=False, plan__isnull=True) | Q(group__isnull=True, plan__isnull=False),
                name="session_group_xor_plan",
                violation_error_message=_("Group: a session belongs to a group or to one plan, not both."),
            ),
            models.CheckConstraint(
                condition=Q(minutes__gte=0, minutes__lte=MAX_SESSION_MINUTES),
                name="session_minutes_range",
                violation_error_message=_("Minutes: between 0 and 240."),
            ),
            # Two people logging the same session cannot create a duplicate.
            models.UniqueConstraint(
                fields=["district", "group", "date"],
                condition=Q(group__isnull=False),
                name="one_session_per_group_day",
                violation_error_message=_("Date: a session of this group on this date is already logged."),
            ),
            models.UniqueConstraint(
                fields=["district", "plan", "date"],
                condition=Q(plan__isnull=False),
                name="one_session_per_plan_day",
                violation_error_message=_("Date: a session of this plan on this date is already logged."),
            ),
        ]


class Attendance(DistrictOwned):
    class Status(models.TextChoices):
        PRESENT = "present", _("Present")
        STUDENT_ABSENT = "student_absent", _("Student absent")
        PROVIDER_ABSENT = "provider_absent", _("Provider absent")
        CANCELLED = "cancelled", _("School closed / cancelled")

    session = models.ForeignKey(InterventionSession, on_delete=models.CASCADE, related_name="attendance")
    plan = models.ForeignKey(Plan, on_delete=models.CASCADE, related_name="attendance")
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.PRESENT)

    # The engine's session vocabulary (mtss.rules.engine.Session.status).
    ENGINE_STATUS = {
        "present": "delivered",
        "student_absent": "student_absent",
        "provider_absent": "provider_absent",
        "cancelled": "cancelled",
    }

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["district", "session", "plan"],
                name="attendance_unique",
                violation_error_message=_("Attendance: the student already has attendance in this session."),
            )
        ]
        indexes = [models.Index(fields=["district", "plan"], name="attendance_plan_idx")]


class Probe(DistrictOwned):
    """A progress-monitoring score (baseline probes are marked)."""

    plan = models.ForeignKey(Plan, on_delete=models.CASCADE, related_name="probes")
    date = models.DateField(_("date"))
    score = models.FloatField(_("score"))
    is_baseline = models.BooleanField(_("baseline probe"), default=False)
    # The further measure this score is on; empty: the plan's primary measure.
    measure = models.ForeignKey(PlanMeasure, null=True, blank=True, on_delete=models.CASCADE, related_name="probes")
    session = models.ForeignKey(
        InterventionSession, null=True, blank=True, on_delete=models.SET_NULL, related_name="probes"
    )
    entered_by = models.ForeignKey("mtss.User", null=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["date", "id"]
        constraints = [
            # "inf" and "nan" parse as floats; stored, they broke every page that draws the plan (issue 14).
            models.CheckConstraint(
                condition=finite_score_q("score"),
                name="probe_score_finite",
                violation_error_message=_("Score: give a number (not “inf” or “nan”)."),
            )
        ]
        indexes = [models.Index(fields=["district", "plan", "date"], name="probe_plan_date_idx")]


# --- team meetings -------------------------------------------------------------------------


class TeamType(models.TextChoices):
    S_TEAM = "s_team", _("S-Team")
    SBIT = "sbit", _("SBIT (school-based intervention team)")
    TBT = "tbt", _("TBT (teacher-based team)")
    SST = "sst", _("SST (student success team)")
    SPED_REFERRAL = "sped_referral", _("Special-education referral")


class MeetingSeries(DistrictOwned):
    """A recurring team meeting: every N weeks from a first date, a set number of times."""

    school = models.ForeignKey("mtss.School", on_delete=models.CASCADE, related_name="+")
    team_type = models.CharField(_("team"), max_length=20, choices=TeamType.choices)
    first_starts_at = models.DateTimeField(_("first meeting"))
    every_weeks = models.PositiveSmallIntegerField(_("every (weeks)"))
    occurrences = models.PositiveSmallIntegerField(_("number of meetings"))
    created_by = models.ForeignKey("mtss.User", null=True, on_delete=models.SET_NULL, related_name="+")


class Meeting(DistrictOwned):
    class Status(models.TextChoices):
        SCHEDULED = "scheduled", _("Scheduled")
        IN_PROGRESS = "in_progress", _("In progress")
        CLOSED = "closed", _("Closed")

    school = models.ForeignKey("mtss.School", on_delete=models.PROTECT, related_name="+")
    team_type = models.CharField(_("team"), max_length=20, choices=TeamType.choices)
    starts_at = models.DateTimeField(_("date and time"))
    location = models.CharField(_("place"), max_length=200, blank=True)
    purpose = models.CharField(_("purpose"), max_length=300, blank=True)
    status = models.CharField(max_length=12, choices=Status.choices, default=Status.SCHEDULED)
    series = models.ForeignKey(MeetingSeries, null=True, blank=True, on_delete=models.SET_NULL, related_name="meetings")
    # The policy the agenda was built from (decisions record theirs too).
    policy_label = models.CharField(max_length=120, blank=True)
    created_by = models.ForeignKey("mtss.User", null=True, on_delete=models.SET_NULL, related_name="+")
    closed_at = models.DateTimeField(null=True, blank=True)
    closed_by = models.ForeignKey("mtss.User", null=True, blank=True, on_delete=models.SET_NULL, related_name="+")

    class Meta:
        ordering = ["-starts_at"]
        indexes = [models.Index(fields=["district", "school", "-starts_at"], name="meeting_school_idx")]

    def __str__(self) -> str:
        return f"{self.get_team_type_display()} {self.starts_at:%Y-%m-%d}"


class MeetingAttendee(DistrictOwned):
    class Kind(models.TextChoices):
        STAFF = "staff", _("Staff")
        GUARDIAN = "guardian", _("Parent or guardian")
        STUDENT = "student", _("Student")

    meeting = models.ForeignKey(Meeting, on_delete=models.CASCADE, related_name="attendees")
    kind = models.CharField(max_length=10, choices=Kind.choices)
    user = models.ForeignKey("mtss.User", null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    guardian = models.ForeignKey(
        "students.Guardian", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    student = models.ForeignKey("students.Student", null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    name = models.CharField(_("name"), max_length=200)
    role = models.CharField(_("role"), max_length=100, blank=True)
    attended = models.BooleanField(_("attended"), null=True)

    class Meta:
        ordering = ["kind", "name"]


class AgendaItem(DistrictOwned):
    class Status(models.TextChoices):
        OPEN = "open", _("To discuss")
        DECIDED = "decided", _("Decided")
        SKIPPED = "skipped", _("Not discussed")

    meeting = models.ForeignKey(Meeting, on_delete=models.CASCADE, related_name="items")
    student = models.ForeignKey("students.Student", on_delete=models.CASCADE, related_name="+")
    plan = models.ForeignKey(Plan, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    area = models.CharField(_("area"), max_length=40, blank=True)
    position = models.PositiveSmallIntegerField(default=0)
    # Why the item is on the agenda: [{"code": "review_due", "text": "..."}], from the rules or staff.
    reasons = models.JSONField(default=list)
    added_by = models.ForeignKey("mtss.User", null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.OPEN)

    class Meta:
        ordering = ["position", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["district", "meeting", "student", "area"],
                name="agenda_item_unique",
                violation_error_message=_("Student: already on this meeting's agenda for this area."),
            )
        ]


class Decision(DistrictOwned):
    """What the team decided for one agenda item; applied when the meeting closes (or at once)."""

    class Kind(models.TextChoices):
        CONTINUE = "continue", _("Continue the plan")
        MODIFY = "modify", _("Modify the plan")
        INTENSIFY = "intensify", _("Intensify (next tier)")
        REDUCE = "reduce", _("Reduce (lower tier)")
        EXIT = "exit", _("Exit intervention")
        REFER = "refer_evaluation", _("Refer for a special-education evaluation")

    # "Not responding" decisions: the fidelity gate applies to them (RULES.md 3.3).
    NON_RESPONSE = {Kind.INTENSIFY, Kind.REFER}

    item = models.OneToOneField(AgendaItem, on_delete=models.CASCADE, related_name="decision")
    meeting = models.ForeignKey(Meeting, on_delete=models.CASCADE, related_name="decisions")
    student = models.ForeignKey("students.Student", on_delete=models.CASCADE, related_name="+")
    plan = models.ForeignKey(Plan, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    kind = models.CharField(_("decision"), max_length=20, choices=Kind.choices)
    notes = models.TextField(_("notes"), blank=True)
    new_intervention = models.ForeignKey(
        Intervention, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    new_goal_target = models.FloatField(null=True, blank=True)
    override_reason = models.TextField(_("why decide despite the fidelity gate"), blank=True)
    # What the engine said when the decision was taken, and under which policy version.
    recommendation = models.CharField(max_length=20, blank=True)
    gate = models.JSONField(default=dict, blank=True)
    policy_label = models.CharField(max_length=120, blank=True)
    decided_by = models.ForeignKey("mtss.User", null=True, on_delete=models.SET_NULL, related_name="+")
    decided_at = models.DateTimeField(auto_now=True)
    # Optimistic concurrency: an edit names the version it started from.
    version = models.PositiveIntegerField(default=1)
    applied_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes = [models.Index(fields=["district", "student"], name="decision_student_idx")]


class ActionItem(DistrictOwned):
    meeting = models.ForeignKey(Meeting, on_delete=models.CASCADE, related_name="action_items")
    decision = models.ForeignKey(Decision, null=True, blank=True, on_delete=models.CASCADE, related_name="action_items")
    description = models.CharField(_("action"), max_length=300)
    owner = models.ForeignKey("mtss.User", on_delete=models.PROTECT, related_name="+")
    due_date = models.DateField(_("due"))
    done_at = models.DateTimeField(null=True, blank=True)
    created_by = models.ForeignKey("mtss.User", null=True, on_delete=models.SET_NULL, related_name="+")

    class Meta:
        ordering = ["due_date", "id"]


# --- special-education referrals ---------------------------------------------------------------


class Referral(DistrictOwned):
    """A special-education referral and the evidence it carries (issue 13, item 3).

    Loudon (seed 002): "The log is a requirement for all RTI referrals to special education
    and is reviewed by the school psychologist", "to determine that the intervention was
    completed as written". The referral therefore starts blocked while the session log, the
    plan history or the progress data are missing; the policy's reviewing role
    (``special_education_referral.reviewed_by_role``) signs it off, or overrides the missing
    evidence with a reason that the referral packet prints.
    """

    class Status(models.TextChoices):
        REQUESTED = "requested", _("Requested: evidence complete, waiting for review")
        BLOCKED = "blocked", _("Blocked: evidence missing")
        REVIEWED = "reviewed", _("Reviewed and signed off")
        OVERRIDDEN = "overridden", _("Overridden: referred without complete evidence")

    OPEN = (Status.REQUESTED, Status.BLOCKED)

    student = models.ForeignKey("students.Student", on_delete=models.CASCADE, related_name="+")
    area = models.CharField(_("area"), max_length=40, blank=True)
    status = models.CharField(_("status"), max_length=12, choices=Status.choices, default=Status.BLOCKED)
    # The team decision that asked for it (an S-Team "refer" decision), when one did.
    decision = models.ForeignKey(Decision, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    reason = models.TextField(_("why the team refers"), blank=True)
    # What was missing at the last check, and the policy's exceptions that apply (keys and text).
    missing = models.JSONField(default=list, blank=True)
    exceptions = models.JSONField(default=list, blank=True)
    # The log, plan history and progress data as the reviewer saw them when signing off.
    evidence = models.JSONField(default=dict, blank=True)
    # The role the policy names as reviewer when the referral was made (Loudon: psychologist).
    reviewer_role = models.CharField(_("reviewed by (role)"), max_length=32)
    requested_by = models.ForeignKey("mtss.User", null=True, on_delete=models.SET_NULL, related_name="+")
    requested_at = models.DateTimeField(auto_now_add=True)
    reviewed_by = models.ForeignKey("mtss.User", null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    reviewed_at = models.DateTimeField(null=True, blank=True)
    review_notes = models.TextField(_("reviewer's notes"), blank=True)
    override_reason = models.TextField(_("why refer without complete evidence"), blank=True)
    policy_label = models.CharField(max_length=120, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-requested_at", "-id"]
        constraints = [
            # One open referral per student and area: applying the same decision twice links, never duplicates.
            models.UniqueConstraint(
                fields=["district", "student", "area"],
                condition=Q(status__in=["requested", "blocked"]),
                name="one_open_referral_per_area",
                violation_error_message=_("Area: the student already has an open referral in this area."),
            ),
            models.CheckConstraint(
                condition=~Q(status="overridden") | ~Q(override_reason=""),
                name="referral_override_has_reason",
                violation_error_message=_(
                    "Override reason: an override needs the reason for referring without complete evidence."
                ),
            ),
            models.CheckConstraint(
                condition=~Q(status__in=["reviewed", "overridden"])
                | Q(reviewed_by__isnull=False, reviewed_at__isnull=False),
                name="referral_signed_off_by_someone",
                violation_error_message=_(
                    "Reviewed by: a reviewed or overridden referral names who signed it off and when."
                ),
            ),
        ]
        indexes = [
            # The referral list: open ones first, newest first, per district.
            models.Index(fields=["district", "status", "requested_at"], name="referral_status_idx"),
            models.Index(fields=["district", "student"], name="referral_student_idx"),
        ]

    def __str__(self) -> str:
        return f"referral {self.pk} ({self.status})"

    @property
    def is_open(self) -> bool:
        return self.status in self.OPEN

    @property
    def signed_off(self) -> bool:
        return self.status in (self.Status.REVIEWED, self.Status.OVERRIDDEN)


# --- PDSA cycles (continuous improvement) ------------------------------------------------------


class PdsaCycle(DistrictOwned):
    """A Plan-Do-Study-Act cycle of a school team or an interventionist (issue 13, item 5).

    LAUSD (seed 000): MTSS "implements continuous improvement processes (PDSA) at all levels of
    the system (i.e., school-wide, classroom, and individual students)"; the interventionist
    takes part in the "Plan, Do, Study, Act (PDSA) Model" and supports the leadership team "to
    determine effectiveness and gaps of academic interventions through data analysis".
    """

    class Level(models.TextChoices):
        SCHOOL = "school", _("School-wide")
        CLASSROOM = "classroom", _("Classroom or group")
        STUDENT = "student", _("Individual students")

    class Act(models.TextChoices):
        ADOPT = "adopt", _("Adopt: keep the change")
        ADAPT = "adapt", _("Adapt: change it and run another cycle")
        ABANDON = "abandon", _("Abandon: stop the change")

    school = models.ForeignKey("mtss.School", null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    title = models.CharField(_("title"), max_length=160)
    level = models.CharField(_("level"), max_length=10, choices=Level.choices, default=Level.SCHOOL)
    # Plan
    aim = models.TextField(_("aim"), help_text=_("What are we trying to accomplish, by how much, by when?"))
    change_idea = models.TextField(_("change idea"), help_text=_("What change will we test?"))
    measures = models.TextField(_("measures"), help_text=_("How will we know that the change is an improvement?"))
    prediction = models.TextField(_("prediction"), blank=True)
    # Do
    start_date = models.DateField(_("start"))
    study_date = models.DateField(_("study the data on"))
    what_happened = models.TextField(_("what happened (do)"), blank=True)
    # Study
    what_was_learned = models.TextField(_("what was learned (study)"), blank=True)
    # Act
    decision = models.CharField(_("decision (act)"), max_length=8, choices=Act.choices, blank=True)
    next_steps = models.TextField(_("next steps"), blank=True)
    decided_at = models.DateTimeField(null=True, blank=True)
    interventions = models.ManyToManyField(Intervention, blank=True, related_name="+")
    groups = models.ManyToManyField(InterventionGroup, blank=True, related_name="+")
    # Started from the intervention-effectiveness report: what it showed then (plans, judged,
    # responding, as of), so the cycle's study compares against its own baseline.
    baseline = models.JSONField(default=dict, blank=True)
    owner = models.ForeignKey("mtss.User", on_delete=models.PROTECT, related_name="+")
    created_by = models.ForeignKey("mtss.User", null=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-start_date", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(study_date__gte=models.F("start_date")),
                name="pdsa_study_after_start",
                violation_error_message=_("Study date: the study date cannot be before the start."),
            ),
            # Act comes after Study: a decision needs what was learned.
            models.CheckConstraint(
                condition=Q(decision="") | ~Q(what_was_learned=""),
                name="pdsa_decision_needs_learning",
                violation_error_message=_("Decision: record what was learned (Study) before the decision (Act)."),
            ),
        ]
        indexes = [models.Index(fields=["district", "school", "start_date"], name="pdsa_school_idx")]

    def __str__(self) -> str:
        return self.title

    @property
    def stage(self) -> str:
        """Where the cycle is: plan, do, study or act (done)."""
        if self.decision:
            return "act"
        if self.what_was_learned:
            return "study"
        if self.what_happened:
            return "do"
        return "plan"


# Check-in/check-out point cards and Ohio's reading guarantee live in their own sub-packages;
# their models belong to this app.
from interventions.cico.models import PointCard, PointCardSetup, PointRating  # noqa: E402,F401
from interventions.rimp.models import ReadingDetermination, Rimp  # noqa: E402,F401
