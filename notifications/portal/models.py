"""Guardian accounts, their invitations and sign-in links, and messages with the team.

Tokens are stored as SHA-256 hashes only (as mtss.models.ApiToken): a stolen database
dump does not sign anyone in. A row looked up by a token before the district is known
(an invitation link, a code, a magic link, an e-mail at sign-in) is readable through
row-level security by that hash alone (`rls_extra`, the mtss.token_hash setting).
"""

from __future__ import annotations

from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from mtss.models import DistrictOwned

BY_TOKEN = "NULLIF(current_setting('mtss.token_hash', true), '')"


class GuardianAccount(DistrictOwned):
    """A family member's sign-in to the portal; never a staff user (mtss.models.User)."""

    email = models.EmailField(_("e-mail"))
    # sha256 of the lower-cased address: the sign-in page finds the account before the district.
    email_hash = models.CharField(max_length=64)
    password = models.CharField(max_length=128, blank=True)
    language = models.CharField(_("language"), max_length=10, default="en")
    is_active = models.BooleanField(default=True)
    created_at = models.DateTimeField(auto_now_add=True)
    last_sign_in_at = models.DateTimeField(null=True, blank=True)

    rls_extra = f"email_hash = {BY_TOKEN}"

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["district", "email_hash"],
                name="guardianaccount_email_unique",
                violation_error_message=_("E-mail: the district already has a family account with this address."),
            )
        ]
        indexes = [models.Index(fields=["email_hash"], name="guardianaccount_email_idx")]

    def __str__(self) -> str:
        return f"family account {self.pk}"


class PortalAccess(DistrictOwned):
    """Which guardian rows (and so which students) one account speaks for."""

    account = models.ForeignKey(GuardianAccount, on_delete=models.CASCADE, related_name="accesses")
    guardian = models.ForeignKey("students.Guardian", on_delete=models.CASCADE, related_name="+")
    student = models.ForeignKey("students.Student", on_delete=models.CASCADE, related_name="+")
    granted_at = models.DateTimeField(auto_now_add=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["district", "account", "guardian"],
                name="portalaccess_unique",
                violation_error_message=_("Guardian: this account already speaks for this guardian."),
            )
        ]
        # The portal's one question on every page: which students may this account see?
        indexes = [models.Index(fields=["district", "account", "student"], name="portalaccess_account_idx")]


class PortalInvitation(DistrictOwned):
    """A one-time invitation for one guardian of one student: a link and a short code."""

    guardian = models.ForeignKey("students.Guardian", on_delete=models.CASCADE, related_name="+")
    student = models.ForeignKey("students.Student", on_delete=models.CASCADE, related_name="+")
    token_hash = models.CharField(max_length=64, unique=True)
    code_hash = models.CharField(max_length=64, unique=True)
    created_by = models.ForeignKey("mtss.User", null=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    expires_at = models.DateTimeField()
    used_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)
    account = models.ForeignKey(GuardianAccount, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")

    rls_extra = f"token_hash = {BY_TOKEN} OR code_hash = {BY_TOKEN}"

    class Meta:
        ordering = ["-created_at", "-id"]
        # A student's invitations on the staff page.
        indexes = [models.Index(fields=["district", "student", "-created_at"], name="portalinvite_student_idx")]


class PortalSignInLink(DistrictOwned):
    """A magic sign-in link sent by e-mail: hashed, short-lived, single use."""

    account = models.ForeignKey(GuardianAccount, on_delete=models.CASCADE, related_name="+")
    token_hash = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField(auto_now_add=True)
    expires_at = models.DateTimeField()
    used_at = models.DateTimeField(null=True, blank=True)

    rls_extra = f"token_hash = {BY_TOKEN}"


class PortalMessage(DistrictOwned):
    """One message between a family and the student's team, stored exactly as written.

    The history stays with the student (it is not deleted with an account). A guardian's
    reply to a meeting ("I will attend", "another time, please") is a message of its kind.
    """

    class Kind(models.TextChoices):
        MESSAGE = "message", _("Message")
        WILL_ATTEND = "will_attend", _("Will attend the meeting")
        OTHER_TIME = "other_time", _("Asks for another meeting time")

    student = models.ForeignKey("students.Student", on_delete=models.CASCADE, related_name="+")
    account = models.ForeignKey(GuardianAccount, null=True, on_delete=models.SET_NULL, related_name="messages")
    # Who wrote it: the family (staff_author empty) or a staff member.
    staff_author = models.ForeignKey("mtss.User", null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    author_name = models.CharField(max_length=220)
    kind = models.CharField(max_length=12, choices=Kind.choices, default=Kind.MESSAGE)
    meeting_id = models.BigIntegerField(null=True, blank=True)
    body = models.TextField(_("message"))
    language = models.CharField(max_length=10, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    # A family message answered or read by staff; a staff reply read by the family.
    read_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["created_at", "id"]
        indexes = [
            # A student's history, and the staff's unread family messages.
            models.Index(fields=["district", "student", "created_at"], name="portalmessage_student_idx"),
            models.Index(
                fields=["district", "created_at"],
                name="portalmessage_unread_idx",
                condition=Q(staff_author__isnull=True, read_at__isnull=True),
            ),
        ]
