"""Invitation tokens, short codes and magic links: random, shown once, stored hashed."""

from __future__ import annotations

import hashlib
import secrets

# No 0/O, 1/I/L: a code is read off paper and typed on a phone.
CODE_ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"
CODE_LENGTH = 10  # 31**10, about 2**49: guessing is hopeless under the sign-in rate limit


def new_token() -> str:
    return secrets.token_urlsafe(32)


def new_code() -> str:
    raw = "".join(secrets.choice(CODE_ALPHABET) for _ in range(CODE_LENGTH))
    return f"{raw[:5]}-{raw[5:]}"


def normalize_code(code: str) -> str:
    return "".join(ch for ch in (code or "").upper() if ch in CODE_ALPHABET)


def digest(value: str) -> str:
    return hashlib.sha256(value.encode()).hexdigest()


def code_digest(code: str) -> str:
    # A prefix keeps a code's hash apart from a token's, which share the lookup column setting.
    return digest("code:" + normalize_code(code))


def email_digest(email: str) -> str:
    return digest("email:" + (email or "").strip().lower())
