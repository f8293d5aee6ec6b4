"""API authentication: a bearer token belongs to one district (and one user)."""

from __future__ import annotations

from datetime import timedelta

from django.utils import timezone
from rest_framework import authentication, exceptions, permissions

from mtss.models import ApiToken, Membership
from mtss.services import hash_token
from mtss.tenancy import activate


class DistrictTokenAuthentication(authentication.BaseAuthentication):
    keywords = ("Bearer", "Token")

    def authenticate(self, request):
        header = authentication.get_authorization_header(request).decode("latin-1").split()
        if not header or header[0] not in self.keywords:
            return None
        if len(header) != 2:
            raise exceptions.AuthenticationFailed("Authorization header must be 'Bearer <token>'.")
        key_hash = hash_token(header[1])
        # The token table's row-level policy shows a row only to the one who
        # holds its key; then the request is scoped to the token's district.
        activate(token_hash=key_hash)
        token = ApiToken.objects.select_related("district", "user").filter(key_hash=key_hash).first()
        activate(token_hash=None)
        if token is None or token.revoked_at is not None or not token.user.is_active:
            raise exceptions.AuthenticationFailed("Invalid or revoked token.")
        activate(district=token.district_id, user_id=token.user_id)
        membership = (
            Membership.objects.select_related("district")
            .filter(district=token.district, user=token.user, is_active=True)
            .first()
        )
        if membership is None:
            raise exceptions.AuthenticationFailed("The token's user is no longer a member of its district.")
        django_request = request._request
        django_request.district = token.district
        django_request.membership = membership
        now = timezone.now()
        if token.last_used_at is None or now - token.last_used_at > timedelta(minutes=5):
            ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)
        return token.user, token

    def authenticate_header(self, request):
        return 'Bearer realm="api"'


class IsDistrictMember(permissions.BasePermission):
    message = "You are not a member of a district."

    def has_permission(self, request, view):
        return bool(request.user and request.user.is_authenticated and getattr(request, "membership", None))
