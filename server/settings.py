"""Settings, read once from the environment (HALLQ_*) and the command line."""

from __future__ import annotations

import secrets
from datetime import datetime
from functools import lru_cache
from typing import Literal

from pydantic import Field, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from server.cpu import parse as parse_cpu

DEMO_PEPPER = "hallq-demo-pepper-not-for-production"


class Settings(BaseSettings):
    """Core settings; insecure values are refused outside demo mode."""

    model_config = SettingsConfigDict(env_prefix="HALLQ_", extra="ignore")

    database_url: str = "sqlite:///hallq.db"
    redis_url: str | None = None
    # HMAC key for hashing ID and phone numbers (PIPL: never stored in clear).
    pepper: str = DEMO_PEPPER
    token_ttl_hours: int = 12
    # Device tokens (kiosks, screens, agents, counter PCs) expire; rotate with `hallq device`.
    device_token_days: int = Field(365, ge=1, le=3650)
    # /metrics: a bearer token the scraper sends, and/or the addresses allowed to scrape.
    metrics_token: str | None = None
    metrics_allow: list[str] = []
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
    # Each hall's queue held in memory (server.tickets.picture). `auto`: on for SQLite (one
    # core process) and wherever the processes share an event bus (HALLQ_REDIS_URL); off
    # for several processes over PostgreSQL without one, which could not see each other's
    # changes.
    queue_in_memory: Literal["auto", "on", "off"] = "auto"
    # The CPU a core process runs on (server.cpu): `auto` claims one no other core process
    # holds, `off` leaves it to the scheduler, a number names one.
    cpu: str = "auto"

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
        parse_cpu(self.cpu)  # a clear error at start for a value that is not one
        return self


MIN_SECRET_LENGTH = 16


def weak_secrets(settings: Settings) -> list[str]:
    """What `hallq serve` refuses to start with outside demo mode, each with how to fix it."""
    if settings.demo:
        return []
    problems = []
    if settings.pepper == DEMO_PEPPER or len(settings.pepper) < MIN_SECRET_LENGTH:
        problems.append(
            f"HALLQ_PEPPER is the published default or shorter than {MIN_SECRET_LENGTH} "
            f"characters; set a secret one, e.g. HALLQ_PEPPER={secrets.token_hex(16)} "
            "(keep it: ID-number digests are made with it; see docs/security.md)")
    if settings.metrics_token is not None and len(settings.metrics_token) < MIN_SECRET_LENGTH:
        problems.append(f"HALLQ_METRICS_TOKEN is shorter than {MIN_SECRET_LENGTH} characters")
    return problems


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    """Return the process-wide settings."""
    return Settings()
