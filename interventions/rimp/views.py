"""Pages of Ohio's reading guarantee: create a student's RIMP, read it, approve it. Thin: the
rules are in interventions/rimp/services.py and mtss/permissions.py."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from interventions.rimp import selectors, services
from interventions.rimp.forms import RimpForm
from interventions.rimp.rules import rimp_state
from mtss import access_log
from mtss.decorators import district_member
from mtss.forms import apply_validation_error
from mtss.permissions import allowed, require
from mtss.selectors import policy_document
from students.selectors import student_get


def _sections(district) -> list[str]:
    _v, policy = policy_document(district=district, as_of=timezone.localdate())
    required = services.required_rimp(policy)
    return list(required.sections) if required is not None else []


@district_member()
def rimp_create(request, student_id: int):
    student = student_get(district=request.district, membership=request.membership, student_id=student_id)
    require(request, "may_write_rimp", student)
    determination = selectors.open_determination(district=request.district, student=student)
    existing = selectors.rimp_of(district=request.district, determination=determination) if determination else None
    if existing is not None:
        return redirect("rimp_detail", rimp_id=existing.pk)
    access_log.record(request, action="view", what="RIMP form", student_ids=[student.pk])
    choices = selectors.rimp_form_choices(district=request.district, student=student)
    initial = {}
    if determination is not None and determination.measure:
        score = "" if determination.score_value is None else f" {determination.score_value:g}"
        initial["deficiency"] = _("Fall diagnostic (%(measure)s%(score)s, %(day)s): not on track in reading.") % {
            "measure": determination.measure,
            "score": score,
            "day": determination.determined_on.isoformat(),
        }
    form = RimpForm(request.POST or None, initial=initial, **choices)
    status = 200
    if determination is None:
        status = 400
        form.add_error(
            None, _("The student has no not-on-track reading determination: a RIMP follows the fall diagnostic.")
        )
    elif request.method == "POST" and form.is_valid():
        try:
            rimp = services.rimp_create(
                district=request.district, actor=request.user, student=student, **form.cleaned_data
            )
        except ValidationError as error:
            apply_validation_error(form, error)
            status = 400
        else:
            messages.success(request, _("The RIMP was created. It now needs the approval the policy names."))
            return redirect("rimp_detail", rimp_id=rimp.pk)
    elif request.method == "POST":
        status = 400
    return render(
        request,
        "interventions/rimp_form.html",
        {"form": form, "student": student, "determination": determination, "sections": _sections(request.district)},
        status=status,
    )


def _detail(request, rimp, status: int = 200):
    access_log.record(request, action="view", what="RIMP", student_ids=[rimp.student_id])
    today = timezone.localdate()
    determination = rimp.determination
    state = rimp_state(due=determination.rimp_due, today=today, status=rimp.status, letter_sent=False)
    return render(
        request,
        "interventions/rimp_detail.html",
        {
            "rimp": rimp,
            "student": rimp.student,
            "determination": determination,
            "state": state,
            "may_approve": rimp.status == rimp.Status.DRAFT and allowed(request.membership, "may_approve_rimp", rimp),
            "sections": _sections(request.district),
        },
        status=status,
    )


@district_member()
def rimp_detail(request, rimp_id: int):
    rimp = selectors.rimp_get(district=request.district, membership=request.membership, rimp_id=rimp_id)
    return _detail(request, rimp)


@district_member()
@require_POST
def rimp_approve(request, rimp_id: int):
    rimp = selectors.rimp_get(district=request.district, membership=request.membership, rimp_id=rimp_id)
    try:
        services.rimp_approve(district=request.district, membership=request.membership, actor=request.user, rimp=rimp)
    except PermissionDenied as error:
        messages.error(request, str(error))
        return _detail(request, rimp, status=403)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
        rimp.refresh_from_db()
        return _detail(request, rimp, status=409)
    messages.success(request, _("The RIMP is approved; its letter to the parents is queued."))
    return redirect("rimp_detail", rimp_id=rimp.pk)
