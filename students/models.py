"""Students, their guardians and contacts, and school-year enrolments."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _
from guardian.models import UserObjectPermissionBase

from mtss.models import DistrictOwned, School, SchoolYear

# The subgroups the sources name (LAUSD handbook, 000_...: "English Learners (EL),
# Standard English Learners (SEL), students with disabilities (SWD), expelled students,
# students in foster care and/or experiencing homelessness, socio-economically
# disadvantaged, and gifted and talented education (GATE) students").
SUBGROUPS = {
    "english_learner": _("English learner"),
    "standard_english_learner": _("Standard English learner"),
    "disability_iep": _("Student with disabilities (IEP)"),
    "section_504": _("Section 504 plan"),
    "foster": _("Foster care"),
    "homeless": _("Experiencing homelessness"),
    "socioeconomically_disadvantaged": _("Socio-economically disadvantaged"),
    "gifted": _("Gifted and talented"),
    "expelled": _("Expelled"),
}

# Languages families read; also the letters' languages (notifications issue).
LANGUAGES = [
    ("en", "English"),
    ("es", "Español (Spanish)"),
    ("zh-hans", "简体中文 (Chinese, Simplified)"),
    ("zh-hant", "繁體中文 (Chinese, Traditional)"),
    ("vi", "Tiếng Việt (Vietnamese)"),
    ("ko", "한국어 (Korean)"),
    ("hy", "Հայերեն (Armenian)"),
    ("ar", "العربية (Arabic)"),
    ("tl", "Tagalog"),
    ("ru", "Русский (Russian)"),
    ("ht", "Kreyòl ayisyen (Haitian Creole)"),
    ("other", _("Other")),
]


class Gender(models.TextChoices):
    FEMALE = "F", _("Female")
    MALE = "M", _("Male")
    NONBINARY = "X", _("Non-binary")
    UNKNOWN = "U", _("Not reported")


class RaceEthnicity(models.TextChoices):
    # The seven federal reporting categories (also OneRoster demographics).
    HISPANIC = "hispanic", _("Hispanic or Latino")
    AMERICAN_INDIAN = "american_indian", _("American Indian or Alaska Native")
    ASIAN = "asian", _("Asian")
    BLACK = "black", _("Black or African American")
    PACIFIC_ISLANDER = "pacific_islander", _("Native Hawaiian or Other Pacific Islander")
    WHITE = "white", _("White")
    TWO_OR_MORE = "two_or_more", _("Two or more races")
    UNKNOWN = "unknown", _("Not reported")


class Student(DistrictOwned):
    school = models.ForeignKey(School, on_delete=models.PROTECT, related_name="students")
    local_id = models.CharField(_("local student id"), max_length=40)
    state_id = models.CharField(_("state student id"), max_length=40, blank=True)
    sourced_id = models.CharField(_("OneRoster sourcedId"), max_length=100, blank=True)
    first_name = models.CharField(_("first name"), max_length=100)
    middle_name = models.CharField(_("middle name"), max_length=100, blank=True)
    last_name = models.CharField(_("last name"), max_length=100)
    preferred_name = models.CharField(_("preferred name"), max_length=100, blank=True)
    birth_date = models.DateField(_("birth date"))
    grade = models.SmallIntegerField(_("grade"), choices=School.GRADE_CHOICES)
    gender = models.CharField(_("gender"), max_length=1, choices=Gender.choices, default=Gender.UNKNOWN)
    race_ethnicity = models.CharField(
        _("race/ethnicity"), max_length=20, choices=RaceEthnicity.choices, default=RaceEthnicity.UNKNOWN
    )
    home_language = models.CharField(_("home language"), max_length=10, choices=LANGUAGES, default="en")
    entry_date = models.DateField(_("enrolment date"))
    exit_date = models.DateField(_("exit date"), null=True, blank=True)
    english_learner = models.BooleanField(SUBGROUPS["english_learner"], default=False)
    standard_english_learner = models.BooleanField(SUBGROUPS["standard_english_learner"], default=False)
    disability_iep = models.BooleanField(SUBGROUPS["disability_iep"], default=False)
    section_504 = models.BooleanField(SUBGROUPS["section_504"], default=False)
    foster = models.BooleanField(SUBGROUPS["foster"], default=False)
    homeless = models.BooleanField(SUBGROUPS["homeless"], default=False)
    socioeconomically_disadvantaged = models.BooleanField(SUBGROUPS["socioeconomically_disadvantaged"], default=False)
    gifted = models.BooleanField(SUBGROUPS["gifted"], default=False)
    expelled = models.BooleanField(SUBGROUPS["expelled"], default=False)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["last_name", "first_name", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["district", "local_id"],
                name="student_local_id_unique_in_district",
                violation_error_message=_("Local id: another student of the district has this local id."),
            ),
            models.CheckConstraint(
                condition=models.Q(exit_date__isnull=True) | models.Q(exit_date__gte=models.F("entry_date")),
                name="student_exit_after_entry",
                violation_error_message=_("Exit date: it cannot be before the entry date."),
            ),
        ]
        indexes = [
            # Student list: filter by school and grade, ordered by name.
            models.Index(fields=["district", "school", "grade", "last_name"], name="student_school_grade_idx"),
            # Name search and the default ordering.
            models.Index(fields=["district", "last_name", "first_name"], name="student_name_idx"),
        ]
        permissions = []

    def __str__(self) -> str:
        return f"{self.last_name}, {self.display_first_name}"

    @property
    def display_first_name(self) -> str:
        return self.preferred_name or self.first_name

    @property
    def full_name(self) -> str:
        return f"{self.display_first_name} {self.last_name}"

    @property
    def subgroups(self) -> list[str]:
        return [key for key in SUBGROUPS if getattr(self, key)]

    @property
    def subgroup_labels(self) -> list[str]:
        return [str(SUBGROUPS[key]) for key in self.subgroups]


class Guardian(DistrictOwned):
    """A parent, guardian or other contact of one student."""

    class Relationship(models.TextChoices):
        MOTHER = "mother", _("Mother")
        FATHER = "father", _("Father")
        PARENT = "parent", _("Parent")
        GUARDIAN = "guardian", _("Legal guardian")
        GRANDPARENT = "grandparent", _("Grandparent")
        FOSTER_PARENT = "foster_parent", _("Foster parent")
        RELATIVE = "relative", _("Other relative")
        OTHER = "other", _("Other contact")

    student = models.ForeignKey(Student, on_delete=models.CASCADE, related_name="guardians")
    first_name = models.CharField(_("first name"), max_length=100)
    last_name = models.CharField(_("last name"), max_length=100)
    relationship = models.CharField(_("relationship"), max_length=20, choices=Relationship.choices)
    preferred_language = models.CharField(_("preferred language"), max_length=10, choices=LANGUAGES, default="en")
    email = models.EmailField(_("email"), blank=True)
    phone = models.CharField(_("phone"), max_length=40, blank=True)
    address_line1 = models.CharField(_("address"), max_length=200, blank=True)
    address_line2 = models.CharField(_("address line 2"), max_length=200, blank=True)
    city = models.CharField(_("city"), max_length=100, blank=True)
    state = models.CharField(_("state"), max_length=2, blank=True)
    postal_code = models.CharField(_("ZIP code"), max_length=10, blank=True)
    receives_notices = models.BooleanField(_("receives notices"), default=True)
    # Set when a bulk roster stopped this contact's notices (the student left, or the link went):
    # a roster that brings the link back restores them. A contact who had opted out by hand is
    # never switched on again, because the roster only pauses contacts that were receiving notices.
    notices_paused_by_roster = models.BooleanField(default=False)
    lives_with_student = models.BooleanField(_("lives with student"), default=True)
    sourced_id = models.CharField(max_length=100, blank=True)

    class Meta:
        ordering = ["id"]
        indexes = [models.Index(fields=["district", "student"], name="guardian_student_idx")]

    def __str__(self) -> str:
        return f"{self.first_name} {self.last_name}"


class ParentConsultation(DistrictOwned):
    """A consultation between a student's parents and the staff serving the student.

    Holland Patent (seed 001): "The parent(s) shall be provided an opportunity to consult
    with the student's general education teacher(s) and other staff providing RtI services
    at least once per quarter" (policy: parent_contact.consultations_per_quarter).
    """

    class Method(models.TextChoices):
        IN_PERSON = "in_person", _("In person")
        PHONE = "phone", _("Phone")
        VIDEO = "video", _("Video call")
        EMAIL = "email", _("Email or letter")

    student = models.ForeignKey(Student, on_delete=models.CASCADE, related_name="consultations")
    guardian = models.ForeignKey(Guardian, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    held_on = models.DateField(_("date"))
    method = models.CharField(_("how"), max_length=10, choices=Method.choices, default=Method.IN_PERSON)
    notes = models.TextField(_("notes"), blank=True)
    # The parent asked for a team meeting (parent_contact.may_request_meeting): the next
    # agenda of the student's school picks it up.
    meeting_requested = models.BooleanField(_("the parent asks for a team meeting"), default=False)
    recorded_by = models.ForeignKey("mtss.User", null=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-held_on", "-id"]
        indexes = [models.Index(fields=["district", "student", "held_on"], name="consultation_student_idx")]


class Enrollment(DistrictOwned):
    """A student's enrolment in a school for one school year (kept across rollovers)."""

    student = models.ForeignKey(Student, on_delete=models.CASCADE, related_name="enrollments")
    school = models.ForeignKey(School, on_delete=models.PROTECT, related_name="+")
    school_year = models.ForeignKey(SchoolYear, on_delete=models.PROTECT, related_name="+")
    grade = models.SmallIntegerField(_("grade"), choices=School.GRADE_CHOICES)
    start_date = models.DateField(_("start"))
    end_date = models.DateField(_("end"), null=True, blank=True)

    class Meta:
        ordering = ["-start_date"]
        constraints = [
            models.UniqueConstraint(
                fields=["district", "student", "school_year", "school"],
                name="enrollment_unique_per_year",
                violation_error_message=_("School: the student is already enrolled at this school in this year."),
            )
        ]


class StudentUserObjectPermission(UserObjectPermissionBase):
    """django-guardian's direct foreign-key permission table, carrying the district.

    A row grants one user `view_student` on one student: a teacher's enrolled
    students (from the roster) and a specialist's caseload.
    """

    district = models.ForeignKey("mtss.District", on_delete=models.CASCADE, related_name="+")
    content_object = models.ForeignKey(Student, on_delete=models.CASCADE, related_name="user_grants")

    class Meta(UserObjectPermissionBase.Meta):
        indexes = [models.Index(fields=["district", "user", "permission"], name="student_grant_user_idx")]


class ImportRun(DistrictOwned):
    """One import of a file into the district (a roster or scores): who, when, what, result.

    Written for dry runs and refused imports too, so district administrators see
    every attempt. `errors` keeps the first ERROR_LIMIT rejected rows;
    `error_count` is the total.
    """

    ERROR_LIMIT = 1000

    class Kind(models.TextChoices):
        ROSTER = "roster", _("Roster")
        SCORES = "scores", _("Scores")
        NORMS = "norms", _("Norms and cut scores")
        ATTENDANCE = "attendance", _("Daily attendance")
        INCIDENTS = "incidents", _("Behaviour incidents")
        GRADES = "grades", _("Course grades")

    class Status(models.TextChoices):
        # A background job (screening.jobs): queued, then running, then one of the outcomes below.
        QUEUED = "queued", _("Waiting to start")
        RUNNING = "running", _("Running")
        DRY_RUN = "dry_run", _("Dry run: nothing written")
        SUCCEEDED = "succeeded", _("Imported")
        REFUSED = "refused", _("Refused: nothing written")
        PARTIAL = "partial", _("Valid rows imported, others rejected")

    kind = models.CharField(max_length=20, choices=Kind.choices)
    format = models.CharField(max_length=40, help_text=_("e.g. oneroster-1.1"))
    file_name = models.CharField(max_length=255)
    started_by = models.ForeignKey("mtss.User", null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    started_at = models.DateTimeField()
    finished_at = models.DateTimeField(null=True, blank=True)
    status = models.CharField(max_length=20, choices=Status.choices)
    dry_run = models.BooleanField(default=False)
    # {entity: {created, updated, unchanged, deleted, rejected}}; "deleted" means
    # deactivated (students exited, memberships made inactive): imports never delete rows.
    counts = models.JSONField(default=dict, blank=True)
    # [{file, line, column, reason}], the first ERROR_LIMIT of error_count.
    errors = models.JSONField(default=list, blank=True)
    error_count = models.PositiveIntegerField(default=0)
    warnings = models.JSONField(default=list, blank=True)
    # Format-specific facts: version, bulk/delta per file, encodings, unmatched students.
    details = models.JSONField(default=dict, blank=True)
    # A job's options (format, mapping, measure, dry run, accepted valid rows, confirmed exits) and
    # its staged upload; the live progress is in the cache (students.importers.progress) and the
    # last snapshot here: {phase, total, read, validated, written}.
    options = models.JSONField(default=dict, blank=True)
    progress = models.JSONField(default=dict, blank=True)

    FINISHED = (Status.DRY_RUN, Status.SUCCEEDED, Status.REFUSED, Status.PARTIAL)

    @property
    def is_finished(self) -> bool:
        return self.status in self.FINISHED

    class Meta:
        ordering = ["-started_at", "-id"]
        # The administrators' list of imports: newest first within a district.
        indexes = [models.Index(fields=["district", "-started_at"], name="importrun_district_started_idx")]

    def __str__(self) -> str:
        return f"{self.kind} {self.file_name} ({self.status})"


class RosterSync(DistrictOwned):
    """A district's automated rostering from its SIS's OneRoster REST API (README, "Rostering sync").

    One per district. The secret is never stored: `client_secret_env` names the
    environment variable that holds it, so it lives with the deployment's other
    secrets. `modified_since` is the delta high-water mark: the newest
    `dateLastModified` a successful pull saw (the server's clock, not ours).
    """

    class Version(models.TextChoices):
        V1_1 = "1.1", "OneRoster 1.1"
        V1_2 = "1.2", "OneRoster 1.2"

    class State(models.TextChoices):
        NEVER = "never", _("Never run")
        QUEUED = "queued", _("Queued")
        RUNNING = "running", _("Running")
        SUCCEEDED = "succeeded", _("Imported")
        REFUSED = "refused", _("Refused: nothing written")
        FAILED = "failed", _("Failed: nothing written")

    enabled = models.BooleanField(_("sync every night"), default=False)
    version = models.CharField(_("OneRoster version"), max_length=3, choices=Version.choices, default=Version.V1_2)
    base_url = models.URLField(
        _("API base URL"),
        max_length=500,
        help_text=_("The rostering endpoint, e.g. https://sis.example.org/ims/oneroster/rostering/v1p2"),
    )
    token_url = models.URLField(_("token URL"), max_length=500, help_text=_("The OAuth 2 token endpoint."))
    client_id = models.CharField(_("client id"), max_length=200)
    client_secret_env = models.CharField(
        _("environment variable holding the client secret"),
        max_length=100,
        help_text=_("The secret is not stored in the database: name the variable, e.g. ONEROSTER_SECRET_LOUDON."),
    )
    modified_since = models.DateTimeField(null=True, blank=True)
    state = models.CharField(max_length=20, choices=State.choices, default=State.NEVER)
    # Fetched records per collection and what the pull was (full or delta), for the page.
    progress = models.JSONField(default=dict, blank=True)
    message = models.TextField(blank=True)
    last_started_at = models.DateTimeField(null=True, blank=True)
    last_finished_at = models.DateTimeField(null=True, blank=True)
    last_run = models.ForeignKey(
        "students.ImportRun", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    full_requested = models.BooleanField(default=False)
    # The number of exits an administrator typed to confirm a mass exit (students.services.
    # roster_exit_check); used by the next sync only.
    confirm_exits = models.PositiveIntegerField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["district"],
                name="roster_sync_one_per_district",
                violation_error_message=_("Rostering sync: the district already has one."),
            )
        ]

    def __str__(self) -> str:
        return f"OneRoster {self.version} sync ({self.state})"


# Attendance, behaviour incidents, course grades and early-warning flags (issue 17).
from students.early_warning.models import (  # noqa: E402, F401
    AttendanceDay,
    BehaviorIncident,
    CourseGrade,
    EarlyWarningFlag,
    EarlyWarningSnapshot,
    IncidentType,
)

# The record of disclosures (issue 18, FERPA 34 CFR 99.32).
from students.privacy.models import Disclosure, DisclosureChannel, RecordCopyRequest  # noqa: E402, F401
