"""API tokens: opaque, high-entropy strings stored only as SHA-256 hashes."""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass

TOKEN_PREFIX = "lbx_"


@dataclass(frozen=True)
class NewToken:
    """A freshly minted token; ``value`` is shown once and never stored."""

    value: str
    prefix: str
    digest: str


def mint_token() -> NewToken:
    value = TOKEN_PREFIX + secrets.token_urlsafe(32)
    return NewToken(value=value, prefix=value[: len(TOKEN_PREFIX) + 6], digest=hash_token(value))


def mint_secret() -> str:
    """A random secret (identity headers, browser codes) that is not itself an API token."""
    return secrets.token_urlsafe(32)


def hash_token(value: str) -> str:
    # A fast hash is right here: tokens carry 256 bits of entropy, so there is nothing to brute-force.
    return hashlib.sha256(value.encode()).hexdigest()


def sign_scoped_token(key: bytes, scope: str, expires_at: int) -> str:
    """A short-lived token for one ``scope`` (an endpoint's ``aml_token``), checkable without a database."""
    message = f"{scope}.{expires_at}"
    return f"{message}.{hmac.new(key, message.encode(), hashlib.sha256).hexdigest()}"


def verify_scoped_token(key: bytes, scope: str, token: str, now: float) -> bool:
    """The token was signed with ``key`` for ``scope`` and has not expired."""
    message, _, signature = token.rpartition(".")
    token_scope, _, expires_at = message.rpartition(".")
    expected = hmac.new(key, message.encode(), hashlib.sha256).hexdigest()
    if not hmac.compare_digest(signature, expected) or token_scope != scope:
        return False
    return expires_at.isdigit() and int(expires_at) > now
