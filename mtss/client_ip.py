"""The client's IP address, in one place: the access log, the login lockout and the rate limits.

Behind the documented TLS proxy every request comes from the proxy's address, and
anyone who reaches the app directly can send an `X-Forwarded-For` header of their
choosing. So the header is believed only when the request comes from a proxy the
deployment names (MTSS_TRUSTED_PROXIES: addresses or networks, comma-separated),
and then only the addresses those proxies appended: walking the header from the
right, the first address that is not a trusted proxy is the client (the left part
is whatever the client itself claimed). README, Security, "Client IP".
"""

from __future__ import annotations

import ipaddress
from functools import lru_cache

from django.conf import settings


@lru_cache(maxsize=8)
def _networks(proxies: tuple[str, ...]) -> tuple:
    return tuple(ipaddress.ip_network(p, strict=False) for p in proxies)


def _parse(value: str):
    try:
        return ipaddress.ip_address(value.strip())
    except ValueError:
        return None


def _trusted(address, networks) -> bool:
    return address is not None and any(address in network for network in networks)


def client_ip(request) -> str | None:
    remote = _parse(request.META.get("REMOTE_ADDR") or "")
    networks = _networks(tuple(settings.MTSS_TRUSTED_PROXIES))
    if not _trusted(remote, networks):
        return str(remote) if remote is not None else None
    hops = [h for h in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",") if h.strip()]
    for hop in reversed(hops):
        address = _parse(hop)
        if address is None:
            break  # a malformed hop: stop at the last address a trusted proxy vouched for
        if not _trusted(address, networks):
            return str(address)
        remote = address
    return str(remote)


def axes_client_ip(request) -> str | None:
    # django-axes calls this with the request (AXES_CLIENT_IP_CALLABLE).
    return client_ip(request)
