"""A client that never reads must not slow the others; it is resynced, then dropped."""

from __future__ import annotations

import asyncio
import base64
import os
import socket
import time

from websockets.asyncio.client import connect

from tests.events.conftest import Live
from tests.events.live import SCREEN_TOKEN, next_message

PAD = "x" * 65536


def _stalled_client(url_host: str, port: int, path: str) -> socket.socket:
    """Open a websocket by hand, read the handshake answer, then never read again."""
    sock = socket.socket()
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    sock.connect((url_host, port))
    key = base64.b64encode(os.urandom(16)).decode()
    sock.sendall((f"GET {path} HTTP/1.1\r\nHost: {url_host}:{port}\r\nUpgrade: websocket\r\n"
                  f"Connection: Upgrade\r\nSec-WebSocket-Key: {key}\r\n"
                  "Sec-WebSocket-Version: 13\r\n\r\n").encode())
    answer = b""
    while b"\r\n\r\n" not in answer:
        answer += sock.recv(1)
    assert answer.startswith(b"HTTP/1.1 101"), answer
    return sock


async def test_slow_client_is_resynced_and_dropped_without_slowing_others(live: Live) -> None:
    live.hub.queue_size, live.hub.send_timeout = 32, 2.0
    port = int(live.url.rsplit(":", 1)[1])
    stalled = _stalled_client("127.0.0.1", port,
                              f"/ws/halls/h1/display?token={SCREEN_TOKEN}")
    try:
        async with connect(live.ws(f"/ws/halls/h1/display?token={SCREEN_TOKEN}"),
                           max_size=None) as ws:
            await next_message(ws, "snapshot")
            deadline = time.monotonic() + 5
            while live.hub.connections("h1") < 2 and time.monotonic() < deadline:
                await asyncio.sleep(0.02)
            assert live.hub.connections("h1") == 2
            started = time.monotonic()
            # 200 events of 64 KiB at a pace a reader keeps up with: far more than a socket
            # that is never read can take.
            for i in range(200):
                await asyncio.to_thread(live.core.bus.publish, "h1",
                                        {"type": "queue", "waiting": {}, "n": i, "pad": PAD})
                await asyncio.sleep(0.005)
            last = await next_message(ws, "queue", timeout=5, n=199)
            assert time.monotonic() - started < 5 and last["n"] == 199
            slow = [s for s in live.hub.subscriptions("h1") if s.resyncs]
            assert len(slow) == 1, "the stalled client should have been resynced"
            assert slow[0].queue.qsize() <= 32
            # It accepts nothing for send_timeout seconds: the hub lets it go.
            deadline = time.monotonic() + 10
            while live.hub.dropped < 1 and time.monotonic() < deadline:
                await asyncio.sleep(0.1)
            assert live.hub.dropped == 1 and live.hub.connections("h1") == 1
            # The reader that kept up is still served.
            await asyncio.to_thread(live.core.bus.publish, "h1", {"type": "queue",
                                                                  "waiting": {}, "n": -1})
            assert (await next_message(ws, "queue", n=-1))["n"] == -1
    finally:
        stalled.close()
