"""The client IP behind the proxy, and a lockout nobody can turn against another user.

Issue 16, web hardening: behind the TLS proxy every request had the proxy's address, so
the access log recorded the proxy and five wrong passwords from anywhere locked a
principal out (django-axes counts per username + IP). mtss.client_ip believes
X-Forwarded-For only from MTSS_TRUSTED_PROXIES.
"""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml
from django.test import RequestFactory
from django.urls import reverse

from mtss.client_ip import client_ip
from mtss.models import AccessLog
from mtss.tenancy import tenant_context
from tests.factories import PASSWORD

ROOT = Path(__file__).resolve().parents[2]
PROXY = "10.0.0.5"


def _ip(remote: str, forwarded: str | None = None) -> str | None:
    headers = {"REMOTE_ADDR": remote}
    if forwarded is not None:
        headers["HTTP_X_FORWARDED_FOR"] = forwarded
    return client_ip(RequestFactory().get("/", **headers))


def test_it_ignores_x_forwarded_for_from_an_untrusted_peer(settings):
    settings.MTSS_TRUSTED_PROXIES = [PROXY]
    assert _ip("198.51.100.9", "203.0.113.7") == "198.51.100.9"
    settings.MTSS_TRUSTED_PROXIES = []
    assert _ip(PROXY, "203.0.113.7") == PROXY


def test_it_takes_the_address_the_trusted_proxy_appended(settings):
    settings.MTSS_TRUSTED_PROXIES = [PROXY, "172.28.0.0/24"]
    assert _ip(PROXY, "203.0.113.7") == "203.0.113.7"
    # A client-supplied address on the left is not believed; proxies on the right are skipped.
    assert _ip(PROXY, "1.2.3.4, 203.0.113.7, 172.28.0.3") == "203.0.113.7"
    assert _ip(PROXY, "garbage, 203.0.113.7") == "203.0.113.7"
    assert _ip(PROXY, "") == PROXY


@pytest.mark.django_db
def test_the_access_log_records_the_client_not_the_proxy(world, client, settings):
    settings.MTSS_TRUSTED_PROXIES = [PROXY]
    client.force_login(world.a.district_admin)
    client.get("/students/", REMOTE_ADDR=PROXY, HTTP_X_FORWARDED_FOR="203.0.113.7")
    with tenant_context(world.a.district):
        assert AccessLog.objects.get(district=world.a.district).ip_address == "203.0.113.7"


@pytest.mark.django_db
def test_wrong_passwords_from_one_address_do_not_lock_the_user_out_elsewhere(world, client, settings):
    settings.MTSS_TRUSTED_PROXIES = [PROXY]
    user = world.a.principal
    attacker = {"REMOTE_ADDR": PROXY, "HTTP_X_FORWARDED_FOR": "203.0.113.66"}
    for _ in range(settings.AXES_FAILURE_LIMIT):
        client.post(reverse("login"), {"username": user.username, "password": "guess"}, **attacker)
    locked = client.post(reverse("login"), {"username": user.username, "password": PASSWORD}, **attacker)
    assert locked.status_code == 429
    response = client.post(
        reverse("login"),
        {"username": user.username, "password": PASSWORD},
        REMOTE_ADDR=PROXY,
        HTTP_X_FORWARDED_FOR="198.51.100.20",
    )
    assert response.status_code == 302 and response["Location"] == "/"


@pytest.mark.django_db
def test_it_throttles_failed_sign_ins_per_address_across_usernames(world, client, settings):
    settings.LOGIN_RATE_PER_IP = "3/m"
    for role in ("teacher", "principal", "counselor"):
        response = client.post(reverse("login"), {"username": world.a.users[role].username, "password": "x"})
        assert response.status_code == 200
    user = world.a.district_admin
    throttled = client.post(reverse("login"), {"username": user.username, "password": PASSWORD})
    assert throttled.status_code == 429
    assert "Too many failed sign-ins from your network" in throttled.content.decode()
    assert int(throttled["Retry-After"]) > 0
    other = client.post(
        reverse("login"), {"username": user.username, "password": PASSWORD}, REMOTE_ADDR="198.51.100.20"
    )
    assert other.status_code == 302


def test_compose_publishes_only_the_proxy_and_trusts_only_it():
    compose = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
    services = compose["services"]
    published = {name for name, service in services.items() if service.get("ports")}
    assert published == {"proxy"}
    proxy_ip = services["proxy"]["networks"]["default"]["ipv4_address"]
    web = services["web"]
    assert web["environment"]["MTSS_TRUSTED_PROXIES"] == proxy_ip
    assert web["environment"]["FORWARDED_ALLOW_IPS"] == proxy_ip
    assert "forwarded-allow-ips" not in web["command"]
    assert '"*"' not in (ROOT / "Dockerfile").read_text()
