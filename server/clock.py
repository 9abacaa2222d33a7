"""An injectable clock: the core never reads the time any other way.

The crowd simulator plays a day at `--speed 60`, and the alert rules are tested with a
controlled clock, so every flow takes `now` from the `Clock` held by the app.
"""

from __future__ import annotations

import threading
import time
from datetime import UTC, datetime, timedelta
from typing import Protocol


class Clock(Protocol):
    """Something that tells the current time as an aware UTC datetime."""

    def now(self) -> datetime: ...


class SystemClock:
    """The wall clock."""

    def now(self) -> datetime:
        """Return the current time in UTC."""
        return datetime.now(UTC)


class ManualClock:
    """A clock that moves only when told to (tests)."""

    def __init__(self, start: datetime) -> None:
        if start.tzinfo is None:
            raise ValueError("ManualClock needs an aware datetime")
        self._now = start.astimezone(UTC)
        self._lock = threading.Lock()

    def now(self) -> datetime:
        """Return the clock's current time."""
        with self._lock:
            return self._now

    def set(self, when: datetime) -> None:
        """Jump to `when`."""
        with self._lock:
            self._now = when.astimezone(UTC)

    def advance(self, **delta: float) -> datetime:
        """Move forward by a timedelta given as keywords (minutes=5)."""
        with self._lock:
            self._now += timedelta(**delta)
            return self._now


class ScaledClock:
    """A clock that runs `speed` times faster than the wall clock from `start`.

    With `on_first_read` it shows `start` when first read (not when made), so a core that
    is slow to start still begins a simulated day at the time it was told.
    """

    def __init__(self, start: datetime, speed: float, *, on_first_read: bool = False) -> None:
        if speed <= 0:
            raise ValueError("speed must be positive")
        self._start = start.astimezone(UTC)
        self._speed = speed
        self._t0: float | None = None if on_first_read else time.monotonic()
        self._lock = threading.Lock()

    def now(self) -> datetime:
        """Return the scaled time."""
        if self._t0 is None:
            with self._lock:
                if self._t0 is None:
                    self._t0 = time.monotonic()
        return self._start + timedelta(seconds=(time.monotonic() - self._t0) * self._speed)
