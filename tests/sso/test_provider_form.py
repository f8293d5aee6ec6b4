"""The provider form names the field and the rule when a secret's variable name is not one a
server could set (the same rule as the OneRoster connection's, `mtss.forms.secret_env_name`)."""

from __future__ import annotations

import pytest

from mtss.sso.forms import IdentityProviderForm


def _form(env_name: str) -> IdentityProviderForm:
    return IdentityProviderForm(
        data={
            "name": "District SSO",
            "kind": "oidc",
            "enabled": "on",
            "client_id": "mtss-test-client",
            "client_secret_env": env_name,
            "server_url": "https://login.example.org",
            "allowed_domains": "example.org",
        }
    )


@pytest.mark.parametrize("name", ["1SECRET", "SSO SECRET", "SSO-SECRET", "SSO_SECRÉT"])
def test_a_bad_variable_name_is_refused_with_the_rule(name):
    form = _form(name)
    assert not form.is_valid()
    assert "letters, digits and underscores" in " ".join(form.errors["client_secret_env"])


@pytest.mark.parametrize("name", ["SSO_GOOGLE_SECRET", "sso_secret_loudon", "_S1"])
def test_a_posix_variable_name_is_kept(name):
    form = _form(f"  {name} ")
    form.is_valid()
    assert "client_secret_env" not in form.errors
    assert form.cleaned_data["client_secret_env"] == name
