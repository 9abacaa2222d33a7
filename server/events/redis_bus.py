"""Events between core processes over Redis pub/sub (`HALLQ_REDIS_URL`).

Every process publishes to Redis and receives back the events of the halls it follows,
its own included, so all processes see one order. A Lua script takes the hall's next
sequence numbers (INCRBY) and publishes in one atomic step: sequence numbers are unique and
increasing across processes, and a channel never carries them out of order.

A flow's events for one hall (an issue's `ticket_issued`, `queue` and picture change) go
out as one message, `first|[event, event, …]`, numbered first, first + 1, …: one PUBLISH
for Redis to fan out and one message for each follower to parse, instead of one per
event. A receiver numbers them and hands them to its listeners one by one, as before.
(A message `seq|{event}`, as an earlier version sent, is still understood.)

Per hall: each hall has a channel of its own, and a process SUBSCRIBEs (on its one pub/sub
connection) only to the halls something in it follows (`follow`: a held picture, a screen,
counter, monitor or agent socket, a terminal polling for card reads), and UNSUBSCRIBEs when
the last of them is gone. A province's 2,000 halls do not cost every process every hall's
traffic. An event this process publishes for a hall it does not follow is handed to its
own listeners directly (unnumbered), so process-wide listeners (notices, card reads) still
see what happens here.

Once Redis confirms a hall's subscription, the hall's sequence number is read (the
baseline for gap detection) and the listeners get `{"type": "resync"}` for that hall: a
follower that started before the confirmation (its picture loaded, its snapshot built
earlier) resyncs. Pub/sub is at-most-once: after the connection is lost, every followed
hall is subscribed again and its resync says `renewed`: every follower resyncs.

On the event loop, the publisher and the subscriber speak Redis's protocol directly
(`server.events.redis_wire`, one connection each and one for the baselines), not through
redis-py's asyncio client: its pool, dispatch and per-read coroutines cost more of the
loop than the rest of a kiosk ticket's answer. redis-py still serves the synchronous
publishing from threads and the command line.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import json
import logging
import threading
import time
from typing import Any

import redis

from server.events import schemas
from server.events.bus import Batch, EventBus, Published, stamp
from server.events.redis_wire import RedisWire
from server.events.resp import ReplyError

log = logging.getLogger(__name__)

RESYNC_HALL = "*"
REDIS_RETRY_S = 2.0
_NOT_RUNNING = threading.Event()
_NOT_RUNNING.set()
# Message i holds ARGV[2i-1] events of one hall (ARGV[2i], a JSON array): they take that
# many numbers of KEYS[2i-1] (the hall's sequence) and go out on KEYS[2i] (its channel) as
# `first|[…]`, in order; returns the last number taken per message.
_PUBLISH = """
local seqs = {}
for i = 1, #KEYS / 2 do
  local n = tonumber(ARGV[2 * i - 1])
  local last = redis.call('INCRBY', KEYS[2 * i - 1], n)
  redis.call('PUBLISH', KEYS[2 * i], (last - n + 1) .. '|' .. ARGV[2 * i])
  seqs[i] = last
end
return seqs
"""
_PUBLISH_SHA = hashlib.sha1(_PUBLISH.encode()).hexdigest()  # the id Redis gives it


def _grouped(events: list[tuple[str, Published]]) -> list[tuple[str, list[Published]]]:
    """Consecutive events of one hall together (their order kept), one message each."""
    groups: list[tuple[str, list[Published]]] = []
    for hall, event in events:
        if groups and groups[-1][0] == hall:
            groups[-1][1].append(event)
        else:
            groups.append((hall, [event]))
    return groups


class RedisBus(EventBus):
    """An event bus whose fan-out goes through Redis, for several core processes."""

    shared = True

    def __init__(self, url: str, *, prefix: str = "hallq") -> None:
        super().__init__()
        self.url = url
        self.prefix = prefix
        # Short timeouts: a flow publishes after its commit and must not hang on Redis.
        self._redis = redis.Redis.from_url(url, socket_timeout=1, socket_connect_timeout=1)
        self._script = self._redis.register_script(_PUBLISH)
        self._task: asyncio.Task[None] | None = None
        # Flows' batches waiting for the sender task (`_send_loop`), in order.
        self._sender: asyncio.Task[None] | None = None
        self._outgoing: list[Batch] = []
        self._outgoing_ready = asyncio.Event()
        self.batches_sent = 0  # EVALSHAs of batches (tests, bench)
        self._loop: asyncio.AbstractEventLoop | None = None
        self._subscribed = asyncio.Event()
        self._kick = asyncio.Event()
        self._last: dict[str, int] = {}
        self._down_until = 0.0
        # Who follows which hall; the halls asked of Redis and those it confirmed.
        self._state = threading.Lock()
        self._owners: dict[str, set[object]] = {}
        self._leases: dict[str, float] = {}  # hall -> monotonic end of a `follow_for`
        self._ready: dict[str, threading.Event] = {}
        self._waiters: dict[str, list[asyncio.Future[None]]] = {}
        self._asked: set[str] = set()
        self._renew: set[str] = set()  # asked again after a lost connection
        self.received: dict[str, int] = {}  # messages received per hall (tests, bench)

    def _channel(self, hall: str) -> str:
        return f"{self.prefix}:events:{hall}"

    def _hall_of(self, channel: bytes | str) -> str:
        name = channel.decode() if isinstance(channel, bytes) else channel
        return name[len(self._channel("")):]

    # --- following ----------------------------------------------------------------------

    def follow(self, hall: str, owner: object) -> threading.Event:
        """Subscribe to the hall (if not yet) while `owner` wants it; the returned event
        is set once Redis confirmed the subscription."""
        with self._state:
            owners = self._owners.setdefault(hall, set())
            new = not owners and hall not in self._leases
            owners.add(owner)
            ready = self._ready.setdefault(hall, threading.Event())
        if new:
            self._wake()
        if self._task is None:
            # Not receiving (a command-line core, or before `start`): nothing to wait
            # for. Whatever is followed when the bus starts is resynced then.
            return _NOT_RUNNING
        return ready

    def unfollow(self, hall: str, owner: object) -> None:
        """Unsubscribe from the hall once nothing follows it any more."""
        with self._state:
            owners = self._owners.get(hall)
            if owners is None:
                return
            owners.discard(owner)
            if owners:
                return
            del self._owners[hall]
            gone = hall not in self._leases
        if gone:
            self._wake()

    def follow_for(self, hall: str, seconds: float) -> None:
        """Follow the hall until `seconds` from now (renewed by every call)."""
        with self._state:
            new = hall not in self._owners and hall not in self._leases
            self._leases[hall] = max(self._leases.get(hall, 0.0), time.monotonic() + seconds)
            self._ready.setdefault(hall, threading.Event())
        if new:
            self._wake()

    async def followed(self, hall: str, owner: object, timeout: float = 5.0) -> bool:
        """`follow`, then wait on the event loop until the subscription is confirmed."""
        ready = self.follow(hall, owner)
        if ready.is_set() or self._task is None:
            return ready.is_set()
        future: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        with self._state:
            if ready.is_set():
                return True
            self._waiters.setdefault(hall, []).append(future)
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(future, timeout)
        return ready.is_set()

    def following(self) -> set[str]:
        """The halls this process is subscribed to (confirmed by Redis)."""
        with self._state:
            return {hall for hall, ready in self._ready.items() if ready.is_set()}

    def _wanted(self, now: float) -> set[str]:
        with self._state:
            for hall, until in list(self._leases.items()):
                if until <= now:
                    del self._leases[hall]
            wanted = set(self._owners) | set(self._leases)
            for hall in list(self._ready):
                if hall not in wanted:
                    del self._ready[hall]
            return wanted

    def _wake(self) -> None:
        loop = self._loop
        if loop is None or loop.is_closed():
            return
        with contextlib.suppress(RuntimeError):  # the loop closed meanwhile
            loop.call_soon_threadsafe(self._kick.set)

    # --- publishing ---------------------------------------------------------------------

    def _keys(self, hall: str) -> list[str]:
        return [f"{self.prefix}:seq:{hall}", self._channel(hall)]

    def _script_args(self, events: list[tuple[str, Published]]) -> tuple[list[str], list[Any]]:
        """The publishing script's KEYS and ARGV: one message per run of one hall's events."""
        keys: list[str] = []
        args: list[Any] = []
        for hall, some in _grouped(events):
            keys += self._keys(hall)
            args += [len(some), json.dumps([stamp(hall, e, None) for e in some],
                                           ensure_ascii=False, separators=(",", ":"),
                                           default=str)]
        return keys, args

    def _followed(self, hall: str) -> bool:
        with self._state:
            return hall in self._owners or hall in self._leases

    def _down(self, err: Exception) -> None:
        # Do not try again for a while: every flow would wait for the timeout.
        self._down_until = time.monotonic() + REDIS_RETRY_S
        log.error("redis publish failed (%s); delivering locally for %.0f s",
                  err, REDIS_RETRY_S)

    def _sent(self, hall: str, event: Published, numbered: bool) -> None:
        """After publishing: what Redis will not bring back is delivered here."""
        if not numbered or not self._followed(hall):
            # Nothing here follows the hall, so Redis will not bring it back: the
            # process-wide listeners (notices, card reads) still hear it. Or Redis is
            # down: the flow has committed already and a lost event must not fail the
            # request. Screens on this process still see it (unnumbered, so never
            # skipped); the others resync when the subscription comes back.
            self.deliver(hall, stamp(hall, event, None))

    def send(self, hall: str, event: Published) -> None:
        """Number the event and publish it now (on the calling thread); if Redis is
        down, deliver it here only."""
        numbered = time.monotonic() >= self._down_until
        if numbered:
            try:
                keys, args = self._script_args([(hall, event)])
                self._script(keys=keys, args=args)
            except redis.RedisError as err:
                self._down(err)
                numbered = False
        self._sent(hall, event, numbered)

    def send_batches(self, batches: list[Batch]) -> None:
        """Hand whole batches to the sender task (on the bus's loop); elsewhere (the bus
        not started, another loop) publish them now, in one round trip."""
        batches = [b for b in batches if b.events]
        if not batches:
            return
        loop = self._loop
        if self._sender is not None and loop is not None and _running_loop() is loop:
            for batch in batches:
                batch.sent = loop.create_future()
            self._outgoing.extend(batches)
            self._outgoing_ready.set()
            return
        events = [e for b in batches for e in b.events]
        numbered = time.monotonic() >= self._down_until
        if numbered:
            try:
                keys, args = self._script_args(events)
                self._script(keys=keys, args=args)
                self.batches_sent += 1
            except redis.RedisError as err:
                self._down(err)
                numbered = False
        for hall, event in events:
            self._sent(hall, event, numbered)

    async def release(self, batch: Batch) -> None:
        """Send the batch (and those ready before it) and wait until Redis has it."""
        self.send_ready()
        if batch.sent is not None:
            await batch.sent

    async def _send_loop(self) -> None:
        """Publish the flows' batches in order, all those ready in one `EVALSHA`, on a
        connection of its own (`RedisWire`: the protocol spoken directly)."""
        wire: RedisWire | None = None
        batches: list[Batch] = []
        try:
            while True:
                await self._outgoing_ready.wait()
                self._outgoing_ready.clear()
                batches, self._outgoing = self._outgoing, []
                if not batches:
                    continue
                events = [e for b in batches for e in b.events]
                numbered = time.monotonic() >= self._down_until
                if numbered:
                    try:
                        if wire is None or wire.closed:
                            wire = await RedisWire.open(self.url, name=f"{self.prefix}-publish")
                        keys, args = self._script_args(events)
                        await self._evalsha(wire, keys, args)
                        self.batches_sent += 1
                    except Exception as err:  # never lose the sender: deliver locally
                        if wire is not None:
                            wire.close()
                        self._down(err)
                        numbered = False
                for hall, event in events:
                    self._sent(hall, event, numbered)
                self._done(batches)
                batches = []
        finally:
            # Stopping: what was not sent yet goes out now, from here.
            left, self._outgoing = batches + self._outgoing, []
            if left:
                with contextlib.suppress(Exception):
                    RedisBus.send_batches(self, left)  # `_sender` is gone: synchronously
            self._done(left)
            if wire is not None:
                wire.close()

    @staticmethod
    async def _evalsha(wire: RedisWire, keys: list[str], args: list[Any]) -> None:
        """The publishing script by its digest; sent whole once if Redis does not have it
        (a restarted or flushed server), which also keeps it there."""
        try:
            await wire.call("EVALSHA", _PUBLISH_SHA, len(keys), *keys, *args)
        except ReplyError as err:
            if err.kind != "NOSCRIPT":
                raise
            await wire.call("EVAL", _PUBLISH, len(keys), *keys, *args)

    @staticmethod
    def _done(batches: list[Batch]) -> None:
        for batch in batches:
            if batch.sent is not None and not batch.sent.done():
                batch.sent.set_result(None)

    def current_seq(self, hall: str) -> int:
        """The sequence number of the last event of the hall received from Redis."""
        return self._last.get(hall, 0)

    # --- receiving ----------------------------------------------------------------------

    async def start(self) -> None:
        """Start the subscription; returns once the pub/sub connection is live."""
        if self._task is None:
            self._loop = asyncio.get_running_loop()
            self._kick = asyncio.Event()
            self._task = asyncio.create_task(self._listen(), name="hallq-redis-bus")
            self._outgoing_ready = asyncio.Event()
            self._sender = asyncio.create_task(self._send_loop(), name="hallq-redis-publish")
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._subscribed.wait(), 10)

    async def stop(self) -> None:
        """Stop the subscription and the sender (what it still held is sent first)."""
        if self._sender is not None:
            sender, self._sender = self._sender, None
            sender.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await sender
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await self._task
            self._task = None
        self._loop = None

    def close(self) -> None:
        """Close the publishing connections."""
        self._redis.close()

    async def _listen(self) -> None:
        """Receive events forever, subscribing again (and resyncing) after a loss."""
        delay, first = 0.2, True
        while True:
            pubsub: RedisWire | None = None
            reader: RedisWire | None = None
            syncer: asyncio.Task[None] | None = None
            try:
                pubsub = await RedisWire.open(self.url, name=f"{self.prefix}-events",
                                              timeout=5)
                reader = await RedisWire.open(self.url, name=f"{self.prefix}-seq", timeout=5)
                # A channel of the bus's own keeps the connection subscribed (and the
                # pushes coming) while no hall is followed.
                pubsub.subscribe(f"{self.prefix}:bus")
                with self._state:
                    # Followed before this connection (lost, or before `start`):
                    # resynced once subscribed again.
                    self._asked = set()
                    self._renew = set(self._owners) | set(self._leases)
                if not first:
                    log.warning("redis subscription restored; followed halls resync")
                syncer = asyncio.create_task(self._sync(pubsub), name="hallq-redis-subs")
                self._subscribed.set()
                first, delay = False, 0.2
                while True:
                    for push in await pubsub.pushes():
                        kind = push[0] if push else None
                        if kind == b"message" and len(push) == 3:
                            self._receive(self._hall_of(push[1]), push[2])
                        elif kind == b"subscribe" and len(push) == 3:
                            await self._confirmed(reader, self._hall_of(push[1]))
            except asyncio.CancelledError:
                raise
            except Exception as err:
                log.warning("redis subscription lost (%s); retrying in %.1f s", err, delay)
            finally:
                if syncer is not None:
                    syncer.cancel()
                    with contextlib.suppress(asyncio.CancelledError, Exception):
                        await syncer
                self._lost()
                for each in (pubsub, reader):
                    if each is not None:
                        each.close()
            await asyncio.sleep(delay)
            delay = min(delay * 2, 5.0)

    def _lost(self) -> None:
        """The connection is gone: no hall is subscribed until it is asked again."""
        with self._state:
            for ready in self._ready.values():
                ready.clear()
            self._asked = set()

    async def _sync(self, pubsub: RedisWire) -> None:
        """SUBSCRIBE to the halls newly followed, UNSUBSCRIBE from those left."""
        while True:
            self._kick.clear()  # before reading what is wanted: a later change wakes us
            now = time.monotonic()
            wanted = self._wanted(now)
            with self._state:
                add, drop = wanted - self._asked, self._asked - wanted
                self._asked = set(wanted)
                leases = list(self._leases.values())
            if add:
                pubsub.subscribe(*(self._channel(h) for h in sorted(add)))
            if drop:
                pubsub.unsubscribe(*(self._channel(h) for h in sorted(drop)))
                for hall in drop:
                    self._last.pop(hall, None)
            # Wake for the next change, or when the next lease ends.
            wait = min((until - now for until in leases), default=60.0)
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._kick.wait(), max(wait, 0.05) + 0.01)

    async def _confirmed(self, reader: RedisWire, hall: str) -> None:
        """Redis confirmed a hall's subscription: read its baseline, tell the listeners."""
        with self._state:
            if hall not in self._asked:
                return  # unfollowed meanwhile
            renewed = hall in self._renew
            self._renew.discard(hall)
        # Every event numbered after this reading reaches us; those before it are in the
        # database, which whoever follows reads after its `ready` (or resyncs below).
        seq = int(await reader.call("GET", f"{self.prefix}:seq:{hall}") or 0)
        self._last[hall] = max(self._last.get(hall, 0), seq)
        self.deliver(hall, stamp(hall, schemas.resync(renewed=renewed), self._last[hall]))
        with self._state:
            ready = self._ready.get(hall)
            if ready is not None:
                ready.set()
            waiters = self._waiters.pop(hall, [])
        for future in waiters:
            if not future.done():
                future.set_result(None)

    def _receive(self, hall: str, data: bytes | str) -> None:
        """Parse `first|[json, …]` (or one event, `seq|json`) and hand the events to the
        local listeners, numbered first, first + 1, …"""
        raw = data.decode() if isinstance(data, bytes) else data
        head, _, body = raw.partition("|")
        try:
            parsed = json.loads(body)
            first = int(head)
        except ValueError:
            log.warning("ignored a malformed event from redis: %.80r", raw)
            return
        events = parsed if isinstance(parsed, list) else [parsed]
        if not all(isinstance(e, dict) for e in events):
            log.warning("ignored a malformed event from redis: %.80r", raw)
            return
        for seq, event in enumerate(events, first):
            at = str(event.get("hall", hall))
            self.received[at] = self.received.get(at, 0) + 1
            event["seq"] = seq
            self._last[at] = max(seq, self._last.get(at, 0))
            self.deliver(at, event)


def _running_loop() -> asyncio.AbstractEventLoop | None:
    try:
        return asyncio.get_running_loop()
    except RuntimeError:
        return None


def make_bus(redis_url: str | None) -> EventBus:
    """The bus for the settings: Redis when a URL is set, in memory otherwise."""
    return RedisBus(redis_url) if redis_url else EventBus()
