"""Content-Security-Policy: Django's middleware, no inline script or style attribute
in our pages (issue 16, web hardening: headers)."""

from __future__ import annotations

import re

import pytest

pytestmark = pytest.mark.django_db

INLINE_SCRIPT = re.compile(r"<script(?![^>]*\bsrc=)[^>]*>", re.I)
STYLE_ATTRIBUTE = re.compile(r"<(?!svg\b|rect\b|text\b|line\b|path\b|g\b|circle\b|polyline\b)[a-z][^>]*\sstyle=", re.I)
STYLE_WITHOUT_NONCE = re.compile(r"<style(?![^>]*\bnonce=)[^>]*>", re.I)


def _policy(response) -> dict[str, str]:
    header = response["Content-Security-Policy"]
    return {part.strip().split(" ", 1)[0]: part.strip() for part in header.split(";") if part.strip()}


def test_it_sends_a_policy_without_inline_scripts(world, login):
    response = login(world.a.district_admin).get("/")
    policy = _policy(response)
    assert policy["default-src"] == "default-src 'self'"
    assert policy["script-src"] == "script-src 'self'"
    assert "'unsafe-inline'" not in policy["style-src"]
    assert policy["frame-ancestors"] == "frame-ancestors 'none'"
    assert policy["object-src"] == "object-src 'none'"


@pytest.mark.parametrize("url", ["/", "/students/", "/screening/", "/notices/", "/notices/print/", "/accounts/login/"])
def test_our_pages_need_no_inline_script_or_style(world, login, url):
    response = login(world.a.district_admin).get(url)
    assert response.status_code == 200
    html = response.content.decode()
    assert INLINE_SCRIPT.findall(html) == []
    assert STYLE_ATTRIBUTE.findall(html) == []
    assert STYLE_WITHOUT_NONCE.findall(html) == []


def test_the_api_docs_load_their_start_up_script_from_a_file(world, login):
    response = login(world.a.district_admin).get("/api/docs/")
    assert response.status_code == 200
    assert INLINE_SCRIPT.findall(response.content.decode()) == []
    assert _policy(response)["script-src"] == "script-src 'self'"
