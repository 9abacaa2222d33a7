"""The event bus: flows publish after commit; the websocket hub listens.

In one process the fan-out is in memory. Listeners are called in the publishing thread
and must not block (the hub hands events to its event loop). Every delivered event is
stamped with its hall code and a per-hall sequence number (`seq`), so a screen can tell
that it is up to date; `server.events.redis_bus` carries events between processes.

A process only follows the halls it needs: whatever wants a hall's events from the other
processes (a held picture, a screen's or an agent's socket, a kiosk polling for card
reads) calls `follow(hall, owner)` and `unfollow(hall, owner)` when done. In memory every
event is local and following costs nothing.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Mapping
from typing import Any

log = logging.getLogger(__name__)

_ALWAYS = threading.Event()
_ALWAYS.set()

Event = dict[str, Any]
# An event as a flow publishes it: built by its type's builder in `server.events.schemas`.
Published = Mapping[str, Any]
Listener = Callable[[str, Event], None]


def stamp(hall: str, event: Published, seq: int | None) -> Event:
    """The event as listeners get it: with its hall and sequence number.

    A `window` event also names its window as `window`, like `call` and `ticket` events,
    so a device agent keys its serial LED boards by one field whatever the event.
    """
    out = {**event, "hall": hall, "seq": seq}
    if event.get("type") == "window" and "window" not in event:
        out["window"] = event.get("number")
    return out


class EventBus:
    """In-process publish/subscribe of hall events."""

    # True when other core processes see the events too (what is in memory must follow).
    shared = False

    def __init__(self) -> None:
        self._listeners: list[Listener] = []
        self._lock = threading.RLock()
        self._seq: dict[str, int] = {}

    def add_listener(self, listener: Listener) -> None:
        """Call `listener(hall_code, event)` for every event published."""
        with self._lock:
            self._listeners.append(listener)

    def remove_listener(self, listener: Listener) -> None:
        """Stop calling `listener`."""
        with self._lock:
            if listener in self._listeners:
                self._listeners.remove(listener)

    def publish(self, hall: str, event: Published) -> None:
        """Send one event of a hall to every listener; a failing listener is logged."""
        with self._lock:
            seq = self._seq[hall] = self._seq.get(hall, 0) + 1
            # Delivering under the lock keeps every listener's view in `seq` order.
            self.deliver(hall, stamp(hall, event, seq))

    def current_seq(self, hall: str) -> int:
        """The sequence number of the hall's last event (0 before the first)."""
        with self._lock:
            return self._seq.get(hall, 0)

    def follow(self, hall: str, owner: object) -> threading.Event:
        """Receive the hall's events from other processes while `owner` wants them.

        Returns an event set once they arrive (at once in memory). Idempotent per owner.
        """
        return _ALWAYS

    def unfollow(self, hall: str, owner: object) -> None:
        """`owner` no longer wants the hall's events."""

    def follow_for(self, hall: str, seconds: float) -> None:
        """Follow the hall for a while (a terminal polling for something published by
        another process, e.g. an ID-card read)."""

    async def followed(self, hall: str, owner: object, timeout: float = 5.0) -> bool:
        """`follow`, and wait (on the event loop) until the hall's events arrive."""
        return True

    async def start(self) -> None:
        """Begin receiving events from other processes (nothing to do in memory)."""

    def deliver(self, hall: str, event: Event) -> None:
        """Hand an event to the local listeners (also used by cross-process buses)."""
        listeners = list(self._listeners)
        for listener in listeners:
            try:
                listener(hall, event)
            except Exception:
                log.exception("event listener failed")

    async def stop(self) -> None:
        """Stop receiving events from other processes."""

    def close(self) -> None:
        """Release resources (nothing in memory)."""


class RecordingBus(EventBus):
    """A bus that also keeps what was published (tests and the crowd simulator)."""

    def __init__(self) -> None:
        super().__init__()
        self.events: list[tuple[str, Event]] = []

    def publish(self, hall: str, event: Published) -> None:
        """Record, then deliver."""
        self.events.append((hall, dict(event)))
        super().publish(hall, event)

    def of_type(self, kind: str) -> list[Event]:
        """The recorded events of one type."""
        return [e for _, e in self.events if e.get("type") == kind]
