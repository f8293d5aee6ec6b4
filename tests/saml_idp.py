"""A real SAML 2.0 identity provider on loopback for the tests (pysaml2 acting as the IdP).

Issue 15: "SSO tests run against real identity providers on loopback that the tests start: ...
and a SAML IdP (pysaml2 can act as one)". It serves its metadata, takes an AuthnRequest on the
HTTP-Redirect binding, shows a small "who are you" page (like the loopback OpenID Connect
provider's), and answers the service provider with a signed assertion on the HTTP-POST binding.

Its key and certificate are made when it starts (no private key is committed). `next_response`
lets a test ask for one bad answer (tests/sso/test_saml_sign_in.py): a tampered assertion, an
expired one, one from another issuer, or one addressed to another service provider.

Signing runs through the xmlsec1 program (Debian package xmlsec1, .ci/run).
"""

from __future__ import annotations

import base64
import datetime
import html
import secrets
import shutil
import tempfile
import threading
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import NameOID
from saml2 import BINDING_HTTP_REDIRECT
from saml2.assertion import Policy
from saml2.authn_context import PASSWORD
from saml2.config import IdPConfig
from saml2.metadata import create_metadata_string
from saml2.saml import NAME_FORMAT_BASIC, NAMEID_FORMAT_EMAILADDRESS, NameID
from saml2.server import Server
from saml2.xmldsig import DIGEST_SHA256, SIG_RSA_SHA256

LIFETIME = {"minutes": 5}


def make_key_and_certificate(directory: Path, common_name: str) -> tuple[Path, Path]:
    """A fresh RSA key and a self-signed certificate valid around now, written to `directory`."""
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common_name)])
    now = datetime.datetime.now(datetime.UTC)
    certificate = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(days=1))
        .not_valid_after(now + datetime.timedelta(days=30))
        .sign(key, hashes.SHA256())
    )
    key_file, cert_file = directory / f"{common_name}.key", directory / f"{common_name}.crt"
    key_file.write_bytes(
        key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    )
    cert_file.write_bytes(certificate.public_bytes(serialization.Encoding.PEM))
    return key_file, cert_file


@dataclass
class PendingRequest:
    request_id: str
    acs_url: str
    sp_entity_id: str
    relay_state: str


@dataclass
class SamlIdp:
    base_url: str
    key_file: Path
    cert_file: Path
    # Extra attributes released for a user (e.g. a roster sourcedId), by e-mail.
    attributes: dict[str, dict[str, str]] = field(default_factory=dict)
    # One bad answer for the next response: {"tamper": True}, {"expired": True},
    # {"issuer": "https://elsewhere"}, {"audience": "<another SP entity id>"}.
    next_response: dict = field(default_factory=dict)
    pending: dict[str, PendingRequest] = field(default_factory=dict)
    _sp_metadata: list[str] = field(default_factory=list)
    # New at each start: the service provider caches fetched IdP metadata by URL and entity id
    # (in Redis, for hours), and a later run's IdP on the same port has another key.
    run: str = field(default_factory=lambda: secrets.token_hex(6))

    @property
    def entity_id(self) -> str:
        return f"{self.base_url}/metadata/{self.run}"

    @property
    def sso_url(self) -> str:
        return f"{self.base_url}/sso/redirect"

    def _server(self, entity_id: str | None = None) -> Server:
        config = {
            "entityid": entity_id or self.entity_id,
            "service": {
                "idp": {
                    "endpoints": {"single_sign_on_service": [(self.sso_url, BINDING_HTTP_REDIRECT)]},
                    "name_id_format": [NAMEID_FORMAT_EMAILADDRESS],
                    "want_authn_requests_signed": False,
                    "policy": {"default": {"lifetime": LIFETIME, "name_form": NAME_FORMAT_BASIC}},
                }
            },
            "key_file": str(self.key_file),
            "cert_file": str(self.cert_file),
            "xmlsec_binary": shutil.which("xmlsec1"),
            "metadata": {"inline": list(self._sp_metadata)},
            "allow_unknown_attributes": True,
        }
        idp_config = IdPConfig()
        idp_config.load(config)
        return Server(config=idp_config)

    def metadata_xml(self) -> str:
        return create_metadata_string(None, config=self._server().config, valid=24).decode()

    def trust_sp(self, metadata_xml: str) -> None:
        """Know a service provider (as an IdP administrator would upload the SP's metadata)."""
        self._sp_metadata.append(metadata_xml)

    def receive_request(self, saml_request: str, relay_state: str) -> str:
        parsed = self._server().parse_authn_request(saml_request, BINDING_HTTP_REDIRECT)
        message = parsed.message
        key = secrets.token_urlsafe(12)
        self.pending[key] = PendingRequest(
            request_id=message.id,
            acs_url=message.assertion_consumer_service_url,
            sp_entity_id=message.issuer.text,
            relay_state=relay_state,
        )
        return key

    def response_for(self, key: str, email: str) -> tuple[str, str, str]:
        """(ACS URL, base64 SAMLResponse, RelayState) answering the pending request as `email`."""
        pending = self.pending.pop(key)
        bad, self.next_response = self.next_response, {}
        server = self._server(entity_id=bad.get("issuer"))
        lifetime = {"minutes": -10} if bad.get("expired") else LIFETIME
        identity = {"email": [email], "uid": [email], **{k: [v] for k, v in self.attributes.get(email, {}).items()}}
        response = server.create_authn_response(
            identity,
            in_response_to=pending.request_id,
            destination=pending.acs_url,
            sp_entity_id=bad.get("audience", pending.sp_entity_id),
            name_id=NameID(format=NAMEID_FORMAT_EMAILADDRESS, text=email),
            authn={"class_ref": PASSWORD, "authn_auth": self.entity_id},
            release_policy=Policy({"default": {"lifetime": lifetime, "name_form": NAME_FORMAT_BASIC}}),
            sign_assertion=True,
            sign_response=False,
            # python3-saml refuses SHA-1 (rejectDeprecatedAlgorithm), pysaml2's default.
            sign_alg=SIG_RSA_SHA256,
            digest_alg=DIGEST_SHA256,
        )
        xml = str(response)
        if bad.get("tamper"):
            # Change the signed assertion after signing: someone else's address.
            xml = xml.replace(f">{email}<", f">{bad['tamper']}<")
        return pending.acs_url, base64.b64encode(xml.encode()).decode(), pending.relay_state


def _page(title: str, body: str) -> bytes:
    return (
        f'<!doctype html><html lang="en"><head><meta charset="utf-8"><title>{title}</title></head>'
        f"<body><main><h1>{title}</h1>{body}</main></body></html>"
    ).encode()


class _Handler(BaseHTTPRequestHandler):
    idp: SamlIdp

    def log_message(self, *args) -> None:  # quiet in the test output
        return

    def _send(self, status: int, body: bytes, content_type: str = "text/html; charset=utf-8") -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def do_GET(self) -> None:
        url = urlsplit(self.path)
        query = {k: v[0] for k, v in parse_qs(url.query).items()}
        if url.path == f"/metadata/{self.idp.run}":
            return self._send(200, self.idp.metadata_xml().encode(), "application/samlmetadata+xml")
        if url.path == "/sso/redirect" and "SAMLRequest" in query:
            try:
                key = self.idp.receive_request(query["SAMLRequest"], query.get("RelayState", ""))
            except Exception as error:  # an unparseable request: say so, as an IdP would
                return self._send(400, _page("Bad request", f"<p>{html.escape(str(error))}</p>"))
            form = (
                f'<form method="post" action="/sso/login"><input type="hidden" name="key" value="{key}">'
                '<label for="user">E-mail</label> <input id="user" name="user" type="email">'
                '<button type="submit">Sign in</button></form>'
            )
            return self._send(200, _page("Test IdP sign-in", form))
        return self._send(404, _page("Not found", ""))

    def do_POST(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        data = {k: v[0] for k, v in parse_qs(self.rfile.read(length).decode()).items()}
        if urlsplit(self.path).path != "/sso/login" or data.get("key") not in self.idp.pending:
            return self._send(400, _page("Bad request", ""))
        acs, saml_response, relay_state = self.idp.response_for(data["key"], data.get("user", ""))
        # The HTTP-POST binding: a form the browser submits to the service provider.
        form = (
            f'<form id="saml" method="post" action="{html.escape(acs)}">'
            f'<input type="hidden" name="SAMLResponse" value="{saml_response}">'
            f'<input type="hidden" name="RelayState" value="{html.escape(relay_state)}">'
            '<button type="submit">Continue</button></form>'
            "<script>document.getElementById('saml').submit()</script>"
        )
        return self._send(200, _page("Signing you in", form))


class running_idp:  # noqa: N801  (a context manager used like a function)
    """Start the IdP on a free loopback port; stop it and remove its key on exit."""

    def __enter__(self) -> SamlIdp:
        self._dir = tempfile.TemporaryDirectory(prefix="saml-idp-")
        handler = type("Handler", (_Handler,), {})
        self._httpd = ThreadingHTTPServer(("127.0.0.1", 0), handler)
        key_file, cert_file = make_key_and_certificate(Path(self._dir.name), "test-idp")
        handler.idp = SamlIdp(f"http://127.0.0.1:{self._httpd.server_port}", key_file, cert_file)
        self._thread = threading.Thread(target=self._httpd.serve_forever, daemon=True)
        self._thread.start()
        return handler.idp

    def __exit__(self, *exc) -> None:
        self._httpd.shutdown()
        self._httpd.server_close()
        self._dir.cleanup()
