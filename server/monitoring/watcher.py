"""Scans every hall's alert rules in the background, so the log is complete even when no
dashboard is open (the dashboard also scans whenever it loads)."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from functools import lru_cache

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

from server.core import Core
from server.monitoring import alerts

log = logging.getLogger(__name__)


class MonitoringSettings(BaseSettings):
    """Monitoring settings (HALLQ_ALERT_SCAN_S: seconds between scans; 0 turns it off)."""

    model_config = SettingsConfigDict(env_prefix="HALLQ_", extra="ignore")

    alert_scan_s: float = Field(30.0, ge=0)


@lru_cache(maxsize=1)
def get_monitoring_settings() -> MonitoringSettings:
    """The process-wide monitoring settings, read once."""
    return MonitoringSettings()


class AlertWatcher:
    """A task on the app's event loop that runs `alerts.scan_all` every `interval` seconds."""

    def __init__(self, core: Core, interval: float | None = None) -> None:
        self.core = core
        self.interval = get_monitoring_settings().alert_scan_s if interval is None else interval
        self._task: asyncio.Task[None] | None = None
        self.scans = 0

    async def start(self) -> None:
        """Start scanning (no-op when the interval is 0)."""
        if self.interval > 0 and self._task is None:
            self._task = asyncio.create_task(self._run(), name="hallq-alert-watcher")

    async def stop(self) -> None:
        """Stop scanning."""
        task, self._task = self._task, None
        if task is not None:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task

    async def _run(self) -> None:
        while True:
            await asyncio.sleep(self.interval)
            try:
                await asyncio.to_thread(alerts.scan_all, self.core)
                self.scans += 1
            except Exception:  # the watcher outlives a bad scan
                log.exception("alert scan failed")


__all__ = ["AlertWatcher", "MonitoringSettings", "get_monitoring_settings"]
