"""What the links to outside systems share: their settings, PII encryption, outbox backoff."""

from server.integrations.backoff import next_attempt
from server.integrations.crypto import CipherUnavailable, PiiCipher
from server.integrations.settings import DEMO_PII_KEY, IntegrationSettings, get_integration_settings

__all__ = ["DEMO_PII_KEY", "CipherUnavailable", "IntegrationSettings", "PiiCipher",
           "get_integration_settings", "next_attempt"]
