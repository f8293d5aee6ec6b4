"""Writes of the family portal: invitations, accounts and sign-in, acknowledgements, messages.

District first, keyword-only, atomic; every sign-in and every staff action is audited
(mtss.services.audit). Family accounts never become staff users.
"""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.contrib.auth.hashers import check_password, make_password
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.core.mail import send_mail
from django.db import transaction
from django.http import Http404
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from mtss.models import District, User
from mtss.selectors import policy_document
from mtss.services import audit
from notifications import delivery
from notifications.languages import LANGUAGES
from notifications.models import Notice, NoticeEvent, NoticeStatus
from notifications.portal import tokens
from notifications.portal.models import (
    GuardianAccount,
    PortalAccess,
    PortalInvitation,
    PortalMessage,
    PortalSignInLink,
)
from students.models import Guardian, Student
from students.privacy.models import RecordCopyRequest
from students.privacy.selectors import copy_requests_for_student
from students.privacy.services import copy_request_create

INVITATION_DAYS = 30
MAGIC_LINK_MINUTES = 20
MAX_MESSAGE = 4000
# Relationships that carry educational rights (FERPA's "parent": a natural parent, a guardian,
# or an individual acting as a parent in the absence of one, 34 CFR 99.3).
RIGHTS_RELATIONSHIPS = frozenset({"mother", "father", "parent", "guardian", "foster_parent"})


def may_invite(*, policy, guardian: Guardian) -> bool:
    """The district's rule for who may be invited (parent_contact.portal_invites)."""
    rule = policy.parent_contact.portal_invites if policy is not None else "lives_with_or_rights"
    lives_with = guardian.lives_with_student
    rights = guardian.relationship in RIGHTS_RELATIONSHIPS
    return {
        "lives_with_or_rights": lives_with or rights,
        "lives_with": lives_with,
        "rights": rights,
        "none": False,
    }[rule]


@transaction.atomic
def invitation_create(
    *, district: District, guardian: Guardian, actor: User | None, days: int = INVITATION_DAYS
) -> tuple[PortalInvitation, str, str]:
    """(invitation, link token, short code): the token and code are shown once, never stored."""
    if guardian.district_id != district.pk:
        raise ValidationError(_("Unknown guardian."))
    _version, policy = policy_document(district=district)
    if not may_invite(policy=policy, guardian=guardian):
        raise ValidationError(
            {"guardian": _("Guardian: the district's policy does not invite this contact to the family portal.")}
        )
    token, code = tokens.new_token(), tokens.new_code()
    invitation = PortalInvitation.objects.create(
        district=district,
        guardian=guardian,
        student_id=guardian.student_id,
        token_hash=tokens.digest(token),
        code_hash=tokens.code_digest(code),
        created_by=actor,
        expires_at=timezone.now() + dt.timedelta(days=days),
    )
    audit(district=district, actor=actor, verb="portal.invitation_create", obj=invitation)
    return invitation, token, code


@transaction.atomic
def invitation_revoke(*, district: District, invitation: PortalInvitation, actor: User | None) -> PortalInvitation:
    if invitation.used_at is None and invitation.revoked_at is None:
        invitation.revoked_at = timezone.now()
        invitation.save(update_fields=["revoked_at"])
        audit(district=district, actor=actor, verb="portal.invitation_revoke", obj=invitation)
    return invitation


def invitation_problem(invitation: PortalInvitation | None) -> str:
    """Why an invitation cannot be used, in the family's words, or ""."""
    if invitation is None:
        return _("This invitation is not valid. Check the link or the code on your letter.")
    if invitation.revoked_at is not None:
        return _("This invitation was withdrawn by the school. Ask the school for a new one.")
    if invitation.used_at is not None:
        return _("This invitation was already used. Sign in with your e-mail address instead.")
    if invitation.expires_at <= timezone.now():
        return _("This invitation has expired. Ask the school for a new one.")
    return ""


@transaction.atomic
def invitation_accept(
    *, district: District, invitation: PortalInvitation, email: str, password: str, language: str
) -> GuardianAccount:
    """Use the invitation: create (or join) the account for `email` and give it this student.

    Claimed with a conditional update, so two tabs cannot both use one invitation.
    """
    problem = invitation_problem(invitation)
    if problem:
        raise ValidationError({"invitation": problem})
    email = (email or "").strip()
    if not email:
        raise ValidationError({"email": _("E-mail: enter your e-mail address.")})
    language = language if language in LANGUAGES else "en"
    account = GuardianAccount.objects.filter(district=district, email_hash=tokens.email_digest(email)).first()
    if account is None:
        try:
            validate_password(password)
        except ValidationError as error:
            raise ValidationError({"password": [_("Password: %(e)s") % {"e": m} for m in error.messages]}) from None
        account = GuardianAccount.objects.create(
            district=district,
            email=email,
            email_hash=tokens.email_digest(email),
            password=make_password(password),
            language=language,
        )
    elif not account.password or not check_password(password, account.password):
        raise ValidationError(
            {"password": _("Password: this e-mail already has an account; enter its password to add this child.")}
        )
    claimed = PortalInvitation.objects.filter(
        pk=invitation.pk, used_at__isnull=True, revoked_at__isnull=True, expires_at__gt=timezone.now()
    ).update(used_at=timezone.now(), account=account)
    if not claimed:
        raise ValidationError({"invitation": invitation_problem(None)})
    PortalAccess.objects.get_or_create(
        district=district,
        account=account,
        guardian_id=invitation.guardian_id,
        defaults={"student_id": invitation.student_id},
    )
    audit(district=district, actor=None, verb="portal.invitation_accept", obj=invitation)
    return account


def signed_in(*, district: District, account: GuardianAccount, method: str) -> None:
    """Every sign-in is audited (issue 18 item 1)."""
    GuardianAccount.objects.filter(pk=account.pk).update(last_sign_in_at=timezone.now())
    audit(district=district, actor=None, verb="portal.sign_in", obj=account, changes={"method": method})


def password_sign_in(*, email: str, password: str) -> GuardianAccount | None:
    """The account whose e-mail and password match (looked up by the e-mail's hash), or None."""
    from mtss.tenancy import activate

    activate(token_hash=tokens.email_digest(email))
    try:
        candidates = list(GuardianAccount.objects.filter(email_hash=tokens.email_digest(email), is_active=True))
    finally:
        activate(token_hash=None)
    for account in candidates:
        if account.password and check_password(password, account.password):
            return account
    make_password(password)  # the same work when nothing matched: no timing hint that the address exists
    return None


def magic_link_send(*, email: str, base_url: str) -> int:
    """E-mail a sign-in link to every account with this address; says nothing of whether one exists."""
    from mtss.tenancy import activate

    activate(token_hash=tokens.email_digest(email))
    try:
        accounts = list(GuardianAccount.objects.filter(email_hash=tokens.email_digest(email), is_active=True))
    finally:
        activate(token_hash=None)
    for account in accounts:
        token = tokens.new_token()
        activate(district=account.district_id)
        PortalSignInLink.objects.create(
            district_id=account.district_id,
            account=account,
            token_hash=tokens.digest(token),
            expires_at=timezone.now() + dt.timedelta(minutes=MAGIC_LINK_MINUTES),
        )
        with translation.override(account.language):
            subject = _("Your sign-in link to the family portal")
            body = _("Open this link within %(minutes)s minutes to sign in: %(url)s") % {
                "minutes": MAGIC_LINK_MINUTES,
                "url": f"{base_url}{token}/",
            }
        transaction.on_commit(
            lambda s=subject, b=body, to=account.email: send_mail(s, b, settings.DEFAULT_FROM_EMAIL, [to])
        )
    return len(accounts)


def magic_link_use(*, token: str) -> tuple[int, int] | None:
    """(account id, district id) a fresh, unused link signs in (the link is spent), or None."""
    from mtss.tenancy import activate

    activate(token_hash=tokens.digest(token))
    try:
        link = PortalSignInLink.objects.filter(token_hash=tokens.digest(token)).first()
    finally:
        activate(token_hash=None)
    if link is None:
        return None
    # Spending the link writes the row: in its district (row-level security checks the new row).
    activate(district=link.district_id)
    spent = PortalSignInLink.objects.filter(pk=link.pk, used_at__isnull=True, expires_at__gt=timezone.now()).update(
        used_at=timezone.now()
    )
    if not spent:
        return None
    return link.account_id, link.district_id


@transaction.atomic
def letter_acknowledge(*, district: District, account: GuardianAccount, notice: Notice) -> Notice:
    """The family says it received the letter: recorded on the notice and in its history."""
    if notice.acknowledged_by_family_id is not None:
        return notice
    notice.acknowledged_by_family = account
    fields = ["acknowledged_by_family"]
    if notice.status in (NoticeStatus.SENT, NoticeStatus.GENERATED):
        notice.status = NoticeStatus.ACKNOWLEDGED
        notice.acknowledged_at = timezone.now()
        fields += ["status", "acknowledged_at"]
    notice.save(update_fields=fields)
    NoticeEvent.objects.create(
        district=district, notice=notice, status=notice.status, verb="acknowledged_by_family", note="portal"
    )
    audit(district=district, actor=None, verb="portal.letter_acknowledge", obj=notice)
    # Delivery tracking (notifications.delivery): the notices page's "to call" list reads it.
    delivery.notice_acknowledged(district, notice, notice.guardian)
    return notice


def letter_opened(*, district: District, notice: Notice) -> None:
    """The family opened the letter in the portal: a view for delivery tracking (first one kept)."""
    delivery.notice_viewed(district, notice, notice.guardian)


@transaction.atomic
def record_copy_ask(*, district: District, student: Student, guardian_ids: list[int]):
    """The family asks for a copy of the child's record (FERPA 34 CFR 99.10) for one of the
    guardians the account speaks for (`guardian_ids`); staff approve it (students.privacy)."""
    guardian = Guardian.objects.filter(district=district, pk__in=guardian_ids).order_by("pk").first()
    if guardian is None:
        raise Http404
    pending = copy_requests_for_student(district, student).filter(
        guardian=guardian, status=RecordCopyRequest.Status.REQUESTED
    )
    if pending.exists():
        return pending.first()
    request = copy_request_create(district, guardian, student)
    audit(district=district, actor=None, verb="portal.record_copy_request", obj=request)
    return request


def _body(body: str) -> str:
    body = (body or "").strip()
    if not body:
        raise ValidationError({"body": _("Message: write a message first.")})
    if len(body) > MAX_MESSAGE:
        raise ValidationError({"body": _("Message: at most %(n)s characters.") % {"n": MAX_MESSAGE}})
    return body


@transaction.atomic
def family_message_send(
    *,
    district: District,
    account: GuardianAccount,
    student: Student,
    body: str,
    kind: str = PortalMessage.Kind.MESSAGE,
    meeting_id: int | None = None,
) -> PortalMessage:
    """A family's message to the team, stored exactly as written (never translated here)."""
    if kind == PortalMessage.Kind.MESSAGE:
        body = _body(body)
    else:
        body = (body or "").strip()[:MAX_MESSAGE]
    access = PortalAccess.objects.filter(
        district=district, account=account, student=student, revoked_at__isnull=True
    ).select_related("guardian")
    guardian = access.first().guardian
    return PortalMessage.objects.create(
        district=district,
        student=student,
        account=account,
        author_name=f"{guardian.first_name} {guardian.last_name}",
        kind=kind,
        meeting_id=meeting_id,
        body=body,
        language=account.language,
    )


@transaction.atomic
def staff_reply(*, district: District, student: Student, account: GuardianAccount, actor: User, body: str):
    """A staff member answers a family; the family's unread messages about the student are read."""
    body = _body(body)
    PortalMessage.objects.filter(
        district=district, student=student, account=account, staff_author__isnull=True, read_at__isnull=True
    ).update(read_at=timezone.now())
    message = PortalMessage.objects.create(
        district=district,
        student=student,
        account=account,
        staff_author=actor,
        author_name=actor.get_full_name() or actor.username,
        body=body,
    )
    audit(district=district, actor=actor, verb="portal.staff_reply", obj=message)
    return message
