"""The websocket hub: fans each hall's events out to its screens, counters and monitors.

Flows publish on the bus from worker threads; the hub moves the events onto its event
loop (one wake-up for a burst, not one per event), encodes each once as a websocket frame
and, in the same pass, writes that frame to the socket of every connection that wants it
(`server.events.wire`): no task runs per screen per message. A connection is written
directly while it keeps up: its snapshot is out, nothing is queued for it and its socket
took everything written so far. Otherwise (and on servers the hub cannot write to
directly) events wait in the connection's bounded queue for its sender task, in `seq`
order, a newer waiting count replacing an older one.

A connection that cannot keep up never slows the others and is never waited for: when
its queue is full, the queue is emptied and the connection is sent a fresh snapshot
instead (drop and resync); one whose socket accepts nothing for `send_timeout` seconds is
closed, and the screen reconnects.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import threading
import time
from collections.abc import Awaitable, Callable, Hashable, Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any, TypeVar

from starlette.websockets import WebSocket, WebSocketState

from server.core import Core
from server.events import snapshots
from server.events.bus import Event
from server.events.redis_bus import RESYNC_HALL
from server.events.wire import Cork, Wire, text_frame

log = logging.getLogger(__name__)

T = TypeVar("T")
Message = Mapping[str, Any]
Producer = Callable[[], Awaitable[Message | None]]


class _Marker:
    def __init__(self, name: str) -> None:
        self.name = name

    def __repr__(self) -> str:
        return self.name


RESYNC = _Marker("RESYNC")
REFRESH = _Marker("REFRESH")
# An event to send: [seq, text]; text None once a newer event made it pointless.
Item = list[Any] | _Marker
# What an event means to a connection: (text, frame) to send it as, or (None, None); and
# whether it calls for a refresh.
Choice = tuple[str | None, bytes | None, bool]
# Events that carry a whole state, so only the newest one queued needs sending.
SUPERSEDED = frozenset({"queue"})
# Events for the core's own listeners only, never sent on any websocket: a card read
# carries an ID hash and the reference a kiosk redeems (server/idcards/reads.py).
SWEEP_S = 60.0  # how often idle hall pictures are dropped (`Pictures.sweep`)
PRIVATE_TYPES = frozenset({"idcard"})


def encode(message: Message) -> str:
    """Compact JSON with Chinese kept as UTF-8."""
    return json.dumps(message, ensure_ascii=False, separators=(",", ":"), default=str)


def event_window(event: Event) -> str | None:
    """The window number an event is about, if any."""
    if event.get("type") == "window":
        return str(event.get("number"))
    window = event.get("window")
    return None if window is None else str(window)


@dataclass(eq=False)
class Subscription:
    """One connection's interest in a hall and its bounded queue of outgoing messages.

    Connections with the same `route` (not None) decide alike on every event — whether it
    is sent, as what text, and whether it calls for a refresh — so the hub asks one of them
    per event and hands the answer to all (a thousand hall screens: one decision, not a
    thousand). None: this connection decides alone (a citizen's ticket page).
    """

    hall: str
    accepts: Callable[[Event], bool]
    refresh_on: Callable[[Event], bool] | None = None
    maxsize: int = 256
    route: Hashable | None = None
    queue: asyncio.Queue[Item] = field(init=False)
    resyncs: int = 0
    refresh_pending: bool = False
    # The socket, once events may be written to it directly (set by the hub's sender).
    wire: Wire | None = None
    live: bool = False
    written: int = 0  # events written directly to the socket
    # The hall's events from other processes arrived before the snapshot was built.
    followed: bool = False
    started: bool = False  # its snapshot is being (or was) built
    _latest: dict[str, list[Any]] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.queue = asyncio.Queue(self.maxsize)

    def choose(self, event: Event, text: str, frame: bytes | None) -> Choice:
        """What an event means to this connection: the text and frame to send it as (None
        when it is not sent), and whether it calls for a refresh."""
        refresh = self.refresh_on is not None and self.refresh_on(event)
        if self.accepts(event):
            return text, frame, refresh
        return None, None, refresh

    def offer(self, event: Event, text: str, frame: bytes | None = None) -> None:
        """Send or queue an event if this connection wants it (never blocks).

        `frame` is `text` as a websocket frame, shared by every connection it goes to.
        """
        self.take(event, self.choose(event, text, frame))

    def take(self, event: Event, choice: Choice) -> None:
        """Act on what `choose` (this connection's, or its route's) made of an event."""
        text, frame, refresh = choice
        if text is not None:
            wire = self.wire
            if self.live and wire is not None:
                if wire.put(text_frame(text) if frame is None else frame):
                    self.written += 1
                    text = None
                else:
                    # The kernel took less than all we wrote: this screen is behind. Never
                    # wait for it: queue from here on, where older waiting counts are
                    # superseded, the sender catches it up and a full queue resyncs it.
                    self.live = False
            if text is not None:
                self._enqueue(event, text)
        if refresh and not self.refresh_pending:
            self.refresh_pending = True
            self._put(REFRESH)

    def _enqueue(self, event: Event, text: str) -> None:
        item = [event.get("seq"), text]
        kind = event.get("type")
        if kind in SUPERSEDED:
            # A burst of tickets at opening time sends one waiting count, not fifty.
            # The newer one keeps its place at the end, so `seq` still only grows.
            older = self._latest.get(kind)
            if older is not None:
                older[1] = None
            self._latest[kind] = item
        self._put(item)

    def go_live(self) -> None:
        """Snapshot out and queue empty: from now on events go straight to the socket."""
        if self.wire is not None and self.queue.empty():
            self.live = True

    def resync(self) -> None:
        """Drop whatever is queued; the connection gets a fresh snapshot next."""
        self.live = False
        while not self.queue.empty():
            self.queue.get_nowait()
        self._latest.clear()
        self.refresh_pending = False
        self.resyncs += 1
        self.queue.put_nowait(RESYNC)

    def _put(self, item: Item) -> None:
        try:
            self.queue.put_nowait(item)
        except asyncio.QueueFull:
            self.resync()


class Hub:
    """Connections by hall, the per-hall sequence seen so far, and cached snapshots."""

    def __init__(self, core: Core, *, queue_size: int = 256, send_timeout: float = 10.0,
                 snapshot_ttl: float = 2.0, refresh_interval: float = 0.3) -> None:
        self.core = core
        self.queue_size = queue_size
        self.send_timeout = send_timeout
        self.snapshot_ttl = snapshot_ttl
        self.refresh_interval = refresh_interval
        self._subs: dict[str, set[Subscription]] = {}
        self._seq: dict[str, int] = {}
        self._cache: dict[str, tuple[int, float, Message]] = {}
        self._building: dict[str, tuple[int, asyncio.Future[Message]]] = {}
        self._loop: asyncio.AbstractEventLoop | None = None
        self._loop_thread: int | None = None
        self._sweeper: asyncio.Task[None] | None = None
        self._executor = ThreadPoolExecutor(max_workers=4, thread_name_prefix="hallq-hub")
        # Events from worker threads, handed to the loop in bursts (`_on_event`).
        self._inbox: list[tuple[str, Event]] = []
        self._inbox_lock = threading.Lock()
        self._cork = Cork()
        self._flush_soon = False
        self.dropped = 0  # connections closed because they stopped reading
        self.served = 0  # connections accepted since start

    async def start(self) -> None:
        """Listen on the core's bus (and subscribe to Redis when it is the Redis bus)."""
        self._loop = asyncio.get_running_loop()
        self._loop_thread = threading.get_ident()
        with self._inbox_lock:
            self._inbox = []
        self.core.bus.add_listener(self._on_event)
        await self.core.bus.start()
        self._sweeper = asyncio.create_task(self._sweep_pictures())

    async def _sweep_pictures(self) -> None:
        """Every minute, drop the hall pictures left idle (`Pictures.sweep`)."""
        while True:
            await asyncio.sleep(SWEEP_S)
            try:
                await asyncio.to_thread(self.core.pictures.sweep)
            except Exception:  # a sweep that failed is retried next minute
                log.exception("sweeping idle hall pictures failed")

    async def stop(self) -> None:
        """Stop listening; connections are closed by the server's shutdown."""
        self.core.bus.remove_listener(self._on_event)
        if self._sweeper is not None:
            self._sweeper.cancel()
            self._sweeper = None
        await self.core.bus.stop()
        self._executor.shutdown(wait=False, cancel_futures=True)

    def connections(self, hall: str | None = None) -> int:
        """How many connections are open (to one hall, or in all)."""
        if hall is not None:
            return len(self._subs.get(hall, ()))
        return sum(len(s) for s in self._subs.values())

    def subscriptions(self, hall: str) -> list[Subscription]:
        """The open subscriptions to a hall."""
        return list(self._subs.get(hall, ()))

    def last_seq(self, hall: str) -> int:
        """The sequence number of the last event of the hall this process has seen."""
        return self._seq.get(hall, 0)

    # --- events -------------------------------------------------------------------------

    def _on_event(self, hall: str, event: Event) -> None:
        """Bus listener: hop onto the event loop (called from any thread).

        A call publishes its `call`, `window` and `queue` events back to back: the loop is
        woken once for them all. The bus delivers in `seq` order, and so does the inbox.
        """
        loop = self._loop
        if loop is None or loop.is_closed():
            return
        if threading.get_ident() == self._loop_thread:
            # On the loop (a flow's batch, a message from Redis). Events handed over by
            # threads before this one go first, to keep the bus's order.
            if self._inbox:
                self._drain_inbox()
            self._dispatch(hall, event)
            if not self._cork.held:
                return  # nothing written (no screen wanted it): nothing to flush
            if not self.core.bus.batching:
                self._cork.flush()  # a message from Redis: out at once
            elif not self._flush_soon:
                # A flow's events, delivered together: each screen gets them in one write.
                # (Not across Redis messages: the first would wait for the others.)
                self._flush_soon = True
                loop.call_soon(self._flush_cork)
            return
        with self._inbox_lock:
            self._inbox.append((hall, event))
            if len(self._inbox) > 1:
                return  # a wake-up is already on its way and will take this one too
        with contextlib.suppress(RuntimeError):  # the loop closed meanwhile: nobody listens
            loop.call_soon_threadsafe(self._drain_inbox)

    def _flush_cork(self) -> None:
        self._flush_soon = False
        self._cork.flush()

    def _drain_inbox(self) -> None:
        with self._inbox_lock:
            burst, self._inbox = self._inbox, []
        try:
            for hall, event in burst:
                self._dispatch(hall, event)
        finally:
            self._cork.flush()  # each screen gets the burst in one write

    def _dispatch(self, hall: str, event: Event) -> None:
        if event.get("type") == "resync":
            self._resync(hall, event)
            return
        seq = event.get("seq")
        if isinstance(seq, int):
            self._seq[hall] = seq
        targets = self._subs.get(hall)
        if not targets or event.get("type") in PRIVATE_TYPES:
            return
        text = encode(event)
        frame = text_frame(text)
        decided: dict[Hashable, Choice] = {}
        for sub in list(targets):
            route = sub.route
            choice = decided.get(route) if route is not None else None
            if choice is None:
                choice = sub.choose(event, text, frame)
                if route is not None:
                    decided[route] = choice
            sub.take(event, choice)

    def _resync(self, hall: str, event: Event) -> None:
        """The bus lost events (`*`: of every hall), or subscribed to a hall: the
        connections that may have missed some get a fresh snapshot."""
        if hall == RESYNC_HALL:
            self._cache.clear()
            for subs in self._subs.values():
                for sub in subs:
                    sub.resync()
            return
        seq = event.get("seq")
        if isinstance(seq, int):
            self._seq[hall] = max(seq, self._seq.get(hall, 0))
        self._cache.pop(hall, None)
        renewed = bool(event.get("renewed"))
        for sub in list(self._subs.get(hall, ())):
            if sub.started and (renewed or not sub.followed):
                sub.followed = True
                sub.resync()

    # --- snapshots ----------------------------------------------------------------------

    async def blocking(self, fn: Callable[..., T], /, **kwargs: Any) -> T:
        """Run a blocking function (database reads) on the hub's own threads."""
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(self._executor, lambda: fn(**kwargs))

    async def hall_snapshot(self, hall: str) -> Message:
        """The hall's snapshot, shared by every screen connecting at the same moment.

        The sequence number is read before the database, so an event that lands while
        the snapshot is built is still sent after it (at worst twice, never missed).
        """
        seq = self.last_seq(hall)
        cached = self._cache.get(hall)
        if cached and cached[0] == seq and time.monotonic() - cached[1] < self.snapshot_ttl:
            return {**cached[2], "seq": seq}
        building = self._building.get(hall)
        if building and building[0] == seq:
            return {**await asyncio.shield(building[1]), "seq": seq}
        future: asyncio.Future[Message] = asyncio.get_running_loop().create_future()
        self._building[hall] = (seq, future)
        try:
            data = await self.blocking(snapshots.hall_snapshot, core=self.core, hall=hall)
        except BaseException as err:
            future.set_exception(err)
            future.exception()  # retrieved: waiting screens get it, nobody else logs it
            raise
        finally:
            if self._building.get(hall, (None, None))[1] is future:
                del self._building[hall]
        future.set_result(data)
        self._cache[hall] = (seq, time.monotonic(), data)
        return {**data, "seq": seq}

    # --- connections --------------------------------------------------------------------

    def subscription(self, hall: str, accepts: Callable[[Event], bool],
                     refresh_on: Callable[[Event], bool] | None = None,
                     route: Hashable | None = None) -> Subscription:
        """A new subscription with the hub's queue size (not yet registered)."""
        return Subscription(hall, accepts, refresh_on, maxsize=self.queue_size, route=route)

    async def serve(self, websocket: WebSocket, sub: Subscription, snapshot: Producer,
                    refresh: Producer | None = None) -> None:
        """Run an accepted connection: snapshot, then events, until either side leaves.

        The process follows the hall on the bus while it has a connection to it; the
        snapshot is built once the hall's events from other processes arrive.
        """
        self._subs.setdefault(sub.hall, set()).add(sub)
        self.served += 1
        try:
            sub.followed = await self.core.bus.followed(sub.hall, sub)
        except BaseException:
            self._forget(sub)
            raise
        sub.started = True
        sender = asyncio.create_task(self._send_loop(websocket, sub, snapshot, refresh))
        receiver = asyncio.create_task(self._receive_loop(websocket, sub))
        try:
            done, _ = await asyncio.wait({sender, receiver},
                                         return_when=asyncio.FIRST_COMPLETED)
            if sender in done and not sender.cancelled() and sender.exception() is not None:
                err = sender.exception()
                if isinstance(err, TimeoutError):
                    self.dropped += 1
                    log.warning("dropped a %s client that stopped reading", sub.hall)
                else:
                    log.info("websocket closed: %r", err)
        finally:
            for task in (sender, receiver):
                task.cancel()
            await asyncio.gather(sender, receiver, return_exceptions=True)
            self._forget(sub)
            await self._close(websocket)

    def _forget(self, sub: Subscription) -> None:
        subs = self._subs.get(sub.hall)
        if subs is not None:
            subs.discard(sub)
            if not subs:
                del self._subs[sub.hall]
        self.core.bus.unfollow(sub.hall, sub)

    async def _send(self, websocket: WebSocket, text: str) -> None:
        # asyncio.timeout, not wait_for: no extra task per message on a busy hub.
        async with asyncio.timeout(self.send_timeout):
            await websocket.send_text(text)

    async def _send_loop(self, websocket: WebSocket, sub: Subscription, snapshot: Producer,
                         refresh: Producer | None) -> None:
        floor = await self._send_snapshot(websocket, snapshot)
        sub.wire = Wire.of(websocket, self._cork)
        last_refresh = 0.0
        while True:
            # Caught up: the hub writes the next events itself. Until then (a snapshot
            # being sent, events queued behind it) they wait here, in order.
            sub.go_live()
            item = await sub.queue.get()
            if item is RESYNC:
                floor = await self._send_snapshot(websocket, snapshot)
            elif item is REFRESH:
                # Coalesce bursts: a counter or ticket page recomputes at most this often.
                wait = last_refresh + self.refresh_interval - time.monotonic()
                if wait > 0:
                    await asyncio.sleep(wait)
                sub.refresh_pending = False
                last_refresh = time.monotonic()
                message = await refresh() if refresh is not None else None
                if message is not None:
                    await self._send(websocket, encode(message))
            elif isinstance(item, list):
                seq, text = item
                if text is not None and (seq is None or seq > floor):
                    await self._send(websocket, text)

    async def _send_snapshot(self, websocket: WebSocket, snapshot: Producer) -> int:
        message = await snapshot()
        if message is None:
            return 0
        await self._send(websocket, encode(message))
        seq = message.get("seq")
        return seq if isinstance(seq, int) else 0

    async def _receive_loop(self, websocket: WebSocket, sub: Subscription) -> None:
        """Read until the client leaves; `{"type": "resync"}` asks for a fresh snapshot."""
        while True:
            message = await websocket.receive()
            if message["type"] == "websocket.disconnect":
                return
            text = message.get("text")
            if not text:
                continue
            with contextlib.suppress(ValueError, AttributeError, RecursionError):
                if json.loads(text).get("type") == "resync":
                    sub.resync()

    async def _close(self, websocket: WebSocket) -> None:
        if websocket.application_state == WebSocketState.CONNECTED and (
            websocket.client_state == WebSocketState.CONNECTED
        ):
            with contextlib.suppress(Exception):
                await asyncio.wait_for(websocket.close(code=1011), 1.0)
