"""The core: districts (tenants), schools, school years, users and memberships,
API tokens, the audit trail and the FERPA access log."""

from __future__ import annotations

from django.contrib.auth.models import AbstractUser
from django.db import models
from django.utils.translation import gettext_lazy as _


class District(models.Model):
    """A school district: the tenant. Every district-owned row points here."""

    name = models.CharField(_("name"), max_length=200)
    slug = models.SlugField(_("slug"), max_length=80, unique=True)
    state = models.CharField(_("state"), max_length=2, help_text=_("Two-letter postal code, e.g. TN."))
    timezone = models.CharField(_("time zone"), max_length=64, default="America/New_York")
    address = models.TextField(_("address"), blank=True)
    phone = models.CharField(_("phone"), max_length=40, blank=True)
    # Issue 15: "A district can turn password sign-in off for its members" (then only its
    # single sign-on providers sign them in; mtss.sso).
    password_sign_in = models.BooleanField(
        _("members may sign in with a password"),
        default=True,
        help_text=_("Turn off once the district's single sign-on works: members then sign in only through it."),
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class DistrictOwned(models.Model):
    """Abstract base: the non-null district foreign key every tenant row carries.

    mtss.rls enables row-level security for every concrete model with this field.
    """

    district = models.ForeignKey(District, on_delete=models.CASCADE, related_name="+")

    class Meta:
        abstract = True


class School(DistrictOwned):
    GRADE_CHOICES = [(-1, "PK"), (0, "K")] + [(g, str(g)) for g in range(1, 13)]

    name = models.CharField(_("name"), max_length=200)
    code = models.CharField(_("school code"), max_length=40, help_text=_("The district's own code."))
    sourced_id = models.CharField(_("OneRoster sourcedId"), max_length=100, blank=True)
    grade_low = models.SmallIntegerField(_("lowest grade"), choices=GRADE_CHOICES, default=0)
    grade_high = models.SmallIntegerField(_("highest grade"), choices=GRADE_CHOICES, default=5)
    principal = models.ForeignKey("mtss.User", null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    address = models.TextField(_("address"), blank=True)

    class Meta:
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(
                fields=["district", "code"],
                name="school_code_unique_in_district",
                violation_error_message=_("School code: another school of the district has this code."),
            ),
            models.CheckConstraint(
                condition=models.Q(grade_low__lte=models.F("grade_high")),
                name="school_grade_span",
                violation_error_message=_("Highest grade: it must not be below the lowest grade."),
            ),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def grade_span(self) -> str:
        return f"{self.get_grade_low_display()}-{self.get_grade_high_display()}"


class SchoolYear(DistrictOwned):
    name = models.CharField(_("name"), max_length=20, help_text=_("e.g. 2025-2026"))
    start_date = models.DateField(_("first day"))
    end_date = models.DateField(_("last day"))
    sourced_id = models.CharField(max_length=100, blank=True)

    class Meta:
        ordering = ["-start_date"]
        constraints = [
            models.UniqueConstraint(
                fields=["district", "name"],
                name="school_year_unique_in_district",
                violation_error_message=_("Name: the district already has a school year with this name."),
            ),
            models.CheckConstraint(
                condition=models.Q(start_date__lt=models.F("end_date")),
                name="school_year_dates",
                violation_error_message=_("Last day: the school year must end after its first day."),
            ),
        ]

    def __str__(self) -> str:
        return self.name


class User(AbstractUser):
    """Staff account. Which districts and schools it works in is in Membership."""

    email = models.EmailField(_("email address"), unique=True)


class Role(models.TextChoices):
    DISTRICT_ADMIN = "district_admin", _("District administrator")
    PRINCIPAL = "principal", _("Principal")
    INTERVENTION_SPECIALIST = "intervention_specialist", _("Intervention specialist")
    TEACHER = "teacher", _("Teacher")
    PSYCHOLOGIST = "psychologist", _("School psychologist")
    COUNSELOR = "counselor", _("Counselor")
    READ_ONLY = "read_only", _("Read only")


class Membership(DistrictOwned):
    """A user's role in one district, and the schools the role covers."""

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="memberships")
    role = models.CharField(_("role"), max_length=32, choices=Role.choices)
    schools = models.ManyToManyField(School, through="MembershipSchool", blank=True, related_name="+")
    is_active = models.BooleanField(default=True)
    sourced_id = models.CharField(max_length=100, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    # Row-level security also lets a user read their own memberships before a
    # district is chosen (at sign-in), keyed by the mtss.user_id setting.
    rls_extra = "user_id = NULLIF(current_setting('mtss.user_id', true), '')::bigint"

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["district", "user"],
                name="one_membership_per_district",
                violation_error_message=_("User: this person is already a member of the district."),
            )
        ]

    def __str__(self) -> str:
        return f"{self.user} ({self.get_role_display()})"

    def district_schools(self):
        """The membership's schools, filtered on its district as well: as a subquery it then stays on
        one shard on Citus (README, "Past one database"); `schools` alone filters on the membership."""
        return self.schools.filter(district_id=self.district_id)


class MembershipSchool(DistrictOwned):
    membership = models.ForeignKey(Membership, on_delete=models.CASCADE)
    school = models.ForeignKey(School, on_delete=models.CASCADE)

    # Before a district is chosen a user reads the schools of their own memberships
    # (the same sign-in rule as Membership). The membership subquery is itself
    # limited by Membership's policy.
    rls_extra = (
        "membership_id IN (SELECT m.id FROM mtss_membership m "
        "WHERE m.user_id = NULLIF(current_setting('mtss.user_id', true), '')::bigint)"
    )

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["district", "membership", "school"],
                name="membership_school_unique",
                violation_error_message=_("School: the membership already includes this school."),
            )
        ]

    def __str__(self) -> str:
        return f"membership {self.membership_id} at school {self.school_id}"


class ApiToken(DistrictOwned):
    """A bearer token for the REST API. It belongs to one district and one user.

    Only a SHA-256 hash of the key is stored; the key is shown once.
    """

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="api_tokens")
    name = models.CharField(_("name"), max_length=100)
    key_prefix = models.CharField(max_length=8)
    key_hash = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField(auto_now_add=True)
    last_used_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    # The token is looked up by its hash before the district is known.
    rls_extra = "key_hash = NULLIF(current_setting('mtss.token_hash', true), '')"

    def __str__(self) -> str:
        return f"{self.name} ({self.key_prefix}…)"


class AuditEvent(DistrictOwned):
    """Who changed what: written by services, never by signals."""

    actor = models.ForeignKey(User, null=True, on_delete=models.SET_NULL, related_name="+")
    at = models.DateTimeField(auto_now_add=True)
    verb = models.CharField(max_length=60)
    object_type = models.CharField(max_length=60)
    object_id = models.BigIntegerField(null=True)
    changes = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["-at"]
        indexes = [models.Index(fields=["district", "object_type", "object_id"], name="audit_object_idx")]

    def __str__(self) -> str:
        return f"{self.verb} {self.object_type} {self.object_id}"


class AccessLog(DistrictOwned):
    """One row per request that read or exported student records (FERPA 34 CFR 99.32 spirit).

    Student ids only: names and other record content never go into this log.
    """

    class Action(models.TextChoices):
        VIEW = "view", _("viewed a student record")
        LIST = "list", _("listed students")
        API_READ = "api_read", _("read through the API")
        EXPORT = "export", _("exported")

    user = models.ForeignKey(User, null=True, on_delete=models.SET_NULL, related_name="+")
    at = models.DateTimeField(auto_now_add=True, db_index=False)
    action = models.CharField(max_length=20, choices=Action.choices)
    what = models.CharField(max_length=120, help_text=_("Which record type or report."))
    student_ids = models.JSONField(default=list)
    student_count = models.PositiveIntegerField(default=0)
    path = models.CharField(max_length=300)
    ip_address = models.GenericIPAddressField(null=True)

    class Meta:
        ordering = ["-at"]
        # The admin's browse view: newest first within a district.
        indexes = [models.Index(fields=["district", "-at"], name="accesslog_district_at_idx")]

    def __str__(self) -> str:
        return f"access {self.pk}"


class PolicyVersion(DistrictOwned):
    """One effective-dated version of a district's policy document (mtss.policy).

    Versions are never edited or deleted: anything the engine decides records
    the version it used.
    """

    version = models.PositiveIntegerField()
    name = models.CharField(max_length=80, help_text=_("The document's name, e.g. the preset it started from."))
    title = models.CharField(max_length=200)
    document = models.JSONField()
    effective_from = models.DateField(_("effective from"))
    note = models.TextField(_("what changed and why"), blank=True)
    created_by = models.ForeignKey(User, null=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-version"]
        constraints = [
            models.UniqueConstraint(
                fields=["district", "version"],
                name="policy_version_unique",
                violation_error_message=_("Version: this policy version number is taken; reload and save again."),
            )
        ]
        # policy_current(): the newest version in effect on a date.
        indexes = [models.Index(fields=["district", "-effective_from", "-version"], name="policy_effective_idx")]

    def __str__(self) -> str:
        return self.label

    @property
    def label(self) -> str:
        return f"{self.name}@{self.version}"


# The school calendar lives in its own module; imported here so that Django registers it in `mtss`.
from mtss.calendars.models import CalendarEvent, DayCycle, Term  # noqa: E402,F401


class FormSubmission(DistrictOwned):
    """A form's one-time token, claimed when its work is saved (mtss/idempotency.py).

    Every data-entry form carries a fresh token; the second submission of the same token (Back
    and submit, a double click, a retry) finds it taken and is shown what the first one saved
    instead of saving again (issue 14: "a resubmitted form never creates a second object").
    """

    token = models.UUIDField()
    user = models.ForeignKey(User, null=True, on_delete=models.SET_NULL, related_name="+")
    # Where the first submission went (a page of this site), to send the repeat there too.
    result_url = models.CharField(max_length=300, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["district", "token"],
                name="form_submission_token_unique",
                violation_error_message=_("Form: this form was already submitted."),
            )
        ]

    def __str__(self) -> str:
        return str(self.token)


class IdentityProvider(DistrictOwned):
    """One single sign-on provider of a district (issue 15; mtss.sso turns it into allauth's app).

    The client secret is stored encrypted (mtss.sso.secrets) or named by the environment
    variable that holds it; neither is ever shown again on a page.
    """

    class Kind(models.TextChoices):
        GOOGLE = "google", _("Google Workspace (OpenID Connect)")
        ENTRA = "entra", _("Microsoft Entra ID (OpenID Connect)")
        CLASSLINK = "classlink", _("ClassLink (OpenID Connect)")
        OIDC = "oidc", _("Other OpenID Connect provider")
        SAML = "saml", _("SAML 2.0")

    name = models.CharField(_("button label"), max_length=80, help_text=_("Shown on the sign-in page."))
    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices)
    enabled = models.BooleanField(_("enabled"), default=True)
    client_id = models.CharField(_("client id"), max_length=255, blank=True)
    client_secret_encrypted = models.TextField(blank=True)
    client_secret_env = models.CharField(
        _("secret from environment variable"),
        max_length=100,
        blank=True,
        help_text=_("Instead of storing the secret: the name of the server's environment variable that holds it."),
    )
    server_url = models.URLField(
        _("issuer URL"), max_length=500, blank=True, help_text=_("OpenID Connect issuer (its discovery document).")
    )
    tenant = models.CharField(
        _("Entra tenant"), max_length=100, blank=True, help_text=_("Directory (tenant) id or domain.")
    )
    saml_metadata_url = models.URLField(_("IdP metadata URL"), max_length=500, blank=True)
    saml_metadata_xml = models.TextField(_("IdP metadata XML"), blank=True)
    allowed_domains = models.JSONField(_("allowed e-mail domains"), default=list)
    sourced_id_claim = models.CharField(
        _("claim holding the roster sourcedId"),
        max_length=100,
        blank=True,
        help_text=_("Optional: a claim matched against the roster's sourcedId when the e-mail does not match."),
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(
                fields=["district", "name"],
                name="identity_provider_name_unique",
                violation_error_message=_("Button label: the district already has a provider with this label."),
            )
        ]

    def __str__(self) -> str:
        return self.name


class PurgeRun(DistrictOwned):
    """One run of the retention job (issue 18, item 5): its dry run, then, maybe, its purge.

    The dry run counts, per kind of record, what the district's retention schedule says has
    expired on `as_of`, and is kept as the report a person reads before anything goes. A purge
    deletes at most those counts: when it finds more (a roster exited a school in between), it
    stops, deletes nothing, and says so (status "stopped"). Never silently, always provably.
    """

    class Status(models.TextChoices):
        DRY_RUN = "dry_run", _("Dry run")
        PURGED = "purged", _("Purged")
        STOPPED = "stopped", _("Stopped: more than the dry run counted")

    as_of = models.DateField(_("as of"))
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.DRY_RUN)
    # {kind: rows due} from the dry run, and {kind: rows deleted} (or found, when stopped) from the purge.
    counts = models.JSONField(default=dict)
    purged_counts = models.JSONField(default=dict, blank=True)
    # The retention schedule the dry run applied ({kind: years}), and the policy version it came from.
    schedule = models.JSONField(default=dict)
    policy_version_id = models.BigIntegerField(null=True, blank=True)
    created_by = models.ForeignKey(User, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    purged_at = models.DateTimeField(null=True, blank=True)
    note = models.TextField(blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        # The district's purge history, newest first.
        indexes = [models.Index(fields=["district", "-created_at"], name="purgerun_district_idx")]

    def __str__(self) -> str:
        return f"purge run {self.pk} ({self.status})"

    @property
    def total(self) -> int:
        return sum(self.counts.values())
