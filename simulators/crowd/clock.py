"""The simulator's view of the core's scaled clock."""

from __future__ import annotations

import asyncio
import time
from datetime import datetime, timedelta


class SimClock:
    """Scaled time, aligned with the core's clock by `align`."""

    def __init__(self, start: datetime, speed: float) -> None:
        self.speed = speed
        self._origin = start
        self._mono = time.monotonic()

    def align(self, core_now: datetime) -> None:
        """Make `now()` equal to the core's time just read."""
        self._origin, self._mono = core_now, time.monotonic()

    def now(self) -> datetime:
        """The current simulated time."""
        return self._origin + timedelta(seconds=(time.monotonic() - self._mono) * self.speed)

    def wall(self, sim_seconds: float) -> float:
        """Wall seconds for a span of simulated seconds."""
        return max(0.0, sim_seconds / self.speed)

    async def sleep(self, sim_seconds: float) -> None:
        """Sleep for simulated seconds."""
        await asyncio.sleep(self.wall(sim_seconds))

    async def sleep_until(self, when: datetime) -> None:
        """Sleep until a simulated time."""
        await asyncio.sleep(self.wall((when - self.now()).total_seconds()))
