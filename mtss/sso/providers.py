"""From a district's IdentityProvider row to allauth's SocialApp (never saved: built per request).

Google Workspace, Microsoft Entra ID and ClassLink are OpenID Connect providers with known
issuers, so they run on allauth's `openid_connect` provider like any other OIDC issuer; a
SAML 2.0 IdP runs on allauth's `saml` provider with the district's IdP metadata.
"""

from __future__ import annotations

from urllib.parse import urlsplit

from allauth.socialaccount.models import SocialApp
from django.core.exceptions import ValidationError
from onelogin.saml2.idp_metadata_parser import OneLogin_Saml2_IdPMetadataParser

from mtss.models import District, IdentityProvider
from mtss.sso.secrets import client_secret

Kind = IdentityProvider.Kind
OIDC_KINDS = {Kind.GOOGLE, Kind.ENTRA, Kind.CLASSLINK, Kind.OIDC}
# The issuers of the presets (each provider's own OpenID Connect documentation).
GOOGLE_ISSUER = "https://accounts.google.com"
CLASSLINK_ISSUER = "https://launchpad.classlink.com"
ENTRA_ISSUER = "https://login.microsoftonline.com/{tenant}/v2.0"
KEY_SEPARATOR = "."  # never in a district slug, so "<slug>.<id>" splits one way only


def provider_key(district: District, provider: IdentityProvider) -> str:
    """The id allauth carries in its URLs and session for this district's provider."""
    return f"{district.slug}{KEY_SEPARATOR}{provider.pk}"


def parse_key(key: str) -> tuple[str, int] | None:
    slug, sep, pk = (key or "").rpartition(KEY_SEPARATOR)
    if not sep or not slug or not pk.isdigit():
        return None
    return slug, int(pk)


def issuer_url(provider: IdentityProvider) -> str:
    if provider.kind == Kind.GOOGLE:
        return GOOGLE_ISSUER
    if provider.kind == Kind.CLASSLINK:
        return provider.server_url or CLASSLINK_ISSUER
    if provider.kind == Kind.ENTRA:
        return ENTRA_ISSUER.format(tenant=provider.tenant)
    return provider.server_url


def sign_in_origin(provider: IdentityProvider) -> str | None:
    """The origin the browser is sent to when signing in (the page's CSP form-action allows it)."""
    if provider.kind == Kind.SAML:
        try:
            url = saml_idp_settings(provider).get("sso_url") or provider.saml_metadata_url
        except ValidationError:
            return None
    else:
        url = issuer_url(provider)
    parts = urlsplit(url or "")
    return f"{parts.scheme}://{parts.netloc}" if parts.scheme in ("http", "https") and parts.netloc else None


def saml_idp_settings(provider: IdentityProvider) -> dict:
    """allauth's `idp` settings from the district's metadata: a URL (fetched and cached by
    allauth) or the XML pasted on the settings page (parsed here)."""
    if provider.saml_metadata_xml.strip():
        try:
            parsed = OneLogin_Saml2_IdPMetadataParser.parse(provider.saml_metadata_xml)
        except Exception as error:  # python3-saml raises bare Exceptions for bad XML
            raise ValidationError({"saml_metadata_xml": f"IdP metadata XML: {error}"}) from None
        idp = parsed.get("idp") or {}
        sso = (idp.get("singleSignOnService") or {}).get("url")
        if not idp.get("entityId") or not sso or not idp.get("x509cert"):
            message = "IdP metadata XML: it needs an entityID, a SingleSignOnService and a certificate."
            raise ValidationError({"saml_metadata_xml": message})
        return {"entity_id": idp["entityId"], "sso_url": sso, "x509cert": idp["x509cert"]}
    return {"entity_id": provider.client_id, "metadata_url": provider.saml_metadata_url}


def social_app(district: District, provider: IdentityProvider) -> SocialApp:
    key = provider_key(district, provider)
    if provider.kind == Kind.SAML:
        return SocialApp(
            provider="saml",
            provider_id=key,
            name=provider.name,
            client_id=key,  # allauth's "organization slug" in the SAML URLs
            settings={
                "idp": saml_idp_settings(provider),
                "attribute_mapping": {
                    "uid": ["uid", "urn:oid:0.9.2342.19200300.100.1.1"],
                    "email": ["email", "urn:oid:0.9.2342.19200300.100.1.3"],
                    "first_name": ["givenName", "urn:oid:2.5.4.42"],
                    "last_name": ["sn", "urn:oid:2.5.4.4"],
                },
                # Bad signatures, expired assertions and another audience are refused by
                # python3-saml in strict mode; assertions must be signed.
                # Our own ACS and metadata URLs may be on a one-label host (localhost, an
                # intranet name): python3-saml's URL check refuses those unless allowed.
                "advanced": {
                    "strict": True,
                    "want_assertion_signed": True,
                    "reject_idp_initiated_sso": True,
                    "allow_single_label_domains": True,
                },
            },
        )
    return SocialApp(
        provider="openid_connect",
        provider_id=key,
        name=provider.name,
        client_id=provider.client_id,
        secret=client_secret(provider),
        settings={"server_url": issuer_url(provider), "oauth_pkce_enabled": True},
    )
