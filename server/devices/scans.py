"""Recent scanner reads per hall, for kiosks that poll instead of holding a websocket.

The agent's scanner arrives as a bus event `{"type": "scan", "device", "code"}`. A log per
bus keeps the last few of each hall in memory (scans are only useful for seconds).
"""

from __future__ import annotations

import threading
import weakref
from collections import deque
from typing import Any

from server.events.bus import Event, EventBus

KEPT = 20


class ScanLog:
    """The last scans of every hall, numbered in arrival order."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._count = 0
        self._scans: dict[str, deque[dict[str, Any]]] = {}

    def __call__(self, hall: str, event: Event) -> None:
        """Bus listener: keep scan events."""
        if event.get("type") != "scan" or not event.get("code"):
            return
        with self._lock:
            self._count += 1
            self._scans.setdefault(hall, deque(maxlen=KEPT)).append(
                {"n": self._count, "device": event.get("device"), "code": str(event["code"])})

    def since(self, hall: str, after: int) -> dict[str, Any]:
        """Scans of a hall after number `after`; a negative `after` only learns the position."""
        with self._lock:
            if after < 0:
                return {"last": self._count, "scans": []}
            scans = [s for s in self._scans.get(hall, ()) if s["n"] > after]
            return {"last": self._count, "scans": scans}


_logs: weakref.WeakKeyDictionary[EventBus, ScanLog] = weakref.WeakKeyDictionary()
_logs_lock = threading.Lock()


def scan_log(bus: EventBus) -> ScanLog:
    """The scan log listening on this bus (attached on first use)."""
    with _logs_lock:
        log = _logs.get(bus)
        if log is None:
            log = _logs[bus] = ScanLog()
            bus.add_listener(log)
        return log
