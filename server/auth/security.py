"""Passwords (argon2), bearer tokens (random, stored hashed) and PII hashing (PIPL)."""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

_hasher = PasswordHasher()
# Verified against when the account does not exist, so timing does not tell who exists.
_DUMMY_HASH = _hasher.hash(secrets.token_hex(8))


def hash_password(password: str) -> str:
    """Return the argon2id hash of a password."""
    return _hasher.hash(password)


def verify_password(password: str, password_hash: str | None) -> bool:
    """True when the password matches the hash."""
    try:
        return _hasher.verify(password_hash or _DUMMY_HASH, password) and bool(password_hash)
    except (VerificationError, InvalidHashError):
        return False


def new_token() -> str:
    """A fresh bearer token (256 random bits)."""
    return secrets.token_urlsafe(32)


def token_digest(token: str) -> str:
    """The SHA-256 under which a token is stored."""
    return hashlib.sha256(token.encode()).hexdigest()


def pii_digest(value: str, pepper: str) -> str:
    """Keyed hash of an ID or phone number; the number itself is never stored (PIPL)."""
    normalized = "".join(value.split()).upper()
    return hmac.new(pepper.encode(), normalized.encode(), hashlib.sha256).hexdigest()


def new_ticket_id() -> str:
    """An unguessable ticket id (128 random bits), the key of the citizen's ticket page."""
    return secrets.token_urlsafe(16)


def rating_key(ticket_id: str, pepper: str) -> str:
    """The citizen's rating credential for one ticket (128 bits of an HMAC with the pepper).

    Only the ticket's holder gets it (the issue response, the printed QR code, the ticket
    page's address); knowing the ticket id alone (a counter, a screen) does not let one rate.
    """
    mac = hmac.new(pepper.encode(), f"rate:{ticket_id}".encode(), hashlib.sha256).digest()
    return base64.urlsafe_b64encode(mac[:16]).decode().rstrip("=")


def rating_key_ok(ticket_id: str, key: str | None, pepper: str) -> bool:
    """True when `key` is the rating credential of this ticket (constant-time compare)."""
    if not key:
        return False
    return hmac.compare_digest(rating_key(ticket_id, pepper).encode(),
                               key.encode("utf-8", "replace"))
