"""The event bus: flows publish after commit; the websocket hub listens.

In one process the fan-out is in memory. Listeners are called in the publishing thread
and must not block (the hub hands events to its event loop).
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from typing import Any

log = logging.getLogger(__name__)

Event = dict[str, Any]
Listener = Callable[[str, Event], None]


class EventBus:
    """In-process publish/subscribe of hall events."""

    def __init__(self) -> None:
        self._listeners: list[Listener] = []
        self._lock = threading.Lock()

    def add_listener(self, listener: Listener) -> None:
        """Call `listener(hall_code, event)` for every event published."""
        with self._lock:
            self._listeners.append(listener)

    def remove_listener(self, listener: Listener) -> None:
        """Stop calling `listener`."""
        with self._lock:
            if listener in self._listeners:
                self._listeners.remove(listener)

    def publish(self, hall: str, event: Event) -> None:
        """Send one event of a hall to every listener; a failing listener is logged."""
        self.deliver(hall, event)

    def deliver(self, hall: str, event: Event) -> None:
        """Hand an event to the local listeners (also used by cross-process buses)."""
        with self._lock:
            listeners = list(self._listeners)
        for listener in listeners:
            try:
                listener(hall, event)
            except Exception:
                log.exception("event listener failed")

    def close(self) -> None:
        """Release resources (nothing in memory)."""


class RecordingBus(EventBus):
    """A bus that also keeps what was published (tests and the crowd simulator)."""

    def __init__(self) -> None:
        super().__init__()
        self.events: list[tuple[str, Event]] = []

    def publish(self, hall: str, event: Event) -> None:
        """Record, then deliver."""
        self.events.append((hall, event))
        super().publish(hall, event)

    def of_type(self, kind: str) -> list[Event]:
        """The recorded events of one type."""
        return [e for _, e in self.events if e.get("type") == kind]
