"""Single sign-on test helpers: a district's provider, and a sign-in through the loopback OP."""

from __future__ import annotations

import re
from html import unescape
from urllib.parse import urlsplit

import requests
from django.urls import reverse

from mtss.models import IdentityProvider
from mtss.sso import providers
from mtss.sso.services import identity_provider_save
from mtss.tenancy import tenant_context
from tests import factories as f


def make_provider(
    district, *, issuer: str, domains=("example.org",), secret="s3cret-value", **fields
) -> IdentityProvider:
    admin = f.make_member(district, "district_admin")
    data = {
        "name": fields.pop("name", "District SSO"),
        "kind": fields.pop("kind", IdentityProvider.Kind.OIDC),
        "enabled": fields.pop("enabled", True),
        "client_id": fields.pop("client_id", "mtss-test-client"),
        "client_secret_env": fields.pop("client_secret_env", ""),
        "server_url": issuer,
        "tenant": "",
        "saml_metadata_url": "",
        "saml_metadata_xml": "",
        "allowed_domains": list(domains),
        "sourced_id_claim": fields.pop("sourced_id_claim", ""),
    }
    with tenant_context(district):
        return identity_provider_save(district=district, actor=admin, provider=None, data=data, secret=secret)


def set_op_user(issuer: str, sub: str, claims: dict) -> None:
    """The loopback OP answers for `sub` with these claims (oidc-provider-mock's PUT /users)."""
    response = requests.put(f"{issuer}/users/{sub}", json=claims, timeout=5)
    response.raise_for_status()


def start_sign_in(client, district, provider):
    return client.post(
        reverse("openid_connect_login", kwargs={"provider_id": providers.provider_key(district, provider)})
    )


def oidc_sign_in(client, district, provider, sub: str):
    """Click the district's button, pick `sub` at the provider, and follow its redirect back."""
    start = start_sign_in(client, district, provider)
    assert start.status_code == 302, start.content[:300]
    authorize = start["Location"]
    assert authorize.startswith(provider.server_url), authorize
    chosen = requests.post(authorize, data={"sub": sub}, allow_redirects=False, timeout=5)
    assert chosen.status_code == 302, chosen.text[:300]
    back = urlsplit(chosen.headers["Location"])
    assert back.path == reverse(
        "openid_connect_callback", kwargs={"provider_id": providers.provider_key(district, provider)}
    )
    return client.get(f"{back.path}?{back.query}")


def make_saml_provider(district, idp, *, domains=("example.org",), by_url=False, **fields) -> IdentityProvider:
    """A district's SAML provider for the loopback IdP: its metadata pasted, or its metadata URL."""
    admin = f.make_member(district, "district_admin")
    data = {
        "name": fields.pop("name", "District SAML"),
        "kind": IdentityProvider.Kind.SAML,
        "enabled": fields.pop("enabled", True),
        "client_id": idp.entity_id if by_url else "",
        "client_secret_env": "",
        "server_url": "",
        "tenant": "",
        "saml_metadata_url": idp.entity_id if by_url else "",  # it serves its metadata there
        "saml_metadata_xml": "" if by_url else idp.metadata_xml(),
        "allowed_domains": list(domains),
        "sourced_id_claim": fields.pop("sourced_id_claim", ""),
    }
    with tenant_context(district):
        return identity_provider_save(district=district, actor=admin, provider=None, data=data, secret="")


def saml_key(district, provider) -> dict:
    return {"organization_slug": providers.provider_key(district, provider)}


def _hidden(html: str, name: str) -> str:
    match = re.search(rf'name="{name}" value="([^"]*)"', html)
    assert match, html[:500]
    return unescape(match.group(1))


def saml_sign_in(client, district, provider, idp, email: str):
    """Click the district's SAML button, sign in at the loopback IdP as `email`, and post its
    answer back to our ACS (the HTTP-POST binding the browser would follow)."""
    # allauth's SAML views read the Host header, which browsers always send (the test client not).
    client.defaults.setdefault("HTTP_HOST", "testserver")
    # The IdP knows this district's service provider from its metadata (served per district).
    metadata = client.get(reverse("saml_metadata", kwargs=saml_key(district, provider)))
    assert metadata.status_code == 200, metadata.content[:300]
    idp.trust_sp(metadata.content.decode())
    start = client.post(reverse("saml_login", kwargs=saml_key(district, provider)))
    assert start.status_code == 302 and start["Location"].startswith(idp.sso_url), start
    ask = requests.get(start["Location"], timeout=5)
    assert ask.status_code == 200, ask.text[:300]
    answer = requests.post(
        f"{idp.base_url}/sso/login", data={"key": _hidden(ask.text, "key"), "user": email}, timeout=10
    )
    assert answer.status_code == 200, answer.text[:300]
    acs = urlsplit(unescape(re.search(r'action="([^"]*)"', answer.text).group(1)))
    assert acs.path == reverse("saml_acs", kwargs=saml_key(district, provider))
    posted = client.post(
        acs.path,
        {"SAMLResponse": _hidden(answer.text, "SAMLResponse"), "RelayState": _hidden(answer.text, "RelayState")},
    )
    assert posted.status_code == 302, posted.content[:300]
    return client.get(posted["Location"])
