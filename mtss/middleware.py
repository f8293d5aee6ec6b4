"""Resolve the request's district from the signed-in user's membership."""
from __future__ import annotations

from mtss import access_log
from mtss.selectors import membership_for_request
from mtss.tenancy import activate, tenant_context


class TenantMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        # Outer scope: whatever a view or the API's token check activates is
        # undone when the request ends.
        with tenant_context(None):
            request.district = None
            request.membership = None
            if request.user.is_authenticated:
                activate(user_id=request.user.pk)
                membership = membership_for_request(request)
                if membership is not None:
                    request.membership = membership
                    request.district = membership.district
                    activate(district=membership.district_id)
            response = self.get_response(request)
            access_log.flush(request)
        return response
