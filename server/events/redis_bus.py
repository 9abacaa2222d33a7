"""Events between core processes over Redis pub/sub (`HALLQ_REDIS_URL`).

Every process publishes to Redis and receives every hall's events back from Redis, its own
included, so all processes see one order. A Lua script takes the hall's next sequence
number (INCR) and publishes in one atomic step: sequence numbers are unique and increasing
across processes, and a channel never carries them out of order. Pub/sub is at-most-once:
after the subscription is lost and re-established the listeners are told to resync
(`{"type": "resync"}` for hall `*`), and every screen gets a fresh snapshot.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import time
from typing import Any

import redis
import redis.asyncio as aioredis

from server.events.bus import Event, EventBus, stamp

log = logging.getLogger(__name__)

RESYNC_HALL = "*"
REDIS_RETRY_S = 2.0
_PUBLISH = """
local seq = redis.call('INCR', KEYS[1])
redis.call('PUBLISH', KEYS[2], seq .. '|' .. ARGV[1])
return seq
"""


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
        self._subscribed = asyncio.Event()
        self._last: dict[str, int] = {}
        self._down_until = 0.0

    def _channel(self, hall: str) -> str:
        return f"{self.prefix}:events:{hall}"

    def publish(self, hall: str, event: Event) -> None:
        """Number the event and publish it; if Redis is down, deliver it here only."""
        body = json.dumps(stamp(hall, event, None), ensure_ascii=False,
                          separators=(",", ":"), default=str)
        if time.monotonic() >= self._down_until:
            try:
                self._script(keys=[f"{self.prefix}:seq:{hall}", self._channel(hall)],
                             args=[body])
                return
            except redis.RedisError as err:
                # Do not try again for a while: every flow would wait for the timeout.
                self._down_until = time.monotonic() + REDIS_RETRY_S
                log.error("redis publish failed (%s); delivering locally for %.0f s",
                          err, REDIS_RETRY_S)
        # The flow has committed already: a lost event must not fail the request. Screens
        # on this process still see it (unnumbered, so never skipped); the others resync
        # when the subscription comes back.
        self.deliver(hall, stamp(hall, event, None))

    def current_seq(self, hall: str) -> int:
        """The sequence number of the last event of the hall received from Redis."""
        return self._last.get(hall, 0)

    async def start(self) -> None:
        """Subscribe to every hall's events; returns once the subscription is live."""
        if self._task is None:
            self._task = asyncio.create_task(self._listen(), name="hallq-redis-bus")
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._subscribed.wait(), 10)

    async def stop(self) -> None:
        """Stop the subscription."""
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await self._task
            self._task = None

    def close(self) -> None:
        """Close the publishing connections."""
        self._redis.close()

    async def _listen(self) -> None:
        """Receive events forever, resubscribing (and asking for a resync) after a loss."""
        delay, first = 0.2, True
        while True:
            client = aioredis.Redis.from_url(self.url, client_name=f"{self.prefix}-events")
            try:
                async with client.pubsub() as pubsub:
                    await pubsub.psubscribe(self._channel("*"))
                    self._subscribed.set()
                    if not first:
                        log.warning("redis subscription restored; screens will resync")
                        self.deliver(RESYNC_HALL, {"type": "resync"})
                    first, delay = False, 0.2
                    async for message in pubsub.listen():
                        if message.get("type") == "pmessage":
                            self._receive(message["data"])
            except asyncio.CancelledError:
                raise
            except Exception as err:
                log.warning("redis subscription lost (%s); retrying in %.1f s", err, delay)
            finally:
                with contextlib.suppress(Exception):
                    await client.aclose()
            await asyncio.sleep(delay)
            delay = min(delay * 2, 5.0)

    def _receive(self, data: bytes | str) -> None:
        """Parse `seq|json` and hand the event to the local listeners."""
        raw = data.decode() if isinstance(data, bytes) else data
        head, _, body = raw.partition("|")
        try:
            event: dict[str, Any] = json.loads(body)
            seq = int(head)
        except ValueError:
            log.warning("ignored a malformed event from redis: %.80r", raw)
            return
        hall = str(event.get("hall", ""))
        event["seq"] = seq
        self._last[hall] = seq
        self.deliver(hall, event)


def make_bus(redis_url: str | None) -> EventBus:
    """The bus for the settings: Redis when a URL is set, in memory otherwise."""
    return RedisBus(redis_url) if redis_url else EventBus()
