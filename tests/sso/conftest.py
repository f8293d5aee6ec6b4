import pytest
from oidc_provider_mock import run_server_in_thread


@pytest.fixture(scope="session")
def oidc_issuer():
    """A real OpenID Connect provider on loopback (oidc-provider-mock: discovery, JWKS, signed
    ID tokens, the authorization-code flow); any client id and secret are accepted."""
    with run_server_in_thread(port=0) as server:
        yield f"http://localhost:{server.server_port}"


@pytest.fixture(scope="session")
def saml_idp_server():
    """A real SAML 2.0 IdP on loopback (pysaml2, tests/saml_idp.py), with a key made at start."""
    from tests.saml_idp import running_idp

    with running_idp() as idp:
        yield idp


@pytest.fixture
def saml_idp(saml_idp_server):
    saml_idp_server.next_response = {}
    saml_idp_server.attributes.clear()
    yield saml_idp_server
    saml_idp_server.next_response = {}
