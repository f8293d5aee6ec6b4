"""Student pages: the list with search and filters, create and edit.

The record page composes placements, plans and meetings, so it lives a layer up
(interventions/student_record.py), under the same /students/<id>/ URL.

Name search is sent with POST so that student names never appear in URLs
(and so never in proxy or server logs); non-identifying filters work with GET.
"""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpResponseNotAllowed
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _

from mtss import access_log
from mtss.api_params import query_int
from mtss.decorators import district_member
from mtss.forms import apply_validation_error
from mtss.idempotency import AlreadySubmitted, repeated, submit_once
from mtss.permissions import allowed, require
from mtss.selectors import school_list
from students.forms import ConsultationForm, GuardianForm, RosterSyncForm, StudentFilterForm, StudentForm
from students.search import CappedPaginator
from students.selectors import (
    StudentFilters,
    open_tiers,
    roster_sync_get,
    student_get,
    student_list,
    student_suggestions,
)
from students.services import (
    consultation_record,
    guardian_create,
    roster_sync_enqueue,
    roster_sync_request,
    roster_sync_save,
    student_create,
    student_update,
)

PAGE_SIZE = 25


@district_member()
def student_list_view(request):
    data = request.POST if request.method == "POST" else request.GET.copy()
    if request.method != "POST":
        data.pop("q", None)  # names only travel in a POST body
    schools = school_list(district=request.district, membership=request.membership)
    form = StudentFilterForm(data or None, schools=schools)
    filters = StudentFilters()
    if form.is_valid():
        cleaned = form.cleaned_data
        filters = StudentFilters(
            q=cleaned["q"].strip(),
            school_id=cleaned["school"].pk if cleaned["school"] else None,
            grade=cleaned["grade"],
            subgroup=cleaned["subgroup"] or None,
            tier=cleaned["tier"],
            include_exited=cleaned["include_exited"],
        )
    students = student_list(district=request.district, membership=request.membership, filters=filters)
    page = CappedPaginator(students, PAGE_SIZE).get_page(data.get("page"))
    rows = list(page.object_list)
    tiers = open_tiers(district=request.district, student_ids=[s.pk for s in rows])
    access_log.record(request, action="list", what="student list", student_ids=[s.pk for s in rows])
    context = {
        "form": form,
        "page": page,
        "rows": [(s, tiers.get(s.pk, {})) for s in rows],
        "can_create": allowed(request.membership, "may_create_student"),
    }
    template = "students/_results.html" if request.htmx else "students/student_list.html"
    return render(request, template, context)


@district_member()
def student_search_view(request):
    """The header search's suggestions (htmx). POST only, so the typed name stays out of URLs."""
    if request.method != "POST":
        return HttpResponseNotAllowed(["POST"])
    q = request.POST.get("q", "")
    students = student_suggestions(district=request.district, membership=request.membership, q=q)
    access_log.record(request, action="list", what="student search", student_ids=[s.pk for s in students])
    return render(request, "students/_suggestions.html", {"students": students, "searched": bool(q.strip())})


@district_member("may_create_student")
def student_create_view(request):
    form = StudentForm(request.POST or None, district=request.district)
    if request.method == "POST" and form.is_valid():
        try:
            student = submit_once(
                district=request.district,
                user=request.user,
                token=form.submission_token,
                work=lambda: student_create(district=request.district, actor=request.user, **form.cleaned_data),
                url_of=lambda student: reverse("student_detail", args=[student.pk]),
            )
        except AlreadySubmitted as repeat:
            return repeated(request, repeat, reverse("student_list"))
        except ValidationError as error:
            apply_validation_error(form, error)  # the form keeps everything the user typed
        else:
            return redirect("student_detail", student_id=student.pk)
    return render(request, "students/student_form.html", {"form": form, "title": _("New student")})


@district_member()
def student_edit_view(request, student_id: int):
    student = student_get(district=request.district, membership=request.membership, student_id=student_id)
    require(request, "may_edit_student", student)
    form = StudentForm(request.POST or None, instance=student, district=request.district)
    if request.method == "POST" and form.is_valid():
        try:
            fields = {name: form.cleaned_data[name] for name in form.fields if name in form.cleaned_data}
            # ModelForm already copied values onto the instance; re-read to diff.
            fresh = student_get(district=request.district, membership=request.membership, student_id=student_id)
            student_update(district=request.district, actor=request.user, student=fresh, **fields)
        except ValidationError as error:
            apply_validation_error(form, error)
        else:
            return redirect("student_detail", student_id=student_id)
    access_log.record(request, action="view", what="student edit form", student_ids=[student.pk])
    return render(request, "students/student_form.html", {"form": form, "title": _("Edit student"), "student": student})


@district_member()
def guardian_create_view(request, student_id: int):
    student = student_get(district=request.district, membership=request.membership, student_id=student_id)
    require(request, "may_add_guardian", student)
    form = GuardianForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            submit_once(
                district=request.district,
                user=request.user,
                token=form.submission_token,
                work=lambda: guardian_create(
                    district=request.district, actor=request.user, student=student, **form.cleaned_data
                ),
                url_of=lambda guardian: reverse("student_detail", args=[student.pk]),
            )
        except AlreadySubmitted as repeat:
            return repeated(request, repeat, reverse("student_detail", args=[student.pk]))
        except ValidationError as error:
            apply_validation_error(form, error)
        else:
            return redirect("student_detail", student_id=student.pk)
    access_log.record(request, action="view", what="guardian form", student_ids=[student.pk])
    return render(
        request,
        "students/guardian_form.html",
        {"form": form, "student": student, "title": _("Add a guardian or contact")},
    )


@district_member()
def consultation_create_view(request, student_id: int):
    """Record a parent consultation (parent_contact.consultations_per_quarter) from the student record."""
    student = student_get(district=request.district, membership=request.membership, student_id=student_id)
    require(request, "may_record_consultation", student)
    form = ConsultationForm(request.POST or None, student=student)
    if request.method == "POST" and form.is_valid():
        try:
            submit_once(
                district=request.district,
                user=request.user,
                token=form.submission_token,
                work=lambda: consultation_record(
                    district=request.district, actor=request.user, student=student, **form.cleaned_data
                ),
                url_of=lambda consultation: reverse("student_detail", args=[student.pk]),
            )
        except AlreadySubmitted as repeat:
            return repeated(request, repeat, reverse("student_detail", args=[student.pk]))
        except ValidationError as error:
            apply_validation_error(form, error)
        else:
            return redirect("student_detail", student_id=student.pk)
    access_log.record(request, action="view", what="consultation form", student_ids=[student.pk])
    return render(
        request,
        "students/guardian_form.html",
        {"form": form, "student": student, "title": _("Record a parent consultation")},
    )


@district_member("may_import_roster")
def roster_sync_view(request):
    """The OneRoster API connection: settings, "sync now", and the last sync's state (polled while it runs)."""
    sync = roster_sync_get(district=request.district)
    form = RosterSyncForm(instance=sync)
    status = 200
    if request.method == "POST":
        action = request.POST.get("action", "save")
        if action in ("sync", "full"):
            if sync is None:
                messages.error(request, _("Save the connection first."))
            elif (
                roster_sync_request(
                    district=request.district,
                    actor=request.user,
                    full=action == "full",
                    confirm_exits=_typed_number(request.POST.get("confirm_exits", "")),
                )
                is None
            ):
                messages.info(request, _("A sync is already under way."))
            else:
                roster_sync_enqueue(district=request.district)
                messages.success(request, _("The sync is queued; this page shows its progress."))
            return redirect("roster_sync")
        form = RosterSyncForm(request.POST, instance=sync)
        if form.is_valid():
            try:
                roster_sync_save(district=request.district, actor=request.user, values=form.cleaned_data)
            except ValidationError as error:
                apply_validation_error(form, error)
            else:
                messages.success(request, _("The rostering connection is saved."))
                return redirect("roster_sync")
        status = 400
    template = "students/_roster_sync_status.html" if request.htmx else "students/roster_sync.html"
    return render(request, template, {"form": form, "sync": sync}, status=status)


def _typed_number(value: str) -> int | None:
    # As the imports page reads it (screening.views): "1,234" is 1234. A negative or absurd number
    # confirms nothing (and never reaches the positive-integer column).
    number = query_int(value.replace(",", "").strip())
    return number if number is not None and 0 <= number < 10**9 else None
