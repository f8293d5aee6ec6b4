"""Core pages: district switch, the access log, health (the home page is reports/home.py)."""

from __future__ import annotations

from allauth.account.internal.flows.login import perform_password_login
from allauth.account.models import Login
from django.contrib.auth import views as auth_views
from django.core.paginator import Paginator
from django.core.validators import slug_re
from django.db import connection
from django.http import HttpResponse, HttpResponseNotAllowed
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme, urlencode

from mtss import throttles
from mtss.api_params import query_int
from mtss.decorators import district_member
from mtss.forms import LoginForm, QueuedPasswordResetForm
from mtss.models import District
from mtss.selectors import SESSION_DISTRICT_KEY, access_log_list, memberships_for_user


class LoginView(auth_views.LoginView):
    """Sign-in, with a per-IP limit on failures beside axes' username+IP lockout (mtss.throttles)."""

    authentication_form = LoginForm

    def post(self, request, *args, **kwargs):
        if throttles.login_failures_exceeded(request):
            return throttles.login_too_many(request)
        response = super().post(request, *args, **kwargs)
        if response.status_code == 200:  # the form came back with an error: a failed sign-in
            throttles.login_failed(request)
        return response

    def get(self, request, *args, **kwargs):
        # The district picker below the form: on to that district's single sign-on page.
        slug = request.GET.get("district", "")
        if slug and slug_re.match(slug):
            target = reverse("district_login", args=[slug])
            next_url = request.GET.get("next", "")
            return redirect(f"{target}?{urlencode({'next': next_url})}" if next_url else target)
        return super().get(request, *args, **kwargs)

    def form_valid(self, form):
        # Through allauth's login flow, so that a second factor (mtss.sso, allauth.mfa) is asked
        # for before the session is signed in, exactly as after a single sign-on.
        user = form.get_user()
        login = Login(user=user, redirect_url=self.get_success_url())
        return perform_password_login(self.request, {"username": user.get_username()}, login)

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["districts"] = District.objects.order_by("name").only("name", "slug")
        context["sso_district"] = getattr(context["form"], "sso_district", None)
        return context


class PasswordResetView(auth_views.PasswordResetView):
    """Password reset, limited per client IP and per e-mail; the mail goes out from a job."""

    form_class = QueuedPasswordResetForm

    def post(self, request, *args, **kwargs):
        if throttles.password_reset_limited(request):
            return throttles.password_reset_too_many(request)
        return super().post(request, *args, **kwargs)


@district_member()
def district_switch(request):
    if request.method != "POST":
        return HttpResponseNotAllowed(["POST"])
    try:
        district_id = int(request.POST.get("district", ""))
    except ValueError:
        district_id = None
    if any(m.district_id == district_id for m in memberships_for_user(user=request.user)):
        request.session[SESSION_DISTRICT_KEY] = district_id
    target = request.POST.get("next", "")
    if not url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}):
        target = "/"
    return redirect(target or "/")


@district_member("may_view_access_log")
def access_log(request):
    entries = access_log_list(
        district=request.district,
        user_id=query_int(request.GET.get("user")),
        student_id=query_int(request.GET.get("student")),
    )
    page = Paginator(entries, 50).get_page(request.GET.get("page"))
    return render(request, "mtss/access_log.html", {"page": page})


def healthz(request):
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
    return HttpResponse("ok", content_type="text/plain")
