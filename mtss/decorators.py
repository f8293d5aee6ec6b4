"""View guards: a signed-in member of a district, optionally with a role."""
from __future__ import annotations

from functools import wraps

from django.contrib.auth.views import redirect_to_login
from django.http import Http404


def district_member(*roles: str):
    """Require a membership (and one of `roles` if given).

    A member without the role gets 404, not 403: a page that is not theirs
    must not confirm it exists.
    """

    def decorator(view):
        @wraps(view)
        def wrapper(request, *args, **kwargs):
            if not request.user.is_authenticated:
                return redirect_to_login(request.get_full_path())
            if request.membership is None or (roles and request.membership.role not in roles):
                raise Http404
            return view(request, *args, **kwargs)

        return wrapper

    return decorator
