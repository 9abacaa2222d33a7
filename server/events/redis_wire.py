"""One Redis connection on the event loop, speaking RESP2 (`server.events.resp`) directly.

Used by the event bus for its publisher and its subscriber (`server.events.redis_bus`):
commands are written as they come and their replies matched in order (no pool, no lock,
one coroutine per call, not per read); a subscribed connection collects the pushes
(`message`, `subscribe`, `unsubscribe`) as they arrive and hands them over in runs.

URLs: `redis://[[user]:password@]host[:port][/db]`, `rediss://…` (TLS) and
`unix:///path/to/redis.sock[?db=N&password=…]`, read by redis-py's own `parse_url`.
"""

from __future__ import annotations

import asyncio
import collections
import ssl
from typing import Any

from redis.connection import SSLConnection, parse_url

from server.events.resp import Parser, ProtocolError, Reply, ReplyError, command


class WireClosed(ConnectionError):
    """The connection is gone (closed by either side, or a reply came too late)."""


class RedisWire(asyncio.Protocol):
    """A connection: `call` for a command's reply; after `subscribe`, `pushes`."""

    def __init__(self, timeout: float) -> None:
        self.timeout = timeout
        self._loop = asyncio.get_running_loop()
        self._parser = Parser()
        self._transport: asyncio.Transport | None = None
        self._waiting: collections.deque[asyncio.Future[Reply]] = collections.deque()
        self._subscribed = False
        self._pushes: list[list[Any]] = []
        self._push_ready: asyncio.Future[None] | None = None
        self._lost: Exception | None = None

    # --- opening ------------------------------------------------------------------------

    @classmethod
    async def open(cls, url: str, *, name: str, timeout: float = 1.0) -> RedisWire:
        """Connect, authenticate, select the database and name the client."""
        try:
            # redis-py's own reading of the URL, so both agree (it is not typed).
            parts: dict[str, Any] = parse_url(url)  # type: ignore[no-untyped-call]
        except ValueError as err:
            raise ValueError(f"not a Redis URL: {err}") from None
        loop = asyncio.get_running_loop()
        wire = cls(timeout)
        connecting: Any
        if "path" in parts:
            connecting = loop.create_unix_connection(lambda: wire, parts["path"])
        else:
            tls = ssl.create_default_context() if parts.get(
                "connection_class") is SSLConnection else None
            connecting = loop.create_connection(lambda: wire, parts.get("host", "localhost"),
                                                parts.get("port", 6379), ssl=tls)
        await asyncio.wait_for(connecting, timeout)
        try:
            password, user = parts.get("password"), parts.get("username")
            if password:
                await wire.call(*(("AUTH", user, password) if user else ("AUTH", password)))
            if parts.get("db"):
                await wire.call("SELECT", parts["db"])
            await wire.call("CLIENT", "SETNAME", name)
        except BaseException:
            wire.close()
            raise
        return wire

    # --- asyncio.Protocol ---------------------------------------------------------------

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self._transport = transport  # type: ignore[assignment]  # uvloop's: not a subclass

    def data_received(self, data: bytes) -> None:
        try:
            replies = self._parser.feed(data)
        except ProtocolError as err:
            self._fail(err)
            return
        for reply in replies:
            if self._subscribed and isinstance(reply, list):
                self._pushes.append(reply)
            elif self._waiting:
                future = self._waiting.popleft()
                if not future.done():
                    future.set_result(reply)
            else:
                self._fail(ProtocolError("a reply to no command"))
                return
        if self._pushes and self._push_ready is not None and not self._push_ready.done():
            self._push_ready.set_result(None)

    def connection_lost(self, exc: Exception | None) -> None:
        self._fail(exc or WireClosed("closed by the server"))

    # --- using it -----------------------------------------------------------------------

    @property
    def closed(self) -> bool:
        return self._lost is not None

    def close(self) -> None:
        """Close it; calls still waiting fail with WireClosed."""
        self._fail(WireClosed("closed"))

    async def call(self, *args: bytes | str | int) -> Reply:
        """Send a command and return its reply; an error reply is raised (ReplyError). A
        reply later than the timeout closes the connection (it can no longer be matched)."""
        if self._lost is not None or self._transport is None:
            raise WireClosed("not connected") from self._lost
        future: asyncio.Future[Reply] = self._loop.create_future()
        self._waiting.append(future)
        self._transport.write(command(*args))
        timer = self._loop.call_later(self.timeout, self._late, future)
        try:
            reply = await future
        finally:
            timer.cancel()
        if isinstance(reply, ReplyError):
            raise reply
        return reply

    def _late(self, future: asyncio.Future[Reply]) -> None:
        if not future.done():
            self._fail(TimeoutError(f"no reply from Redis within {self.timeout:g} s"))

    def subscribe(self, *channels: str) -> None:
        """SUBSCRIBE (its confirmations come as pushes); from now on every reply is one."""
        self._subscribed = True
        self._write(command("SUBSCRIBE", *channels))

    def unsubscribe(self, *channels: str) -> None:
        """UNSUBSCRIBE (confirmed by pushes)."""
        self._write(command("UNSUBSCRIBE", *channels))

    async def pushes(self) -> list[list[Any]]:
        """The pushes received since the last call (waits for one); WireClosed when the
        connection is gone and none is left."""
        while not self._pushes:
            if self._lost is not None:
                raise WireClosed("subscription lost") from self._lost
            self._push_ready = self._loop.create_future()
            await self._push_ready
        out, self._pushes = self._pushes, []
        return out

    def _write(self, data: bytes) -> None:
        if self._lost is not None or self._transport is None:
            raise WireClosed("not connected") from self._lost
        self._transport.write(data)

    def _fail(self, err: Exception) -> None:
        if self._lost is None:
            self._lost = err
        if self._transport is not None and not self._transport.is_closing():
            self._transport.abort()
        while self._waiting:
            future = self._waiting.popleft()
            if not future.done():
                future.set_exception(WireClosed(str(err)))
        if self._push_ready is not None and not self._push_ready.done():
            self._push_ready.set_result(None)


__all__ = ["RedisWire", "WireClosed"]
