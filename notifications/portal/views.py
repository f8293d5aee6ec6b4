"""The family's pages: sign-in, invitations, a child's page, letters, acknowledgements, messages.

Thin: reads in notifications.portal.selectors, writes in notifications.portal.services. A
student, letter or meeting the account does not speak for is a 404 (tests/notifications/
test_portal_access.py walks every route with another student's id).
"""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.http import FileResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from mtss import access_log
from notifications.languages import LANGUAGES
from notifications.portal import auth, selectors, services
from notifications.portal.models import PortalMessage
from students.privacy.notice import privacy_notice
from students.privacy.selectors import copy_requests_for_student, disclosures_for_student


def _errors(error: ValidationError) -> list[str]:
    return error.messages


def _language(request) -> str:
    lang = request.POST.get("language") or request.GET.get("lang") or ""
    return (
        lang if lang in LANGUAGES else translation.get_language() if translation.get_language() in LANGUAGES else "en"
    )


def _page(request, template: str, context: dict, *, language: str | None = None, status: int = 200):
    language = language or _language(request)
    with translation.override(language):
        response = render(
            request,
            template,
            {"languages": LANGUAGES.values(), "current_language": language, **context},
            status=status,
        )
    return response


def sign_in(request):
    """E-mail and password, or an e-mailed link."""
    errors = []
    if request.method == "POST":
        if auth.attempt_limited(request, "sign-in"):
            return _page(
                request, "portal/refused.html", {"message": _("Too many attempts. Wait a few minutes.")}, status=429
            )
        account = services.password_sign_in(
            email=request.POST.get("email", ""), password=request.POST.get("password", "")
        )
        if account is not None:
            from mtss.tenancy import activate

            activate(district=account.district_id)
            services.signed_in(district=account.district, account=account, method="password")
            auth.sign_in(request, account_id=account.pk, district_id=account.district_id)
            return redirect("portal_home")
        errors.append(_("The e-mail address or the password is not right."))
    return _page(request, "portal/sign_in.html", {"errors": errors}, status=400 if errors else 200)


@require_POST
def magic_link_request(request):
    if auth.attempt_limited(request, "link"):
        return _page(
            request, "portal/refused.html", {"message": _("Too many attempts. Wait a few minutes.")}, status=429
        )
    services.magic_link_send(
        email=request.POST.get("email", ""), base_url=request.build_absolute_uri(reverse("portal_magic_link_request"))
    )
    return _page(request, "portal/link_sent.html", {})


def magic_link_use(request, token: str):
    found = services.magic_link_use(token=token)
    if found is None:
        return _page(
            request,
            "portal/refused.html",
            {"message": _("This sign-in link has expired or was already used. Ask for a new one.")},
            status=400,
        )
    account_id, district_id = found
    from mtss.tenancy import activate
    from notifications.portal.models import GuardianAccount

    activate(district=district_id)
    account = GuardianAccount.objects.select_related("district").get(pk=account_id)
    services.signed_in(district=account.district, account=account, method="link")
    auth.sign_in(request, account_id=account.pk, district_id=district_id)
    return redirect("portal_home")


def _accept(request, invitation, *, code: str = ""):
    problem = services.invitation_problem(invitation)
    if problem:
        return _page(request, "portal/refused.html", {"message": problem}, status=400)
    language = _language(request) if request.method == "POST" or request.GET.get("lang") else None
    language = language or invitation.guardian.preferred_language
    language = language if language in LANGUAGES else "en"
    errors = []
    if request.method == "POST" and request.POST.get("accept"):
        try:
            account = services.invitation_accept(
                district=invitation.district,
                invitation=invitation,
                email=request.POST.get("email", ""),
                password=request.POST.get("password", ""),
                language=language,
            )
        except ValidationError as error:
            errors = _errors(error)
        else:
            services.signed_in(district=invitation.district, account=account, method="invitation")
            auth.sign_in(request, account_id=account.pk, district_id=account.district_id)
            return redirect("portal_home")
    return _page(
        request,
        "portal/accept.html",
        {
            "invitation": invitation,
            "code": code,
            "errors": errors,
            "email": request.POST.get("email", invitation.guardian.email),
        },
        language=language,
        status=400 if errors else 200,
    )


def invitation_link(request, token: str):
    if auth.attempt_limited(request, "invitation"):
        return _page(
            request, "portal/refused.html", {"message": _("Too many attempts. Wait a few minutes.")}, status=429
        )
    return _accept(request, selectors.invitation_by_token(token=token))


def invitation_code(request):
    """The short code from a printed letter, typed in."""
    code = request.POST.get("code", "") if request.method == "POST" else ""
    if not code:
        return _page(request, "portal/code.html", {})
    if auth.attempt_limited(request, "invitation"):
        return _page(
            request, "portal/refused.html", {"message": _("Too many attempts. Wait a few minutes.")}, status=429
        )
    return _accept(request, selectors.invitation_by_token(code=code), code=code)


@require_POST
def sign_out(request):
    auth.sign_out(request)
    return redirect("portal_sign_in")


@auth.family_required
def home(request):
    students = selectors.family_students(district=request.district, account=request.account)
    if len(students) == 1:
        return redirect("portal_child", student_id=students[0].pk)
    access_log.record(request, action="view", what="family portal: children", student_ids=[s.pk for s in students])
    return render(request, "portal/home.html", {"students": students})


def _child_context(request, student, **extra) -> dict:
    district, account = request.district, request.account
    access_log.record(request, action="view", what="family portal: child", student_ids=[student.pk])
    return {
        "student": student,
        "supports": selectors.supports(district=district, student=student, language=account.language),
        "meetings": selectors.upcoming_meetings(district=district, student=student),
        "letters": selectors.family_letters(district=district, account=account, student=student),
        "conversation": selectors.conversation(district=district, student=student, account=account),
        # The family's rights (issue 18, item 5): the record of disclosures and copies of the record.
        "disclosures": disclosures_for_student(district, student),
        "copy_requests": copy_requests_for_student(district, student),
        "max_message": services.MAX_MESSAGE,
        **extra,
    }


@auth.family_required
def child(request, student_id: int):
    student = selectors.family_student_get(district=request.district, account=request.account, student_id=student_id)
    return render(request, "portal/child.html", _child_context(request, student))


@auth.family_required
def letter_pdf(request, student_id: int, notice_id: int):
    district, account = request.district, request.account
    student = selectors.family_student_get(district=district, account=account, student_id=student_id)
    notice = selectors.family_letter_get(district=district, account=account, student=student, notice_id=notice_id)
    access_log.record(request, action="download", what="family portal: letter", student_ids=[student.pk])
    if not notice.pdf:
        return _page(request, "portal/refused.html", {"message": _("This letter is not ready yet.")}, status=404)
    services.letter_opened(district=district, notice=notice)
    return FileResponse(notice.pdf.open("rb"), content_type="application/pdf", filename=f"letter-{notice.pk}.pdf")


@auth.family_required
@require_POST
def letter_acknowledge(request, student_id: int, notice_id: int):
    district, account = request.district, request.account
    student = selectors.family_student_get(district=district, account=account, student_id=student_id)
    notice = selectors.family_letter_get(district=district, account=account, student=student, notice_id=notice_id)
    services.letter_acknowledge(district=district, account=account, notice=notice)
    return redirect(reverse("portal_child", args=[student.pk]) + "#letters")


@auth.family_required
@require_POST
def copy_request(request, student_id: int):
    district, account = request.district, request.account
    student = selectors.family_student_get(district=district, account=account, student_id=student_id)
    guardian_ids = selectors.family_guardian_ids(district=district, account=account, student=student)
    services.record_copy_ask(district=district, student=student, guardian_ids=guardian_ids)
    return redirect(reverse("portal_child", args=[student.pk]) + "#record")


@auth.family_required
def privacy(request):
    return render(request, "portal/privacy.html", privacy_notice(district=request.district, today=timezone.localdate()))


@auth.family_required
@require_POST
def message_send(request, student_id: int):
    district, account = request.district, request.account
    student = selectors.family_student_get(district=district, account=account, student_id=student_id)
    try:
        services.family_message_send(
            district=district, account=account, student=student, body=request.POST.get("body", "")
        )
    except ValidationError as error:
        context = _child_context(request, student, message_errors=_errors(error), body=request.POST.get("body", ""))
        return render(request, "portal/child.html", context, status=400)
    return redirect(reverse("portal_child", args=[student.pk]) + "#messages")


@auth.family_required
@require_POST
def meeting_reply(request, student_id: int, meeting_id: int):
    district, account = request.district, request.account
    student = selectors.family_student_get(district=district, account=account, student_id=student_id)
    meeting = selectors.meeting_get(district=district, student=student, meeting_id=meeting_id)
    kind = request.POST.get("answer")
    if kind not in (PortalMessage.Kind.WILL_ATTEND, PortalMessage.Kind.OTHER_TIME):
        kind = PortalMessage.Kind.WILL_ATTEND
    services.family_message_send(
        district=district,
        account=account,
        student=student,
        body=request.POST.get("note", ""),
        kind=kind,
        meeting_id=meeting.pk,
    )
    return redirect(reverse("portal_child", args=[student.pk]) + "#meetings")
