"""Parent notices: the outbox of letters and e-mails, their history, print batches,
and each district's letterhead, per-language text overrides and review marks.

A Notice row is the outbox entry. It is written in the same transaction as the
decision that causes it (a placement, a meeting decision, a schedule run), so a
broker that is down at that moment loses nothing: the sweeper sends what is
still pending when the broker returns (ARCHITECTURE.md, Jobs).
"""

from __future__ import annotations

from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from mtss.models import DistrictOwned


class LetterType(models.TextChoices):
    """The letter templates. A policy notice maps to one through its trigger."""

    START_OF_YEAR = "start_of_year", _("Start of year")
    SCREENING_RESULTS = "screening_results", _("Screening results")
    PLACEMENT_START = "placement_start", _("Start of services")
    TIER_CHANGE = "tier_change", _("Change of tier")
    PLACEMENT_END = "placement_end", _("End of services")
    MEETING_INVITATION = "meeting_invitation", _("Meeting invitation")
    MEETING_OUTCOME = "meeting_outcome", _("Meeting outcome")
    PROGRESS_REPORT = "progress_report", _("Progress report")
    NOT_ON_TRACK = "not_on_track", _("Reading-deficiency notice")
    RIMP = "rimp", _("Reading Improvement and Monitoring Plan")
    MID_YEAR_ENTRY = "mid_year_entry", _("New-student screening")
    REFERRAL = "referral_considered", _("Special-education referral")
    POINT_CARD_SUMMARY = "point_card_summary", _("Behavior card summary (check-in/check-out)")


class NoticeStatus(models.TextChoices):
    PENDING = "pending", _("Pending")
    GENERATED = "generated", _("Generated")
    SENT = "sent", _("Sent")
    FAILED = "failed", _("Failed")
    ACKNOWLEDGED = "acknowledged", _("Acknowledged")
    # The policy requires the notice but the student has no guardian who receives notices:
    # recorded (and listed on the notices page), never sent, never silently dropped.
    NO_RECIPIENT = "no_recipient", _("No recipient")
    # The worker stopped (killed, out of time) after it began handing the e-mail to the mail
    # server and before it recorded the outcome: the family may have it. Never resent by
    # itself; staff check and send it again deliberately (issue 16, item 8).
    MAYBE_SENT = "maybe_sent", _("Maybe sent")


class Channel(models.TextChoices):
    EMAIL = "email", _("E-mail")
    PRINT = "print", _("Printed letter")


class Notice(DistrictOwned):
    """One letter to one recipient about one student, in one language.

    ``(district, student, notice_key, period_key, language, recipient_key)`` is
    unique: a retry, a second worker or a re-run of a schedule finds the row and
    creates nothing.
    """

    MAX_ATTEMPTS = 6

    student = models.ForeignKey("students.Student", on_delete=models.CASCADE, related_name="notices")
    school = models.ForeignKey("mtss.School", on_delete=models.PROTECT, related_name="+")
    guardian = models.ForeignKey(
        "students.Guardian", null=True, blank=True, on_delete=models.SET_NULL, related_name="notices"
    )
    # "guardian:<id>" or "student": part of the unique key, kept if the guardian row goes.
    recipient_key = models.CharField(max_length=40)
    recipient_name = models.CharField(_("recipient"), max_length=220)
    email = models.EmailField(_("e-mail"), blank=True)
    address = models.TextField(_("address"), blank=True)
    # The policy notice's key ("tier-start"), or a built-in one ("progress-report", "rimp").
    notice_key = models.CharField(_("notice"), max_length=80)
    letter_type = models.CharField(_("type"), max_length=30, choices=LetterType.choices)
    trigger = models.CharField(_("trigger"), max_length=40, blank=True)
    title = models.CharField(_("title"), max_length=200)
    content_blocks = models.JSONField(_("required content blocks"), default=list, blank=True)
    period_key = models.CharField(_("period"), max_length=80)
    # The language asked for (the guardian's preferred one) and the one the letter is in.
    language = models.CharField(_("language"), max_length=10)
    rendered_language = models.CharField(_("letter language"), max_length=10, blank=True)
    fallback_reason = models.CharField(max_length=200, blank=True)
    # Whether the district had reviewed the catalogue of the language the letter went out in
    # (DistrictLanguage; English: the product's own text). None: not generated yet.
    catalogue_reviewed = models.BooleanField(_("translation reviewed"), null=True, blank=True)
    channel = models.CharField(_("delivery"), max_length=10, choices=Channel.choices)
    delivery = models.JSONField(default=list, blank=True)  # the policy's delivery list
    context = models.JSONField(default=dict, blank=True)
    meeting_id = models.BigIntegerField(null=True, blank=True)
    tier = models.PositiveSmallIntegerField(null=True, blank=True)
    policy_version_id = models.BigIntegerField(null=True, blank=True)
    due_date = models.DateField(_("due"), null=True, blank=True)

    status = models.CharField(_("status"), max_length=14, choices=NoticeStatus.choices, default=NoticeStatus.PENDING)
    attempts = models.PositiveSmallIntegerField(default=0)
    last_error = models.TextField(_("error"), blank=True)
    next_attempt_at = models.DateTimeField(null=True, blank=True)
    # A worker's claim: only the worker holding an unexpired claim may send.
    claimed_until = models.DateTimeField(null=True, blank=True)
    claim_token = models.CharField(max_length=32, blank=True)
    # The delivery attempt, committed BEFORE the mail server is contacted and cleared with the
    # outcome: a row that still has it once the claim has expired is a send whose outcome no one
    # recorded (a worker killed mid-send), which the sweeper marks "maybe sent".
    send_started_at = models.DateTimeField(null=True, blank=True)
    # Which insert wrote the row: tells a caller which of its rows were new when another
    # worker inserted the same keys at the same moment (ON CONFLICT DO NOTHING).
    insert_token = models.CharField(max_length=32, blank=True)
    pdf = models.FileField(upload_to="notices/", blank=True)
    pdf_sha256 = models.CharField(max_length=64, blank=True)
    print_batch = models.ForeignKey(
        "PrintBatch", null=True, blank=True, on_delete=models.SET_NULL, related_name="notices"
    )
    created_by = models.ForeignKey("mtss.User", null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    generated_at = models.DateTimeField(null=True, blank=True)
    sent_at = models.DateTimeField(null=True, blank=True)
    acknowledged_at = models.DateTimeField(null=True, blank=True)
    acknowledged_by = models.ForeignKey("mtss.User", null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    # A family that acknowledged the letter in the portal (notifications.portal).
    acknowledged_by_family = models.ForeignKey(
        "notifications.GuardianAccount", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["district", "student", "notice_key", "period_key", "language", "recipient_key"],
                name="notice_unique_per_period",
            ),
        ]
        indexes = [
            # The district's notice list, filtered by status and newest first.
            models.Index(fields=["district", "status", "-created_at"], name="notice_status_idx"),
            # A student's notice history.
            models.Index(fields=["district", "student", "-created_at"], name="notice_student_idx"),
            # The print batch of a school: generated, printed letters not yet batched.
            models.Index(fields=["district", "school", "channel", "status"], name="notice_school_idx"),
            # The sweeper: pending or failed notices whose next attempt is due.
            models.Index(
                fields=["district", "status", "next_attempt_at"],
                name="notice_sweep_idx",
                condition=Q(status__in=["pending", "failed"]),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.notice_key} {self.period_key} ({self.language})"

    @property
    def is_fallback(self) -> bool:
        return bool(self.rendered_language) and self.rendered_language != self.language


class NoticeEvent(DistrictOwned):
    """The history of one notice: created, generated, sent, failed, acknowledged, regenerated."""

    notice = models.ForeignKey(Notice, on_delete=models.CASCADE, related_name="events")
    at = models.DateTimeField(auto_now_add=True)
    status = models.CharField(max_length=14, choices=NoticeStatus.choices)
    verb = models.CharField(max_length=30)
    note = models.TextField(blank=True)
    actor = models.ForeignKey("mtss.User", null=True, blank=True, on_delete=models.SET_NULL, related_name="+")

    class Meta:
        ordering = ["at", "id"]
        indexes = [models.Index(fields=["district", "notice", "at"], name="noticeevent_notice_idx")]


def print_batch_path(instance: PrintBatch, filename: str) -> str:
    # Keyed by the district, like every per-district file (STYLE.md).
    return f"print-batches/d{instance.district_id}/{filename}"


class PrintBatch(DistrictOwned):
    """One school's printed letters merged into one PDF, sorted for mailing.

    Merging 200 letters took 42 s inside the request (issue 16, item 7): the request now claims
    the letters and queues the batch; a worker merges them, reporting progress in `merged`, and
    the PDF is downloadable once the batch is done.
    """

    class Status(models.TextChoices):
        QUEUED = "queued", _("Queued")
        RUNNING = "running", _("Merging")
        DONE = "done", _("Ready")
        FAILED = "failed", _("Failed")

    school = models.ForeignKey("mtss.School", on_delete=models.PROTECT, related_name="+")
    created_by = models.ForeignKey("mtss.User", null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    letter_count = models.PositiveIntegerField(default=0)
    page_count = models.PositiveIntegerField(default=0)
    pdf = models.FileField(upload_to=print_batch_path, blank=True)
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.QUEUED)
    merged = models.PositiveIntegerField(default=0)  # letters merged so far: the progress bar
    error = models.CharField(max_length=300, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["district", "school", "-created_at"], name="printbatch_school_idx")]

    @property
    def is_finished(self) -> bool:
        return self.status in (self.Status.DONE, self.Status.FAILED)

    @property
    def percent(self) -> int:
        if self.status == self.Status.DONE:
            return 100
        return int(100 * self.merged / self.letter_count) if self.letter_count else 0


def logo_path(instance: LetterSettings, filename: str) -> str:
    # Files of one district never share a folder with another's (keyed by the district).
    return f"letterheads/d{instance.district_id}/{filename}"


class LetterSettings(DistrictOwned):
    """The district's letterhead: logo, return address, who signs."""

    logo = models.FileField(
        _("logo"),
        upload_to=logo_path,
        blank=True,
        help_text=_("PNG, JPEG or SVG, shown at the top left of every letter."),
    )
    letterhead_name = models.CharField(_("name on the letterhead"), max_length=200, blank=True)
    return_address = models.TextField(_("return address"), blank=True)
    phone = models.CharField(_("phone"), max_length=40, blank=True)
    # Blank: the school's principal signs (School.principal).
    signature_name = models.CharField(_("signed by"), max_length=200, blank=True)
    signature_title = models.CharField(_("title of the signer"), max_length=200, blank=True)
    reply_to = models.EmailField(_("reply-to e-mail"), blank=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["district"], name="lettersettings_one_per_district")]


class DistrictLanguage(DistrictOwned):
    """Whether the district has reviewed the letters in one language.

    Catalogues shipped with the product are machine-drafted; until a district
    marks a language reviewed, letters in it say so to staff.
    """

    language = models.CharField(_("language"), max_length=10)
    reviewed = models.BooleanField(_("reviewed by the district"), default=False)
    reviewed_by = models.ForeignKey("mtss.User", null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    reviewed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["language"]
        constraints = [models.UniqueConstraint(fields=["district", "language"], name="districtlanguage_unique")]


class LetterText(DistrictOwned):
    """A district's own wording of one paragraph of a letter, in one language."""

    language = models.CharField(_("language"), max_length=10)
    key = models.CharField(_("paragraph"), max_length=80)
    text = models.TextField(_("text"))
    reviewed = models.BooleanField(_("reviewed"), default=False)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["key", "language"]
        constraints = [models.UniqueConstraint(fields=["district", "language", "key"], name="lettertext_unique")]


class StaffReminder(DistrictOwned):
    """A reminder sent to a staff member (due reviews, overdue probes); unique per period."""

    user = models.ForeignKey("mtss.User", on_delete=models.CASCADE, related_name="+")
    kind = models.CharField(max_length=30)
    period_key = models.CharField(max_length=40)
    item_count = models.PositiveIntegerField(default=0)
    sent_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["district", "user", "kind", "period_key"], name="staffreminder_unique")
        ]


class DeliveryKind(models.TextChoices):
    EMAIL_BOUNCED = "email_bounced", _("E-mail bounced")
    PORTAL_VIEWED = "portal_viewed", _("Viewed in the portal")
    PORTAL_ACKNOWLEDGED = "portal_acknowledged", _("Acknowledged in the portal")


class DeliveryEvent(DistrictOwned):
    """What happened to a letter after it left (issue 18, item 4), per notice, so per guardian.

    "Sent" (e-mail) and "printed" (batch and date) are already on the notice (sent_at,
    print_batch); this table holds what comes back: the mail provider's bounce, and the guardian
    portal's first view and acknowledgement. One row per notice and kind: a second view changes
    nothing (the first is what the "to call" list needs).
    """

    notice = models.ForeignKey(Notice, on_delete=models.CASCADE, related_name="deliveries")
    guardian = models.ForeignKey(
        "students.Guardian", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    kind = models.CharField(_("what happened"), max_length=24, choices=DeliveryKind.choices)
    at = models.DateTimeField(_("when"), auto_now_add=True)
    detail = models.CharField(_("detail"), max_length=300, blank=True)

    class Meta:
        ordering = ["at", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["district", "notice", "kind"],
                name="deliveryevent_once_per_kind",
                violation_error_message=_("Kind: this notice already has this delivery event."),
            )
        ]


# The portal's tables live in their own module (one job per file); Django finds them here.
from notifications.portal.models import (  # noqa: E402, F401
    GuardianAccount,
    PortalAccess,
    PortalInvitation,
    PortalMessage,
    PortalSignInLink,
)
