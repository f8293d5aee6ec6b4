"""Test mode is explicit: the production settings stay production settings in a
process that happens to import pytest (issue 11, "Explicit test mode")."""

import json
import os
import subprocess
import sys
from pathlib import Path

from django.conf import settings

ROOT = Path(__file__).resolve().parent.parent

# Imports pytest first, as any production code might, then loads mtss.settings.
PROBE = """
import json
import pytest  # noqa: F401
import django
from django.conf import settings
django.setup()
print(json.dumps({
    "testing": settings.TESTING,
    "hashers": settings.PASSWORD_HASHERS,
    "session_cookie_secure": settings.SESSION_COOKIE_SECURE,
    "csrf_cookie_secure": settings.CSRF_COOKIE_SECURE,
    "ssl_redirect": settings.SECURE_SSL_REDIRECT,
    "secret_key": settings.SECRET_KEY,
}))
"""


def _production_env(**extra):
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PYTEST", "DJANGO_", "MTSS_TESTING"))}
    env.update(DJANGO_SETTINGS_MODULE="mtss.settings", **extra)
    return env


def test_importing_pytest_does_not_switch_production_to_test_settings():
    secret = "production-secret-" + "k" * 40
    result = subprocess.run(
        [sys.executable, "-c", PROBE], cwd=ROOT, env=_production_env(SECRET_KEY=secret), capture_output=True, text=True
    )
    assert result.returncode == 0, result.stderr
    seen = json.loads(result.stdout.strip().splitlines()[-1])
    assert seen["testing"] is False
    assert "django.contrib.auth.hashers.MD5PasswordHasher" not in seen["hashers"]
    assert seen["hashers"][0] == "django.contrib.auth.hashers.PBKDF2PasswordHasher"
    assert seen["session_cookie_secure"] is True
    assert seen["csrf_cookie_secure"] is True
    assert seen["ssl_redirect"] is True
    assert seen["secret_key"] == secret


def test_importing_pytest_without_a_secret_key_still_refuses_to_start():
    result = subprocess.run(
        [sys.executable, "-c", PROBE], cwd=ROOT, env=_production_env(SECRET_KEY=""), capture_output=True, text=True
    )
    assert result.returncode != 0
    assert "SECRET_KEY must be set" in result.stderr


def test_the_suite_runs_under_the_test_settings():
    assert os.environ["DJANGO_SETTINGS_MODULE"] == "mtss.settings_test"
    assert settings.TESTING is True
    assert settings.PASSWORD_HASHERS == ["django.contrib.auth.hashers.MD5PasswordHasher"]
