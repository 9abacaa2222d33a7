"""Settings of the links to outside systems (SMS gateway, WeChat, provincial 好差评 platform).

Which adapter runs is configuration, not code: a link without its URL is off. A real
gateway or the simulator is chosen by the URL alone, like a device's address.
"""

from __future__ import annotations

import base64
import binascii
import secrets
from functools import lru_cache

from pydantic import Field, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

# 32 bytes, base64: the AES-256-GCM key of the demo. Refused outside demo mode.
DEMO_PII_KEY = base64.b64encode(b"hallq-demo-pii-key-not-for-prod!").decode()


class IntegrationSettings(BaseSettings):
    """HALLQ_* settings of the outside links; insecure values are refused outside demo mode."""

    model_config = SettingsConfigDict(env_prefix="HALLQ_", extra="ignore")

    demo: bool = False
    # AES-256-GCM key (base64 of 32 bytes) for the phone numbers and WeChat openids kept
    # for 到号提醒 until the end of the day (PIPL: encrypted, time-limited).
    pii_key: str = DEMO_PII_KEY
    # HTTP SMS gateway: POST JSON {phone, content, sign, out_id}; off when unset.
    sms_url: str | None = None
    sms_key: str = ""
    sms_sign: str = "政务服务中心"
    # WeChat subscription messages: the API base (https://api.weixin.qq.com or a simulator).
    wechat_url: str | None = None
    wechat_appid: str = ""
    wechat_secret: str = ""
    wechat_template: str = ""
    # Provincial 好差评 platform: POST JSON records to {url}/records; off when unset.
    evaluation_platform_url: str | None = None
    evaluation_platform_key: str = ""
    # Outbox workers: seconds between sweeps, first retry delay (doubles), attempts, and
    # how old (seconds) the oldest unsent record may be before operators are warned.
    outbox_scan_s: float = Field(2.0, gt=0)
    outbox_backoff_s: float = Field(5.0, gt=0)
    outbox_backoff_max_s: float = Field(600.0, gt=0)
    notice_max_attempts: int = Field(6, ge=1)
    outbox_behind_s: float = Field(300.0, gt=0)
    http_timeout_s: float = Field(5.0, gt=0)

    @model_validator(mode="after")
    def _refuse_insecure(self) -> IntegrationSettings:
        try:
            key = base64.b64decode(self.pii_key, validate=True)
        except (binascii.Error, ValueError) as err:
            raise ValueError("HALLQ_PII_KEY must be base64") from err
        if len(key) != 32:
            raise ValueError("HALLQ_PII_KEY must be the base64 of 32 bytes (AES-256)")
        if not self.demo and self.pii_key == DEMO_PII_KEY and self.notices_configured:
            raise ValueError(
                "HALLQ_PII_KEY must be set to a secret key when SMS or WeChat notices are "
                f"configured (for example: {base64.b64encode(secrets.token_bytes(32)).decode()})")
        return self

    @property
    def notices_configured(self) -> bool:
        """True when at least one notice channel (SMS or WeChat) has its URL."""
        return bool(self.sms_url or self.wechat_url)

    @property
    def channels(self) -> list[str]:
        """The notice channels this deployment offers."""
        return [name for name, url in (("sms", self.sms_url), ("wechat", self.wechat_url))
                if url]


@lru_cache(maxsize=1)
def get_integration_settings() -> IntegrationSettings:
    """The process-wide integration settings, read once."""
    return IntegrationSettings()
