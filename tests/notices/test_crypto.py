"""The phone number kept for notices: sealed with AES-GCM, bound to its row, key refused
when it is the demo key outside demo mode."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from server.integrations import DEMO_PII_KEY, CipherUnavailable, IntegrationSettings, PiiCipher
from tests.notices.conftest import KEY


def test_seal_and_open_round_trip_and_binding() -> None:
    cipher = PiiCipher.from_settings(IntegrationSettings(pii_key=KEY))
    sealed = cipher.seal("13800138000", bound_to="ticket-a")
    assert "13800138000" not in sealed
    assert cipher.seal("13800138000", bound_to="ticket-a") != sealed  # a fresh nonce each time
    assert cipher.open(sealed, bound_to="ticket-a") == "13800138000"
    with pytest.raises(CipherUnavailable):
        cipher.open(sealed, bound_to="ticket-b")  # moved to another row: does not open
    other = PiiCipher.from_settings(IntegrationSettings(pii_key=DEMO_PII_KEY, demo=True))
    with pytest.raises(CipherUnavailable):
        other.open(sealed, bound_to="ticket-a")  # another key


def test_demo_key_refused_outside_demo_mode() -> None:
    with pytest.raises(CipherUnavailable):
        PiiCipher.from_settings(IntegrationSettings(demo=False))
    assert PiiCipher.from_settings(IntegrationSettings(demo=True)) is not None
    with pytest.raises(ValidationError, match="HALLQ_PII_KEY"):
        IntegrationSettings(demo=False, sms_url="http://127.0.0.1:1/sms")
    with pytest.raises(ValidationError, match="32 bytes"):
        IntegrationSettings(pii_key="c2hvcnQ=")
    assert IntegrationSettings(demo=False, sms_url="http://x/sms", pii_key=KEY).channels == ["sms"]
