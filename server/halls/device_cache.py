"""A hall's devices and their status, cached for the print job's answer.

Every kiosk ticket tells its kiosk at once whether a printer can take it (`X-Print-State`),
which needs the hall's devices and their status. They change when an agent connects or
leaves or a printer changes state, not with each ticket: this process forgets a hall's
rows when it changes them itself (`forget`) or hears a `device` event of the hall (another
process changed them), and every entry lives at most `TTL_S` (an agent's connection
recorded by another process publishes nothing).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import Any

TTL_S = 2.0

DeviceRow = tuple[str, str, dict[str, Any]]


class DeviceCache:
    """(name, kind, status) rows of each hall's devices by hall code, for `TTL_S` at most."""

    def __init__(self, ttl_s: float = TTL_S,
                 monotonic: Callable[[], float] = time.monotonic) -> None:
        self.ttl_s, self.monotonic = ttl_s, monotonic
        self._rows: dict[str, tuple[float, list[DeviceRow]]] = {}
        self._generation: dict[str, int] = {}
        self._lock = threading.Lock()

    def get(self, hall: str, load: Callable[[], list[DeviceRow]]) -> list[DeviceRow]:
        """The hall's rows, from `load` when not held or too old."""
        entry = self._rows.get(hall)
        if entry is not None and self.monotonic() - entry[0] <= self.ttl_s:
            return entry[1]
        generation = self._generation.get(hall, 0)
        rows = load()
        with self._lock:
            if self._generation.get(hall, 0) == generation:  # no change while loading
                self._rows[hall] = (self.monotonic(), rows)
        return rows

    def forget(self, hall: str) -> None:
        """The hall's devices changed: read them again next time."""
        with self._lock:
            self._generation[hall] = self._generation.get(hall, 0) + 1
            self._rows.pop(hall, None)

    def on_event(self, hall: str, event: dict[str, Any]) -> None:
        """Bus listener: a device of the hall changed (here or in another process)."""
        if event.get("type") in ("device", "resync"):
            self.forget(hall)
