"""View guards: a signed-in member of a district, optionally allowed by a named rule."""

from __future__ import annotations

from functools import wraps

from django.contrib.auth.views import redirect_to_login
from django.http import Http404

from mtss.permissions import allowed


def district_member(rule: str | None = None):
    """Require a membership (and, if given, the rule of mtss.permissions without an object).

    A member the rule refuses gets 404, not 403: a page that is not theirs
    must not confirm it exists. Rules about an object are asked in the view,
    after the object was found (`mtss.permissions.require`).
    """

    def decorator(view):
        @wraps(view)
        def wrapper(request, *args, **kwargs):
            if not request.user.is_authenticated:
                return redirect_to_login(request.get_full_path())
            if request.membership is None or (rule and not allowed(request.membership, rule)):
                raise Http404
            return view(request, *args, **kwargs)

        return wrapper

    return decorator
