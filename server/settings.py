"""Settings, read once from the environment (HALLQ_*) and the command line."""

from __future__ import annotations

import secrets
from datetime import datetime
from functools import lru_cache

from pydantic import Field, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

DEMO_PEPPER = "hallq-demo-pepper-not-for-production"


class Settings(BaseSettings):
    """Core settings; insecure values are refused outside demo mode."""

    model_config = SettingsConfigDict(env_prefix="HALLQ_", extra="ignore")

    database_url: str = "sqlite:///hallq.db"
    redis_url: str | None = None
    # HMAC key for hashing ID and phone numbers (PIPL: never stored in clear).
    pepper: str = DEMO_PEPPER
    token_ttl_hours: int = 12
    demo: bool = False
    demo_password: str = "demo"
    public_url: str = "http://127.0.0.1:8000"
    db_pool_size: int = 20
    # The crowd simulator plays a day compressed: the core's clock runs `clock_speed` times
    # faster than the wall clock from `clock_start` (default: now). 1 = the system clock.
    clock_speed: float = Field(1.0, gt=0)
    clock_start: datetime | None = None
    # Page packages served by the core, as `module:router` (the terminals by default).
    pages: list[str] = Field(default_factory=lambda: ["terminals.router:router"])
    # One log line per request (uvicorn's access log) only when a hall asks for it.
    access_log: bool = False

    @model_validator(mode="after")
    def _refuse_insecure(self) -> Settings:
        if not self.demo and self.pepper == DEMO_PEPPER and not self.database_url.startswith(
            "sqlite"
        ):
            raise ValueError(
                "HALLQ_PEPPER must be set to a secret value for a shared database "
                f"(for example: {secrets.token_hex(16)})"
            )
        if self.clock_start is not None and self.clock_start.tzinfo is None:
            raise ValueError("HALLQ_CLOCK_START needs an offset, e.g. 2026-11-23T08:00:00+08:00")
        return self


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    """Return the process-wide settings."""
    return Settings()
