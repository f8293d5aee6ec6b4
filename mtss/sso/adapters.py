"""allauth's hooks: which app answers a provider key, and who a signed-in identity is.

allauth asks `list_apps` for the app behind `<district-slug>.<provider id>` (the OIDC and SAML
URLs carry it); the answer is built from that district's IdentityProvider, read inside that
district's scope. `pre_social_login` then maps the identity to a membership the roster knows,
or stops the sign-in with a page that says what to do.
"""

from __future__ import annotations

from allauth.account.adapter import DefaultAccountAdapter
from allauth.core.exceptions import ImmediateHttpResponse
from allauth.socialaccount.adapter import DefaultSocialAccountAdapter
from django.http import Http404
from django.shortcuts import render

from mtss.models import District, IdentityProvider
from mtss.selectors import SESSION_DISTRICT_KEY
from mtss.sso import providers, selectors, services
from mtss.sso.secrets import SecretUnavailable
from mtss.tenancy import activate

SESSION_SSO_DISTRICT = "mtss_sso_district"
MODEL_BACKEND = "django.contrib.auth.backends.ModelBackend"


def provider_for_key(request, key: str) -> tuple[District, IdentityProvider] | None:
    """The district and enabled provider a key names, with the request scoped to that district."""
    parsed = providers.parse_key(key)
    if parsed is None:
        return None
    slug, pk = parsed
    district = District.objects.filter(slug=slug).first()
    if district is None:
        return None
    # The sign-in happens before anyone is signed in: scope this request to the district the
    # provider belongs to (TenantMiddleware's outer scope undoes it when the request ends).
    activate(district=district.pk)
    provider = selectors.identity_provider_list(district=district, enabled_only=True).filter(pk=pk).first()
    return (district, provider) if provider is not None else None


def _claims(extra_data: dict) -> dict:
    """One dict of the identity's claims: allauth keeps OIDC's ID token and userinfo apart, and
    a SAML assertion's attributes are lists of values (the first one counts, as allauth's own
    attribute mapping does)."""
    if "userinfo" in extra_data or "id_token" in extra_data:
        return {**(extra_data.get("id_token") or {}), **(extra_data.get("userinfo") or {})}
    return {
        name: (value[0] if value else "") if isinstance(value, list) else value for name, value in extra_data.items()
    }


def refusal_kind(reason: str) -> str:
    """A short name for why python3-saml refused a response (its error texts, onelogin/saml2/response.py)."""
    text = (reason or "").lower()
    for needle, kind in (
        ("signature", "bad_signature"),
        ("expired", "expired"),
        ("subjectconfirmation", "expired"),  # its NotOnOrAfter passed, so none is valid
        ("issuer", "unknown_issuer"),
        ("audience", "wrong_audience"),
    ):
        if needle in text:
            return kind
    return "invalid_response"


def _key_in_session_district(request, client_id: str) -> str | None:
    district = District.objects.filter(pk=request.session.get(SESSION_SSO_DISTRICT)).first()
    if district is None:
        return None
    activate(district=district.pk)
    provider = (
        selectors.identity_provider_list(district=district, enabled_only=True)
        .filter(client_id=client_id)
        .exclude(kind=IdentityProvider.Kind.SAML)
        .order_by("pk")
        .first()
    )
    return providers.provider_key(district, provider) if provider is not None else None


class AccountAdapter(DefaultAccountAdapter):
    def is_open_for_signup(self, request) -> bool:
        # Accounts come from the roster (and the admin pages), never from a sign-in.
        return False

    def login(self, request, user) -> None:
        if not hasattr(user, "backend"):
            user.backend = MODEL_BACKEND
        super().login(request, user)
        # A single sign-on opens the district whose provider signed the person in.
        district_id = request.session.pop(SESSION_SSO_DISTRICT, None)
        if district_id is not None:
            request.session[SESSION_DISTRICT_KEY] = district_id


class SocialAccountAdapter(DefaultSocialAccountAdapter):
    def is_open_for_signup(self, request, sociallogin) -> bool:
        return False

    def list_apps(self, request, provider=None, client_id=None):
        key = client_id if provider == "saml" else provider
        if provider == "openid_connect" and client_id and request is not None:
            # A sign-in resumed after its second factor names the provider by kind and client
            # id only: it is the one of the district this sign-in started in.
            key = _key_in_session_district(request, client_id) or ""
        found = provider_for_key(request, key or "")
        if found is None:
            return []
        district, idp = found
        # By allauth's provider name the kind must match; by a district key (allauth's
        # SocialAccount.provider, for OIDC and SAML alike) the key alone names the provider.
        is_saml = idp.kind == IdentityProvider.Kind.SAML
        if (provider == "saml" and not is_saml) or (provider == "openid_connect" and is_saml):
            return []
        try:
            return [providers.social_app(district, idp)]
        except SecretUnavailable:
            # allauth answers "not configured"; the settings page names the missing secret.
            return []

    def get_app(self, request, provider, client_id=None):
        from allauth.socialaccount.models import SocialApp

        try:
            return super().get_app(request, provider, client_id=client_id)
        except SocialApp.DoesNotExist:
            # Unknown, disabled or another district's key (or its secret is missing): not found.
            raise Http404("No such sign-in provider.") from None

    def on_authentication_error(self, request, provider, error=None, exception=None, extra_context=None) -> None:
        """A SAML response python3-saml refused (a bad signature, an expired assertion, another
        issuer, another audience; issue 15 "Bad input"): an audit event, and a 403 page that
        says so without the library's details."""
        found = provider_for_key(request, getattr(provider.app, "provider_id", "") or "")
        if found is None or found[1].kind != IdentityProvider.Kind.SAML:
            return  # allauth's own error page (an OpenID Connect error, or no district to record it in)
        district, idp = found
        context = extra_context or {}
        reason = str(context.get("saml_last_error_reason") or exception or error or "")
        services.sign_in_recorded(
            district=district,
            user=None,
            provider=idp,
            verb="sso.refused_response",
            kind=refusal_kind(reason),
            # The library's reason names issuers, audiences and times, never a person.
            reason=reason[:300],
        )
        page = render(
            request, "mtss/sso/refused_response.html", {"district": None, "sso_district": district}, status=403
        )
        raise ImmediateHttpResponse(page)

    def pre_social_login(self, request, sociallogin) -> None:
        found = provider_for_key(request, sociallogin.account.provider)
        if found is None:  # the provider was removed or turned off mid-sign-in
            raise ImmediateHttpResponse(render(request, "mtss/sso/unknown_identity.html", status=403))
        district, idp = found
        claims = _claims(sociallogin.account.extra_data or {})
        email = (sociallogin.user.email or claims.get("email") or "").strip().lower()
        domain = email.rpartition("@")[2]
        allowed = [d.lower() for d in idp.allowed_domains]
        if not email or domain not in allowed or claims.get("email_verified") is False:
            services.sign_in_recorded(
                district=district,
                user=None,
                provider=idp,
                verb="sso.refused_domain",
                domain=domain,
                verified=claims.get("email_verified"),
            )
            context = {"district": None, "sso_district": district, "domain": domain, "allowed": allowed}
            raise ImmediateHttpResponse(render(request, "mtss/sso/refused_domain.html", context, status=403))

        sourced_id = str(claims.get(idp.sourced_id_claim) or "") if idp.sourced_id_claim else ""
        membership = selectors.membership_for_identity(district=district, email=email, sourced_id=sourced_id)
        # An identity connected before stays with its user; it must still be a member here.
        if sociallogin.is_existing and (membership is None or membership.user_id != sociallogin.user.pk):
            membership = selectors.membership_for_identity(district=district, email=sociallogin.user.email)
            if membership is not None and membership.user_id != sociallogin.user.pk:
                membership = None
        if membership is None:
            services.sign_in_recorded(
                district=district, user=None, provider=idp, verb="sso.unknown_identity", domain=domain
            )
            context = {"district": None, "sso_district": district, "email": email}
            raise ImmediateHttpResponse(render(request, "mtss/sso/unknown_identity.html", context, status=403))

        if not sociallogin.is_existing:
            sociallogin.connect(request, membership.user)
        request.session[SESSION_SSO_DISTRICT] = district.pk
        services.sign_in_recorded(district=district, user=membership.user, provider=idp, verb="sso.sign_in")
