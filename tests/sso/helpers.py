"""Single sign-on test helpers: a district's provider, and a sign-in through the loopback OP."""

from __future__ import annotations

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
