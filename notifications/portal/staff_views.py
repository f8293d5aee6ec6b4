"""Staff pages of the family portal: a student's invitations and family conversation (invite,
revoke, reply), and the family messages waiting for an answer."""

from __future__ import annotations

import io

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _

from mtss import access_log
from mtss.decorators import district_member
from mtss.permissions import allowed, require
from notifications.portal import selectors, services
from notifications.portal.models import GuardianAccount, PortalInvitation
from students.access import visible_students
from students.selectors import student_get


def _int(value) -> int:
    try:
        return int(value)
    except (TypeError, ValueError):
        return 0


def qr_svg(url: str) -> str:
    """The invitation link as an SVG QR code, drawn here (qrcode, no network)."""
    import qrcode
    import qrcode.image.svg

    image = qrcode.make(url, image_factory=qrcode.image.svg.SvgPathImage, box_size=8, border=2)
    buffer = io.BytesIO()
    image.save(buffer)
    return buffer.getvalue().decode().split("?>", 1)[-1]


@district_member()
def student_family(request, student_id: int):
    """GET: the student's invitations and family conversation. POST: invite, revoke or reply."""
    district = request.district
    student = student_get(district=district, membership=request.membership, student_id=student_id)
    may_edit = allowed(request.membership, "may_add_guardian")
    if request.method == "POST":
        require(request, "may_add_guardian")
        action = request.POST.get("action")
        try:
            if action == "invite":
                guardian = next(
                    (g for g in student.guardians.all() if g.pk == _int(request.POST.get("guardian"))), None
                )
                if guardian is None:
                    raise Http404
                invitation, token, code = services.invitation_create(
                    district=district, guardian=guardian, actor=request.user
                )
                url = request.build_absolute_uri(reverse("portal_invitation", args=[token]))
                access_log.record(request, action="view", what="family invitation", student_ids=[student.pk])
                # Shown once: the token and code are not stored, so this page is the letter to print.
                return render(
                    request,
                    "portal/staff_invitation.html",
                    {"student": student, "invitation": invitation, "url": url, "code": code, "qr": qr_svg(url)},
                )
            if action == "revoke":
                invitation = PortalInvitation.objects.filter(
                    district=district, student=student, pk=_int(request.POST.get("invitation"))
                ).first()
                if invitation is None:
                    raise Http404
                services.invitation_revoke(district=district, invitation=invitation, actor=request.user)
                messages.success(request, _("Invitation withdrawn."))
            elif action == "reply":
                account = GuardianAccount.objects.filter(
                    district=district, pk=_int(request.POST.get("account")), accesses__student=student
                ).first()
                if account is None:
                    raise Http404
                services.staff_reply(
                    district=district,
                    student=student,
                    account=account,
                    actor=request.user,
                    body=request.POST.get("body", ""),
                )
                messages.success(request, _("Reply sent."))
            else:
                raise ValidationError({"action": _("Action: unknown.")})
        except ValidationError as error:
            messages.error(request, " ".join(error.messages))
        return redirect("portal_student_family", student_id=student.pk)
    access_log.record(request, action="view", what="family portal (staff)", student_ids=[student.pk])
    return render(
        request,
        "portal/staff_student.html",
        {
            "student": student,
            "guardians": list(student.guardians.all()),
            "invitations": selectors.student_invitations(district=district, student=student),
            "conversation": selectors.conversation(district=district, student=student),
            "may_edit": may_edit,
        },
    )


@district_member()
def family_messages(request):
    """Family messages waiting for an answer, about the students this member may see."""
    visible = visible_students(district=request.district, membership=request.membership).values("pk")
    waiting = selectors.unread_family_messages(district=request.district, student_ids=visible)
    access_log.record(request, action="list", what="family messages", student_ids=[m.student_id for m in waiting])
    return render(request, "portal/staff_messages.html", {"waiting": waiting})
