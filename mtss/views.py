"""Core pages: district switch, the access log, health (the home page is reports/home.py)."""

from __future__ import annotations

from django.contrib.auth import views as auth_views
from django.core.paginator import Paginator
from django.db import connection
from django.http import HttpResponse, HttpResponseNotAllowed
from django.shortcuts import redirect, render
from django.utils.http import url_has_allowed_host_and_scheme

from mtss import throttles
from mtss.api_params import query_int
from mtss.decorators import district_member
from mtss.forms import LoginForm, QueuedPasswordResetForm
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
