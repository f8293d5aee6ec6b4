"""Staff pages for parent notices: the district's list (filters), one notice with its
history and a preview in any language (HTML and PDF), a student's notice history,
acknowledge / regenerate / retry, print batches per school, and letter settings.
Thin: reads in notifications.selectors, writes in notifications.services."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import FileResponse, Http404, HttpResponse, HttpResponseNotAllowed
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _

from mtss import access_log
from mtss.decorators import district_member
from mtss.permissions import allowed, require
from mtss.selectors import school_get, school_list
from notifications import selectors, services, triggers
from notifications.languages import LANGUAGES
from notifications.letters.blocks import OVERRIDABLE_KEYS
from notifications.letters.pdf import html_to_pdf, letter_css_text
from notifications.letters.render import letter_context, render_html
from notifications.models import LetterType, NoticeStatus
from students.selectors import student_get


def _int(value) -> int | None:
    try:
        return int(value) if value not in (None, "") else None
    except ValueError:
        return None


def _preview_language(request, notice) -> str | None:
    lang = request.GET.get("lang") or None
    return lang if lang in LANGUAGES else None


@district_member()
def notice_list(request):
    status = request.GET.get("status") if request.GET.get("status") in NoticeStatus.values else None
    letter_type = request.GET.get("type") if request.GET.get("type") in LetterType.values else None
    school_id = _int(request.GET.get("school"))
    filters = selectors.NoticeFilters(status=status, letter_type=letter_type, school_id=school_id)
    notices = list(
        selectors.notice_list(district=request.district, membership=request.membership, filters=filters)[
            : selectors.MAX_PAGE
        ]
    )
    counts = selectors.status_counts(district=request.district, membership=request.membership)
    # Issue 18, item 4: letters no guardian has viewed nor acknowledged after the policy's days.
    to_call = selectors.notices_to_call(
        district=request.district, membership=request.membership, today=timezone.localdate()
    )
    access_log.record(
        request, action="view", what="notice list", student_ids=[n.student_id for n in [*notices, *to_call]]
    )
    return render(
        request,
        "notifications/notice_list.html",
        {
            "notices": notices,
            "to_call": to_call,
            "call_after_days": selectors.call_after_days(district=request.district, today=timezone.localdate()),
            "filters": filters,
            "statuses": NoticeStatus.choices,
            "types": LetterType.choices,
            "schools": school_list(district=request.district, membership=request.membership),
            "status_rows": [(key, label, counts.get(key, 0)) for key, label in NoticeStatus.choices],
            "is_admin": allowed(request.membership, "may_edit_letter_settings"),
            "can_print": allowed(request.membership, "may_print_notices"),
        },
    )


@district_member()
def notice_detail(request, notice_id: int):
    notice = selectors.notice_get(district=request.district, membership=request.membership, notice_id=notice_id)
    language = _preview_language(request, notice)
    context = letter_context(district=request.district, notice=notice, language=language, strict=False)
    reviews = selectors.language_reviews(district=request.district)
    access_log.record(request, action="view", what="notice preview", student_ids=[notice.student_id])
    return render(
        request,
        "notifications/notice_detail.html",
        {
            "notice": notice,
            "letter": context,
            "letter_html": render_html(context, standalone=False),
            "letter_css": letter_css_text(),
            "events": selectors.notice_events(district=request.district, notice=notice),
            "languages": LANGUAGES.values(),
            "preview_language": context["language"],
            "reviewed": reviews.get(context["language"]).reviewed if context["language"] in reviews else False,
            "can_write": allowed(request.membership, "may_act_on_notice", notice),
            "is_admin": allowed(request.membership, "may_edit_letter_settings"),
        },
    )


@district_member()
def notice_pdf(request, notice_id: int):
    """The PDF: the stored one as generated, or (with ?lang=, or before generation) a preview."""
    notice = selectors.notice_get(district=request.district, membership=request.membership, notice_id=notice_id)
    language = _preview_language(request, notice)
    access_log.record(request, action="download", what="notice PDF", student_ids=[notice.student_id])
    if language is None and notice.pdf:
        return FileResponse(notice.pdf.open("rb"), content_type="application/pdf", filename=f"notice-{notice.pk}.pdf")
    context = letter_context(district=request.district, notice=notice, language=language, strict=False)
    pdf = html_to_pdf(render_html(context))
    response = HttpResponse(pdf, content_type="application/pdf")
    response["Content-Disposition"] = f'inline; filename="notice-{notice.pk}-{context["language"]}-preview.pdf"'
    return response


def _act(request, notice_id: int, action, done: str, rule: str):
    if request.method != "POST":
        return HttpResponseNotAllowed(["POST"])
    notice = selectors.notice_get(district=request.district, membership=request.membership, notice_id=notice_id)
    require(request, rule, notice)
    try:
        action(district=request.district, notice=notice, actor=request.user)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        messages.success(request, done)
    if request.POST.get("next") == "failures":
        return redirect("letter_settings")
    return redirect("notice_detail", notice_id=notice.pk)


@district_member()
def notice_acknowledge(request, notice_id: int):
    return _act(
        request,
        notice_id,
        services.notice_acknowledge,
        _("Marked as acknowledged by the family."),
        "may_acknowledge_notice",
    )


@district_member()
def notice_regenerate(request, notice_id: int):
    return _act(
        request,
        notice_id,
        services.notice_regenerate,
        _("The letter will be generated and sent again."),
        "may_regenerate_notice",
    )


@district_member()
def notice_send_to_guardians(request, notice_id: int):
    """A "no recipient" notice, once the student has a guardian on file: queue its letters."""
    if request.method != "POST":
        return HttpResponseNotAllowed(["POST"])
    notice = selectors.notice_get(district=request.district, membership=request.membership, notice_id=notice_id)
    require(request, "may_regenerate_notice", notice)
    try:
        created = services.notice_resend_to_guardians(district=request.district, notice=notice, actor=request.user)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
        return redirect("notice_detail", notice_id=notice.pk)
    messages.success(request, _("%(n)s letters queued.") % {"n": len(created)})
    return redirect("student_notices", student_id=notice.student_id)


@district_member("may_edit_letter_settings")
def start_of_year_send(request):
    """A district administrator sends the start-of-year letters now (the daily job sends them
    on the year's first instructional day): a confirmation with the count, then one job."""
    district = request.district
    year = selectors.current_school_year(district=district)
    if year is None:
        messages.error(request, _("No school year covers today: add the school year first."))
        return redirect("notice_list")
    summary = triggers.start_of_year_summary(district=district, school_year=year)
    if request.method == "POST":
        if request.POST.get("confirm") != "1":
            messages.error(request, _("Confirm to send the letters."))
            return render(request, "notifications/start_of_year.html", {"summary": summary}, status=400)
        services.start_of_year_letters_enqueue(district=district, school_year=year, actor=request.user)
        messages.success(
            request,
            _("Start-of-year letters are being queued for %(n)s students.")
            % {"n": summary["students"] - summary["already"]},
        )
        return redirect("notice_list")
    return render(request, "notifications/start_of_year.html", {"summary": summary})


@district_member()
def notice_retry(request, notice_id: int):
    return _act(request, notice_id, services.notice_retry, _("Retrying now."), "may_retry_notice")


@district_member()
def student_notices(request, student_id: int):
    student = student_get(district=request.district, membership=request.membership, student_id=student_id)
    notices = selectors.student_notices(district=request.district, student=student)
    access_log.record(request, action="view", what="student notice history", student_ids=[student.pk])
    return render(request, "notifications/student_notices.html", {"student": student, "notices": notices})


@district_member("may_print_notices")
def print_center(request):
    if request.method == "POST":
        school = school_get(district=request.district, school_id=_int(request.POST.get("school")) or 0)
        if school.pk not in {s.pk for s in school_list(district=request.district, membership=request.membership)}:
            raise Http404
        try:
            batch = services.print_batch_create(district=request.district, school=school, actor=request.user)
        except ValidationError as error:
            messages.error(request, " ".join(error.messages))
            return redirect("notice_print")
        # The merge runs as a job (issue 16, item 7): its page shows the progress, then the PDF.
        return redirect("notice_print_batch", batch_id=batch.pk)
    return render(
        request,
        "notifications/print.html",
        {
            "queue": selectors.print_queue(district=request.district, membership=request.membership),
            "batches": selectors.print_batches(district=request.district, membership=request.membership),
        },
    )


@district_member("may_print_notices")
def print_batch_detail(request, batch_id: int):
    """One batch: its progress while a worker merges it, then its PDF. Counts only, no student."""
    batch = selectors.print_batch_get(district=request.district, membership=request.membership, batch_id=batch_id)
    return render(request, "notifications/print_batch.html", {"batch": batch})


@district_member("may_print_notices")
def print_batch_progress(request, batch_id: int):
    """The progress fragment htmx polls every second until the batch is finished."""
    batch = selectors.print_batch_get(district=request.district, membership=request.membership, batch_id=batch_id)
    return render(request, "notifications/_print_batch_progress.html", {"batch": batch})


@district_member("may_print_notices")
def print_batch_pdf(request, batch_id: int):
    batch = selectors.print_batch_get(district=request.district, membership=request.membership, batch_id=batch_id)
    if batch.status != batch.Status.DONE or not batch.pdf:
        raise Http404  # not merged yet (or failed): the batch's page says which
    access_log.record(
        request,
        action="download",
        what="print batch",
        student_ids=list(batch.notices.values_list("student_id", flat=True)),
    )
    return FileResponse(batch.pdf.open("rb"), content_type="application/pdf", filename=f"print-batch-{batch.pk}.pdf")


@district_member("may_edit_letter_settings")
def letter_settings(request):
    """Letterhead, who signs, which languages the district has reviewed, and text overrides."""
    district = request.district
    if request.method == "POST":
        action = request.POST.get("action")
        try:
            if action == "settings":
                fields = {
                    k: request.POST.get(k, "").strip()
                    for k in (
                        "letterhead_name",
                        "return_address",
                        "phone",
                        "signature_name",
                        "signature_title",
                        "reply_to",
                    )
                }
                if request.FILES.get("logo"):
                    fields["logo"] = request.FILES["logo"]
                services.letter_settings_save(district=district, actor=request.user, **fields)
            elif action == "review":
                services.language_set_reviewed(
                    district=district,
                    language=request.POST.get("language", ""),
                    reviewed=request.POST.get("reviewed") == "1",
                    actor=request.user,
                )
            elif action == "text":
                services.letter_text_set(
                    district=district,
                    language=request.POST.get("language", ""),
                    key=request.POST.get("key", ""),
                    text=request.POST.get("text", ""),
                    reviewed=request.POST.get("reviewed") == "1",
                    actor=request.user,
                )
            else:
                raise ValidationError(_("Unknown action."))
        except ValidationError as error:
            messages.error(
                request,
                " ".join(f"{k}: {' '.join(v)}" for k, v in error.message_dict.items())
                if hasattr(error, "error_dict")
                else " ".join(error.messages),
            )
        else:
            messages.success(request, _("Saved."))
            return redirect("letter_settings")
    reviews = selectors.language_reviews(district=district)
    return render(
        request,
        "notifications/settings.html",
        {
            "settings": selectors.letter_settings(district=district),
            "texts": selectors.letter_texts(district=district),
            "languages": [(lang, reviews.get(lang.code)) for lang in LANGUAGES.values()],
            "keys": sorted(OVERRIDABLE_KEYS),
            "failures": list(selectors.failures(district=district)[:50]),
        },
        status=400 if request.method == "POST" else 200,
    )
