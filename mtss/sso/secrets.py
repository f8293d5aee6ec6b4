"""Client secrets at rest: Fernet (AES-128-CBC + HMAC) under a key from the settings.

SSO_SECRETS_KEY (any string) is the key material; without it the key is derived from
SECRET_KEY, so rotating SECRET_KEY means re-entering the secrets (README, Single sign-on).
"""

from __future__ import annotations

import base64
import hashlib
import os

from cryptography.fernet import Fernet, InvalidToken
from django.conf import settings


class SecretUnavailable(Exception):
    """The stored secret cannot be read (another key) or its environment variable is unset."""


def _fernet() -> Fernet:
    material = settings.SSO_SECRETS_KEY or settings.SECRET_KEY
    # A fixed context string keeps this key apart from any other use of SECRET_KEY.
    digest = hashlib.sha256(b"mtss.sso.client-secret:" + material.encode()).digest()
    return Fernet(base64.urlsafe_b64encode(digest))


def encrypt_secret(plain: str) -> str:
    return _fernet().encrypt(plain.encode()).decode() if plain else ""


def decrypt_secret(token: str) -> str:
    if not token:
        return ""
    try:
        return _fernet().decrypt(token.encode()).decode()
    except InvalidToken:
        raise SecretUnavailable("the stored client secret was encrypted under another key: enter it again") from None


def client_secret(provider) -> str:
    """The provider's secret: from its environment variable when one is named, else the stored one."""
    if provider.client_secret_env:
        value = os.environ.get(provider.client_secret_env)
        if value is None:
            raise SecretUnavailable(f"environment variable {provider.client_secret_env} is not set")
        return value
    return decrypt_secret(provider.client_secret_encrypted)
