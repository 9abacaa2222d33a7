"""Encryption of the personal data a link must use again later (PIPL).

A phone number kept for 到号提醒 must be read back to send the SMS, so it cannot be
hashed; it is sealed with AES-256-GCM under HALLQ_PII_KEY, bound to its row by the
associated data (a sealed value copied to another row does not open), and erased at the
end of the day. Only the notice sender opens it.
"""

from __future__ import annotations

import base64
import os

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from server.integrations.settings import DEMO_PII_KEY, IntegrationSettings

_NONCE = 12


class CipherUnavailable(Exception):
    """The key is the demo key outside demo mode, or a sealed value does not open."""


class PiiCipher:
    """Seal and open short personal values with AES-256-GCM."""

    def __init__(self, key: bytes) -> None:
        if len(key) != 32:
            raise CipherUnavailable("the PII key must be 32 bytes")
        self._aead = AESGCM(key)

    @classmethod
    def from_settings(cls, settings: IntegrationSettings) -> PiiCipher:
        """The cipher under HALLQ_PII_KEY; the demo key works only in demo mode."""
        if settings.pii_key == DEMO_PII_KEY and not settings.demo:
            raise CipherUnavailable("HALLQ_PII_KEY is the demo key; set a secret key")
        return cls(base64.b64decode(settings.pii_key))

    def seal(self, value: str, *, bound_to: str) -> str:
        """Nonce and ciphertext, base64; `bound_to` names the row it belongs to."""
        nonce = os.urandom(_NONCE)
        sealed = self._aead.encrypt(nonce, value.encode(), bound_to.encode())
        return base64.b64encode(nonce + sealed).decode()

    def open(self, sealed: str, *, bound_to: str) -> str:
        """The value sealed for `bound_to`."""
        try:
            raw = base64.b64decode(sealed)
            return self._aead.decrypt(raw[:_NONCE], raw[_NONCE:], bound_to.encode()).decode()
        except (InvalidTag, ValueError) as err:
            raise CipherUnavailable("the sealed value does not open with this key") from err
