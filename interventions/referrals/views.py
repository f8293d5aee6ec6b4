"""Referral pages: the list (with a request form), and one referral with its evidence, review and override."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.db.models import Exists, OuterRef
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _

from interventions.models import Plan, Referral, TierPlacement
from interventions.referrals import selectors, services
from interventions.referrals.evidence import referral_evidence
from interventions.referrals.forms import ReferralOverrideForm, ReferralRequestForm, ReferralReviewForm
from mtss import access_log
from mtss.decorators import district_member
from mtss.forms import apply_validation_error
from mtss.models import Role
from mtss.permissions import allowed, require
from students.access import visible_students


def _requestable(request):
    students = visible_students(district=request.district, membership=request.membership).filter(exit_date__isnull=True)
    if request.membership.role != Role.DISTRICT_ADMIN:
        students = students.filter(school__in=request.membership.district_schools())
    # Referrals come from intervention: students with a plan or an open tier placement (which also
    # keeps the list short in a district of 400,000 students).
    in_service = Exists(Plan.objects.filter(student=OuterRef("pk"))) | Exists(
        TierPlacement.objects.filter(student=OuterRef("pk"), end_date__isnull=True)
    )
    return students.filter(in_service).order_by("last_name", "first_name")


@district_member("may_view_referrals")
def referral_list(request):
    status = request.GET.get("status") or None
    referrals = list(
        selectors.referral_list(district=request.district, membership=request.membership, status=status)[:200]
    )
    form = ReferralRequestForm(request.POST or None, students=_requestable(request))
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        require(request, "may_request_referral", data["student"])
        try:
            referral = services.referral_request(
                district=request.district,
                actor=request.user,
                student=data["student"],
                area=data["area"].strip(),
                reason=data["reason"],
            )
        except ValidationError as error:
            apply_validation_error(form, error)
        else:
            return redirect("referral_detail", referral_id=referral.pk)
    return render(
        request,
        "interventions/referral_list.html",
        {"referrals": referrals, "form": form, "statuses": Referral.Status.choices, "status": status},
        status=400 if request.method == "POST" else 200,
    )


@district_member("may_view_referrals")
def referral_detail(request, referral_id: int):
    referral = selectors.referral_get(district=request.district, membership=request.membership, referral_id=referral_id)
    can_review = allowed(request.membership, "may_review_referral", referral) and referral.is_open
    review_form = ReferralReviewForm(request.POST if request.POST.get("action") == "review" else None)
    override_form = ReferralOverrideForm(request.POST if request.POST.get("action") == "override" else None)
    status = 200
    if request.method == "POST":
        action = request.POST.get("action")
        try:
            if action == "recheck":
                require(request, "may_request_referral", referral.student)
                services.referral_recheck(district=request.district, actor=request.user, referral=referral)
                return redirect("referral_detail", referral_id=referral.pk)
            if action == "review":
                require(request, "may_review_referral", referral)
                if review_form.is_valid():
                    services.referral_review(
                        district=request.district,
                        actor=request.user,
                        membership=request.membership,
                        referral=referral,
                        notes=review_form.cleaned_data["notes"],
                    )
                    messages.success(request, _("The referral is reviewed and signed off."))
                    return redirect("referral_detail", referral_id=referral.pk)
            elif action == "override":
                require(request, "may_override_referral", referral)
                if override_form.is_valid():
                    services.referral_override(
                        district=request.district,
                        actor=request.user,
                        membership=request.membership,
                        referral=referral,
                        reason=override_form.cleaned_data["override_reason"],
                    )
                    messages.success(
                        request, _("The referral goes ahead without the complete evidence; the reason is recorded.")
                    )
                    return redirect("referral_detail", referral_id=referral.pk)
            else:
                raise Http404
        except ValidationError as error:
            apply_validation_error(review_form if action == "review" else override_form, error)
        status = 400
        referral.refresh_from_db()
    access_log.record(request, action="view", what="special-education referral", student_ids=[referral.student_id])
    evidence = referral_evidence(
        district=request.district, student=referral.student, area=referral.area, as_of=timezone.localdate()
    )
    return render(
        request,
        "interventions/referral_detail.html",
        {
            "referral": referral,
            "evidence": evidence,
            "reviewer_role": Role(referral.reviewer_role).label,
            "can_review": can_review,
            "can_recheck": referral.is_open and allowed(request.membership, "may_request_referral", referral.student),
            "review_form": review_form,
            "override_form": override_form,
        },
        status=status,
    )
