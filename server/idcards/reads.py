"""Recent ID-card reads per hall, for the kiosk and the help desk that poll for them.

A read arrives as a bus event `{"type": "idcard", "reader", "kiosks", "card", "id_hash",
"expired"}`, published by `flows.record_read` with the number already hashed. A log per
bus keeps the last few of each hall in memory for `TTL_S` seconds: a read is only useful
to the citizen standing at that reader now. `card` is a random reference, the only thing a
terminal is given; the hash never leaves the core. The hub never forwards these events to
any websocket (`server.events.hub.PRIVATE_TYPES`).
"""

from __future__ import annotations

import threading
import time
import weakref
from collections import deque
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from server.auth.principal import Principal
from server.events.bus import Event, EventBus

KEPT = 20
TTL_S = 120.0


@dataclass(frozen=True)
class CardRead:
    """One card placed on a reader, as the core keeps it (no number, no name)."""

    n: int
    hall: str
    reader: str  # the agent whose reader read it
    kiosks: tuple[str, ...]  # the kiosks that agent serves
    card: str  # random reference given to the terminal
    id_hash: str
    expired: bool
    at: str
    received: float  # monotonic seconds, for the TTL

    def public(self) -> dict[str, Any]:
        """What a terminal is shown: never the hash."""
        return {"n": self.n, "reader": self.reader, "card": self.card, "expired": self.expired,
                "at": self.at}


def may_use(reader: str, kiosks: Sequence[str], actor: Principal) -> bool:
    """A kiosk uses its own agent's reader; help-desk staff use every reader of the hall."""
    if actor.is_staff:
        return actor.has("staff", "operator", "admin")
    if actor.has("kiosk"):
        return reader == actor.name or actor.name in kiosks
    return False


def visible_to(read: CardRead, actor: Principal) -> bool:
    """Whether the actor may see and redeem this read."""
    return may_use(read.reader, read.kiosks, actor)


class CardLog:
    """The last card reads of every hall, numbered in arrival order."""

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self._lock = threading.Lock()
        self._clock = clock
        self._count = 0
        self._reads: dict[str, deque[CardRead]] = {}

    def __call__(self, hall: str, event: Event) -> None:
        """Bus listener: keep card reads."""
        if event.get("type") != "idcard" or not event.get("card") or not event.get("id_hash"):
            return
        with self._lock:
            self._count += 1
            self._reads.setdefault(hall, deque(maxlen=KEPT)).append(CardRead(
                n=self._count, hall=hall, reader=str(event.get("reader") or ""),
                kiosks=tuple(str(k) for k in event.get("kiosks") or ()),
                card=str(event["card"]), id_hash=str(event["id_hash"]),
                expired=bool(event.get("expired")), at=str(event.get("at") or ""),
                received=self._clock()))

    def _fresh(self, hall: str) -> list[CardRead]:
        cutoff = self._clock() - TTL_S
        return [r for r in self._reads.get(hall, ()) if r.received >= cutoff]

    def since(self, hall: str, after: int, actor: Principal,
              reader: str | None = None) -> dict[str, Any]:
        """Reads the actor may see after number `after`; a negative `after` learns the position."""
        with self._lock:
            if after < 0:
                return {"last": self._count, "cards": []}
            reads = [r.public() for r in self._fresh(hall) if r.n > after
                     and visible_to(r, actor) and (reader is None or r.reader == reader)]
            return {"last": self._count, "cards": reads}

    def get(self, hall: str, card: str, actor: Principal) -> CardRead | None:
        """A fresh read by its reference, if the actor may use it."""
        with self._lock:
            for read in self._fresh(hall):
                if read.card == card and visible_to(read, actor):
                    return read
        return None


_logs: weakref.WeakKeyDictionary[EventBus, CardLog] = weakref.WeakKeyDictionary()
_logs_lock = threading.Lock()


def card_log(bus: EventBus) -> CardLog:
    """The card log listening on this bus (attached on first use)."""
    with _logs_lock:
        log = _logs.get(bus)
        if log is None:
            log = _logs[bus] = CardLog()
            bus.add_listener(log)
        return log
