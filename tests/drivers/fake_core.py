"""A small fake core: the agent's websocket endpoint, written with the websockets server."""

from __future__ import annotations

import asyncio
import http
import json
from typing import Any

from websockets.asyncio.server import Server, ServerConnection, serve
from websockets.datastructures import Headers
from websockets.http11 import Request, Response


class FakeCore:
    """Accepts agents with the right token, records messages, acks ratings like the core."""

    def __init__(self, token: str = "secret", port: int = 0) -> None:
        self.token = token
        self.port = port
        self.messages: list[dict[str, Any]] = []
        self.paths: list[str] = []
        self.stored: dict[str, dict[str, Any]] = {}  # ticket id -> the one stored rating
        self.auto_ack = True
        self.rejected = 0
        self._server: Server | None = None
        self._conn: ServerConnection | None = None
        self._changed = asyncio.Event()

    @property
    def url(self) -> str:
        """The core's base URL, as an agent is configured with it."""
        return f"http://127.0.0.1:{self.port}"

    async def start(self) -> FakeCore:
        """Listen (on the same port again after a stop)."""
        self._server = await serve(self._handler, "127.0.0.1", self.port,
                                   process_request=self._check)
        self.port = self._server.sockets[0].getsockname()[1]
        return self

    async def stop(self) -> None:
        """Go down: close the listener and the agent's connection."""
        if self._server is not None:
            self._server.close()
            await self._server.wait_closed()
            self._server = None

    def _check(self, connection: ServerConnection, request: Request) -> Response | None:
        self.paths.append(request.path)
        if request.headers.get("Authorization") != f"Bearer {self.token}":
            self.rejected += 1
            self._changed.set()
            return Response(http.HTTPStatus.UNAUTHORIZED, "Unauthorized", Headers(), b"")
        return None

    async def _handler(self, conn: ServerConnection) -> None:
        self._conn = conn
        async for raw in conn:
            message = json.loads(raw)
            self.messages.append(message)
            if message["type"] == "rating" and self.auto_ack:
                await self.send(self.rating_ack(message))
            self._changed.set()

    def rating_ack(self, message: dict[str, Any]) -> dict[str, Any]:
        """Store a rating once per ticket (一次一评), idempotent by uid, like the real core."""
        stored = self.stored.get(message["ticket_id"])
        if stored is None:
            self.stored[message["ticket_id"]] = message
            return {"type": "rating_ack", "uid": message["uid"], "ok": True, "error": None}
        if stored["uid"] == message["uid"]:
            return {"type": "rating_ack", "uid": message["uid"], "ok": True, "error": None}
        return {"type": "rating_ack", "uid": message["uid"], "ok": False,
                "error": "already_rated"}

    async def send(self, message: dict[str, Any] | str) -> None:
        """Send to the connected agent."""
        assert self._conn is not None, "no agent connected"
        await self._conn.send(message if isinstance(message, str) else json.dumps(message))

    def of_type(self, kind: str) -> list[dict[str, Any]]:
        """Messages received of one type."""
        return [m for m in self.messages if m["type"] == kind]

    async def expect(self, kind: str, count: int = 1, timeout: float = 5.0) -> dict[str, Any]:
        """Wait for the ``count``-th message of ``kind``; return it."""
        async def arrived() -> dict[str, Any]:
            while len(self.of_type(kind)) < count:
                self._changed.clear()
                await self._changed.wait()
            return self.of_type(kind)[count - 1]
        return await asyncio.wait_for(arrived(), timeout)

    async def wait_until(self, predicate: Any, timeout: float = 5.0) -> None:
        """Wait until ``predicate()`` is true."""
        async def reached() -> None:
            while not predicate():
                self._changed.clear()
                await self._changed.wait()
        await asyncio.wait_for(reached(), timeout)
