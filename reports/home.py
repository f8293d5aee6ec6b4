"""The home page: each member's day (reports/my_day.py). It composes every app, so it lives in
the top layer; the URL stays `/` (name "home", reports/home_urls.py)."""

from __future__ import annotations

from django.shortcuts import redirect, render

from mtss import access_log
from mtss.selectors import memberships_for_user
from reports.my_day import my_day


def home(request):
    if not request.user.is_authenticated:
        return redirect("login")
    memberships = list(memberships_for_user(user=request.user))
    membership = getattr(request, "membership", None)
    day = None
    if membership is not None:
        day = my_day(district=request.district, membership=membership)
        access_log.record(request, action="list", what="my day", student_ids=day.student_ids())
    return render(request, "home.html", {"memberships": memberships, "day": day})
