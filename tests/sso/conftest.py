import pytest
from oidc_provider_mock import run_server_in_thread


@pytest.fixture(scope="session")
def oidc_issuer():
    """A real OpenID Connect provider on loopback (oidc-provider-mock: discovery, JWKS, signed
    ID tokens, the authorization-code flow); any client id and secret are accepted."""
    with run_server_in_thread(port=0) as server:
        yield f"http://localhost:{server.server_port}"
