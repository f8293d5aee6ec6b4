"""Reads of the family portal. Every read starts from the signed-in account: a student the
account does not speak for is a 404, exactly like a missing one (STYLE.md, access)."""

from __future__ import annotations

from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from interventions.models import AgendaItem, Meeting, Plan
from interventions.progress import chart_svg
from interventions.selectors import evaluate_plans
from mtss.models import District
from mtss.numbers import format_number
from mtss.selectors import policy_document
from notifications.letters import blocks as words
from notifications.models import Notice, NoticeStatus
from notifications.portal.models import GuardianAccount, PortalAccess, PortalInvitation, PortalMessage
from notifications.portal.services import may_invite
from students.models import Student

SENT = (NoticeStatus.GENERATED, NoticeStatus.SENT, NoticeStatus.ACKNOWLEDGED)
# Tiers in plain words for families (RTI Action Network's descriptions of the three tiers).
TIER_WORDS = {
    1: gettext_noop("Tier 1: the teaching every student in the class gets"),
    2: gettext_noop("Tier 2: extra help in a small group, a few times a week"),
    3: gettext_noop("Tier 3: intensive help, often one-on-one, most days"),
}


def _accesses(*, district: District, account: GuardianAccount):
    return PortalAccess.objects.filter(district=district, account=account, revoked_at__isnull=True)


def family_students(*, district: District, account: GuardianAccount) -> list[Student]:
    """The students the account speaks for, still allowed by the district's policy."""
    _version, policy = policy_document(district=district)
    rows = _accesses(district=district, account=account).select_related("guardian", "student")
    seen, students = set(), []
    for row in rows:
        if row.student_id not in seen and may_invite(policy=policy, guardian=row.guardian):
            seen.add(row.student_id)
            students.append(row.student)
    return sorted(students, key=lambda s: (s.first_name, s.pk))


def family_student_get(*, district: District, account: GuardianAccount, student_id: int) -> Student:
    for student in family_students(district=district, account=account):
        if student.pk == student_id:
            return student
    raise Http404


def family_guardian_ids(*, district: District, account: GuardianAccount, student: Student) -> list[int]:
    return list(
        _accesses(district=district, account=account).filter(student=student).values_list("guardian_id", flat=True)
    )


def _num(value, decimals: int = 1) -> str:
    from django.utils import translation

    return format_number(float(value), translation.get_language(), decimals=decimals)


def supports(*, district: District, student: Student, language: str) -> list[dict]:
    """The child's current supports with the goal, the graph and a one-sentence reading."""
    plans = list(
        Plan.objects.filter(district=district, student=student, status=Plan.Status.ACTIVE)
        .select_related("intervention", "provider", "student")
        .order_by("area", "id")
    )
    results = evaluate_plans(district=district, plans=plans) if plans else {}
    rows = []
    for plan in plans:
        result = results[plan.pk]
        evaluation = result.evaluation
        if plan.sessions_per_week:
            sessions = plan.sessions_per_week
        else:
            sessions = (plan.sessions_per_cycle or 0) * 5 / (plan.cycle_days or 5)
        if evaluation.roi is not None and evaluation.goal_roi is not None:
            reading = _("%(name)s is growing %(roi)s a week; the goal needs %(goal)s.") % {
                "name": student.first_name,
                "roi": _num(evaluation.roi),
                "goal": _num(evaluation.goal_roi),
            }
        else:
            reading = _("%(name)s has too few scores yet to say how fast they are growing.") % {
                "name": student.first_name
            }
        rows.append(
            {
                "plan": plan,
                "area": _(words.AREAS[plan.area]) if plan.area in words.AREAS else plan.area,
                "tier": _(TIER_WORDS[plan.tier]) if plan.tier in TIER_WORDS else _("Tier %(n)s") % {"n": plan.tier},
                "what": plan.intervention.name,
                "how_often": _("%(sessions)s sessions a week, %(minutes)s minutes each")
                % {"sessions": _num(sessions, 0), "minutes": plan.minutes_per_session},
                "who": plan.provider.get_full_name() or plan.provider.username,
                "goal": plan.goal_target,
                "goal_measure": plan.goal_measure,
                "goal_date": plan.goal_target_date,
                "chart": chart_svg(result, lang=language, id_prefix=f"family-p{plan.pk}", y_label=_("Score")),
                "reading": reading,
            }
        )
    return rows


def upcoming_meetings(*, district: District, student: Student) -> list[Meeting]:
    ids = AgendaItem.objects.filter(district=district, student=student).values("meeting_id")
    return list(
        Meeting.objects.filter(
            district=district, pk__in=ids, status=Meeting.Status.SCHEDULED, starts_at__gte=timezone.now()
        )
        .select_related("school")
        .order_by("starts_at")[:10]
    )


def meeting_get(*, district: District, student: Student, meeting_id: int) -> Meeting:
    for meeting in upcoming_meetings(district=district, student=student):
        if meeting.pk == meeting_id:
            return meeting
    raise Http404


def family_letters(*, district: District, account: GuardianAccount, student: Student) -> list[Notice]:
    """Every letter sent to this family about the student, newest first."""
    guardians = family_guardian_ids(district=district, account=account, student=student)
    return list(Notice.objects.filter(district=district, student=student, guardian_id__in=guardians, status__in=SENT))


def family_letter_get(*, district: District, account: GuardianAccount, student: Student, notice_id: int) -> Notice:
    for notice in family_letters(district=district, account=account, student=student):
        if notice.pk == notice_id:
            return notice
    raise Http404


def conversation(*, district: District, student: Student, account: GuardianAccount | None = None) -> list:
    messages = PortalMessage.objects.filter(district=district, student=student).select_related("account")
    if account is not None:
        messages = messages.filter(account=account)
    return list(messages)


def unread_family_messages(*, district: District, student_ids=None) -> list[PortalMessage]:
    """Family messages no staff member has answered yet (the staff's notifications)."""
    messages = PortalMessage.objects.filter(
        district=district, staff_author__isnull=True, read_at__isnull=True
    ).select_related("student")
    if student_ids is not None:
        messages = messages.filter(student_id__in=student_ids)
    return list(messages.order_by("-created_at")[:50])


def student_invitations(*, district: District, student: Student) -> list[PortalInvitation]:
    return list(PortalInvitation.objects.filter(district=district, student=student).select_related("guardian"))


def invitation_by_token(*, token: str = "", code: str = "") -> PortalInvitation | None:
    """The invitation a link or a code names, looked up by hash before the district is known."""
    from mtss.tenancy import activate
    from notifications.portal import tokens

    key = tokens.digest(token) if token else tokens.code_digest(code)
    if not token and not tokens.normalize_code(code):
        return None
    activate(token_hash=key)
    try:
        field = "token_hash" if token else "code_hash"
        invitation = PortalInvitation.objects.filter(**{field: key}).first()
    finally:
        activate(token_hash=None)
    if invitation is not None:
        # From here on the request works in the invitation's district (its guardian, its student).
        activate(district=invitation.district_id)
    return invitation
