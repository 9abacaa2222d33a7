"""The event bus: flows publish after commit; the websocket hub listens.

In one process the fan-out is in memory. Listeners are called in the publishing thread
and must not block (the hub hands events to its event loop). Every delivered event is
stamped with its hall code and a per-hall sequence number (`seq`), so a screen can tell
that it is up to date; `server.events.redis_bus` carries events between processes.

A flow run by `Database.run_write` does not publish as it goes: its events are collected
in a *batch* (a context variable, so it works on a worker thread and in a greenlet alike)
and handed to the bus together once the flow has ended and the writer is free for the
next flow, on the event loop (`Batch`, `EventBus.release`). Batches go out in the order
their flows committed (a batch takes its place as its flow first commits), each flow's
events in the order it published them. Anything publishing outside `run_write` (sync
routes, workers, tests calling flows directly) is sent at once, as before.

A process only follows the halls it needs: whatever wants a hall's events from the other
processes (a held picture, a screen's or an agent's socket, a kiosk polling for card
reads) calls `follow(hall, owner)` and `unfollow(hall, owner)` when done. In memory every
event is local and following costs nothing.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import threading
from collections import deque
from collections.abc import Callable, Iterator, Mapping
from contextvars import ContextVar
from typing import Any

log = logging.getLogger(__name__)

_ALWAYS = threading.Event()
_ALWAYS.set()

Event = dict[str, Any]
# An event as a flow publishes it: built by its type's builder in `server.events.schemas`.
Published = Mapping[str, Any]
Listener = Callable[[str, Event], None]


class Batch:
    """The events of one flow, published together after it ends (`EventBus.batch`)."""

    __slots__ = ("bus", "ended", "events", "loop", "queued", "sent")

    def __init__(self, bus: EventBus) -> None:
        self.bus = bus
        self.events: list[tuple[str, Published]] = []
        self.queued = False  # has its place in the bus's outbox
        self.ended = False  # the flow is over: nothing more will be added
        # Set when the awaiting coroutine went away before the flow ended: whoever ends
        # it asks this loop to send it.
        self.loop: asyncio.AbstractEventLoop | None = None
        # Done once the events are out (set by a bus that sends them asynchronously).
        self.sent: asyncio.Future[None] | None = None


# The batch of the flow running in this context (thread, greenlet or task), if any.
_current: ContextVar[Batch | None] = ContextVar("hallq_event_batch", default=None)


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
        # Batches in commit order; only the ended ones at the head may go out.
        self._outbox: deque[Batch] = deque()
        self._outbox_lock = threading.Lock()
        # True while whole batches are being delivered on the event loop (`send_batches`).
        self.batching = False

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
        """Publish one event of a hall: into the running flow's batch if it has one,
        otherwise at once."""
        batch = _current.get()
        if batch is not None and batch.bus is self and not batch.ended:
            batch.events.append((hall, event))
            return
        self.send(hall, event)

    def send(self, hall: str, event: Published) -> None:
        """Send one event of a hall to every listener now; a failing listener is logged."""
        with self._lock:
            seq = self._seq[hall] = self._seq.get(hall, 0) + 1
            # Delivering under the lock keeps every listener's view in `seq` order.
            self.deliver(hall, stamp(hall, event, seq))

    def current_seq(self, hall: str) -> int:
        """The sequence number of the hall's last event (0 before the first)."""
        with self._lock:
            return self._seq.get(hall, 0)

    # --- batches (one per flow run by `Database.run_write`) ------------------------------

    def batch(self) -> Batch:
        """A new, empty batch for one flow."""
        return Batch(self)

    @contextlib.contextmanager
    def collecting(self, batch: Batch) -> Iterator[None]:
        """Collect what is published in this context into `batch` (entered where the
        flow runs: the writer thread, a worker thread or a greenlet). On the way out the
        batch is ended and ready to be sent (`release`)."""
        token = _current.set(batch)
        try:
            yield
        finally:
            _current.reset(token)
            self._end(batch)

    def committing(self, _session: object = None) -> None:
        """Session hook, before each COMMIT: the running flow's batch takes its place in
        the outbox now, so batches go out in the order their flows committed."""
        batch = _current.get()
        if batch is not None and batch.bus is self:
            self._enqueue(batch)

    def _enqueue(self, batch: Batch) -> None:
        with self._outbox_lock:
            if not batch.queued:
                batch.queued = True
                self._outbox.append(batch)

    def _end(self, batch: Batch) -> None:
        if batch.events:
            self._enqueue(batch)  # no commit (or not through a session): place it now
        with self._outbox_lock:
            batch.ended = True
            loop = batch.loop
        if loop is not None:  # its coroutine is gone: send it from that loop
            with contextlib.suppress(RuntimeError):  # the loop closed: nobody listens
                loop.call_soon_threadsafe(self.send_ready)

    def _take_ready(self) -> list[Batch]:
        """Take the ended batches at the head of the outbox, in order."""
        ready: list[Batch] = []
        with self._outbox_lock:
            while self._outbox and self._outbox[0].ended:
                ready.append(self._outbox.popleft())
        return ready

    def send_ready(self) -> None:
        """Send every batch whose turn has come (on the event loop)."""
        ready = self._take_ready()
        if ready:
            self.send_batches(ready)

    def send_batches(self, batches: list[Batch]) -> None:
        """Send whole batches, in order (in memory: delivered here, at once)."""
        self.batching = True  # listeners on the loop may hold their writes till it ends
        try:
            for batch in batches:
                for hall, event in batch.events:
                    self.send(hall, event)
        finally:
            self.batching = False

    async def release(self, batch: Batch) -> None:
        """After the flow of `batch` ended: send it (and those before it), on the loop."""
        self.send_ready()

    def abandon(self, batch: Batch) -> None:
        """The coroutine waiting for the flow of `batch` was cancelled: the batch goes out
        when the flow ends, on this event loop."""
        with self._outbox_lock:
            if not batch.ended:
                batch.loop = asyncio.get_running_loop()
                return
        self.send_ready()

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
