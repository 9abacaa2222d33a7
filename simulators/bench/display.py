"""`hallq bench display`: call-to-screen latency with many screens connected.

The core runs as real `hallq serve` processes on loopback; the screens are websocket
clients in this benchmark's own process (never the core's), in its event loop, every one
a hall screen (so every event goes to every screen: the worst case). Each call is timed
from the moment the counter's request is sent to the moment each screen has the `call`
message; calls are made one at a time, each once every screen has had all of the previous
call's events (a busy hall makes a few calls a second; a city hall's 20,000 tickets a day
are under one a second on average).

The screens are bare RFC 6455 clients (`RawScreen`, an asyncio protocol that splits
frames and answers pings, nothing more): a full websocket client costs some 50 µs of
Python per message, which for a thousand screens in one process would be 50 ms of the
figure measured, spent in the benchmark rather than in the core.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import os
import statistics
import struct
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import httpx

from server.app import build_core
from server.auth import service as auth
from server.demo.seed import demo_config
from server.halls import flows as hall_flows
from server.settings import Settings
from simulators.bench import harness

ROOT = Path(__file__).resolve().parent.parent
TOKEN = "bench-screen"
PASSWORD = "bench"
ALL_DAY = {d: ["00:00-23:59"] for d in ("mon", "tue", "wed", "thu", "fri", "sat", "sun")}


def _prepare(database: str) -> list[str]:
    """Load the demo hall, open all day, with a screen token; returns its window numbers."""
    config = demo_config(PASSWORD)
    config = config.model_copy(update={
        "hours": ALL_DAY, "calendar": [],
        "rules": config.rules.model_copy(update={"issue_cutoff_min": 0,
                                                 "daily_limit_per_person": 0}),
    })
    core = build_core(Settings(database_url=database, pepper="bench-pepper-0123456"))
    try:
        hall_flows.load(core, config=config)
        auth.register_device(core, hall="demo", name="bench", kind="screen", token=TOKEN)
    finally:
        core.db.dispose()
    return [w.number for w in config.windows if w.open]


class RawScreen(asyncio.Protocol):
    """One screen: a websocket handshake, then unmasked server frames split as they come.

    `on_text(payload)` gets each text message's bytes after the snapshot; pings are
    answered so the core keeps the connection.
    """

    def __init__(self, path: str, host: str, on_text: Callable[[bytes], None]) -> None:
        self.on_text = on_text
        self.buffer = b""
        self.upgraded = False
        self.ready: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self.closed = asyncio.get_running_loop().create_future()
        key = base64.b64encode(os.urandom(16)).decode()
        self.request = (f"GET {path} HTTP/1.1\r\nHost: {host}\r\nUpgrade: websocket\r\n"
                        f"Connection: Upgrade\r\nSec-WebSocket-Key: {key}\r\n"
                        "Sec-WebSocket-Version: 13\r\n\r\n").encode()
        self.transport: asyncio.Transport | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        assert isinstance(transport, asyncio.Transport)
        self.transport = transport
        transport.write(self.request)

    def connection_lost(self, exc: Exception | None) -> None:
        if not self.ready.done():
            self.ready.set_exception(ConnectionError("screen connection lost"))
        if not self.closed.done():
            self.closed.set_result(None)

    def data_received(self, data: bytes) -> None:
        buf = self.buffer + data if self.buffer else data
        if not self.upgraded:
            end = buf.find(b"\r\n\r\n")
            if end < 0:
                self.buffer = buf
                return
            if not buf.startswith(b"HTTP/1.1 101"):
                self.ready.set_exception(ConnectionError(buf[:end].decode(errors="replace")))
                return
            self.upgraded = True
            buf = buf[end + 4:]
        pos, size = 0, len(buf)
        while size - pos >= 2:
            opcode, length = buf[pos] & 0x0F, buf[pos + 1] & 0x7F
            head = 2
            if length == 126:
                if size - pos < 4:
                    break
                (length,) = struct.unpack_from("!H", buf, pos + 2)
                head = 4
            elif length == 127:
                if size - pos < 10:
                    break
                (length,) = struct.unpack_from("!Q", buf, pos + 2)
                head = 10
            if size - pos < head + length:
                break
            payload = buf[pos + head:pos + head + length]
            pos += head + length
            if opcode == 0x1:
                if self.ready.done():
                    self.on_text(payload)
                else:
                    self.ready.set_result(None)  # the snapshot
            elif opcode == 0x9 and self.transport is not None:  # ping: pong, zero mask
                self.transport.write(bytes((0x8A, 0x80 | len(payload))) + b"\0\0\0\0"
                                     + payload)
            elif opcode == 0x8 and self.transport is not None:
                self.transport.close()
        self.buffer = buf[pos:]

    def close(self) -> None:
        """Leave with a close frame (masked with a zero key)."""
        if self.transport is not None and not self.transport.is_closing():
            self.transport.write(b"\x88\x82\0\0\0\0\x03\xe8")
            self.transport.close()


class _Screens:
    """Many hall screens, each noting when the current call reaches it."""

    def __init__(self) -> None:
        self.sockets: list[RawScreen] = []
        self.started = 0.0
        self.samples: list[float] = []
        self.pending = 0
        self.all_in = asyncio.Event()
        # The `queue` event is the last a call sends to hall screens: once every screen
        # has it, the next call starts on a quiet hub.
        self.tail = 0
        self.quiet = asyncio.Event()

    async def open(self, url: str, count: int, batch: int = 50) -> float:
        """Connect `count` screens; returns the seconds it took."""
        t0 = time.perf_counter()
        for start in range(0, count, batch):
            n = min(batch, count - start)
            self.sockets += await asyncio.gather(*(self._one(url) for _ in range(n)))
        return time.perf_counter() - t0

    async def _one(self, url: str) -> RawScreen:
        parts = urlsplit(url)
        path = f"{parts.path}?{parts.query}" if parts.query else parts.path
        loop = asyncio.get_running_loop()
        _, screen = await loop.create_connection(
            lambda: RawScreen(path, parts.netloc, self._message),
            parts.hostname or "127.0.0.1", parts.port or 80)
        await asyncio.wait_for(screen.ready, 60)  # the snapshot
        return screen

    def _message(self, payload: bytes) -> None:
        # Cheap test before parsing: only call messages are timed.
        if b'"type":"call"' in payload:
            self.samples.append(time.perf_counter() - self.started)
            self.pending -= 1
            if self.pending == 0:
                self.all_in.set()
        elif b'"type":"queue"' in payload:
            self.tail -= 1
            if self.tail == 0:
                self.quiet.set()

    async def close(self) -> None:
        """Close every screen."""
        for screen in self.sockets:
            screen.close()
        await asyncio.gather(*(s.closed for s in self.sockets), return_exceptions=True)


async def _measure(call_url: str, screen_url: str, screens: int, calls: int,
                   windows: list[str], cpu: Callable[[], float]) -> dict[str, Any]:
    """Time the calls; `cpu()` is the CPU seconds used so far by the screens' core."""
    ws_url = screen_url.replace("http://", "ws://") + f"/ws/halls/demo/display?token={TOKEN}"
    board = _Screens()
    async with httpx.AsyncClient(base_url=call_url, timeout=30) as http:
        r = await http.post("/api/v1/auth/token",
                            data={"username": "staff1", "password": PASSWORD})
        r.raise_for_status()
        headers = {"Authorization": f"Bearer {r.json()['access_token']}"}
        window = windows[0]
        (await http.post(f"/api/v1/halls/demo/windows/{window}/sign-in", json={"post": "A"},
                         headers=headers)).raise_for_status()
        services = (await http.get("/api/v1/halls/demo/services")).json()
        # Tickets first: their events must not be queued in front of the first call.
        for _ in range(calls):
            (await http.post("/api/v1/halls/demo/tickets", json={"service": services[0]["code"]},
                             headers=headers)).raise_for_status()
        connect_s = await board.open(ws_url, screens)
        lost, requests, spreads = 0, [], []
        cpu0 = cpu()
        for _ in range(calls):
            first = len(board.samples)
            board.all_in.clear()
            board.quiet.clear()
            board.pending = board.tail = screens
            board.started = time.perf_counter()
            # The ticket before was called and never started: its 过号 is confirmed.
            r = await http.post(f"/api/v1/halls/demo/windows/{window}/call-next",
                                json={"confirm_no_show": True}, headers=headers)
            requests.append(time.perf_counter() - board.started)
            r.raise_for_status()
            try:
                await asyncio.wait_for(board.all_in.wait(), 10)
            except TimeoutError:
                lost += board.pending
            arrivals = board.samples[first:]
            if arrivals:
                spreads.append(max(arrivals) - min(arrivals))
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(board.quiet.wait(), 10)
        cpu_per_call = (cpu() - cpu0) / calls
    await board.close()
    return {"connect_s": connect_s, "samples": board.samples, "lost": lost,
            "requests": requests, "spreads": spreads, "cpu_per_call": cpu_per_call}


def _report(title: str, result: dict[str, Any], screens: int, calls: int) -> None:
    samples = sorted(result["samples"])
    if not samples:
        print(f"{title}: no call reached a screen")
        return
    q = statistics.quantiles(samples, n=100, method="inclusive")
    print(f"{title}: {screens} screens connected in {result['connect_s']:.1f} s; "
          f"{calls} calls, {len(samples)} deliveries, {result['lost']} lost")
    print(f"  call-to-screen latency  p50 {q[49] * 1000:.0f} ms   p90 {q[89] * 1000:.0f} ms   "
          f"p99 {q[98] * 1000:.0f} ms   max {samples[-1] * 1000:.0f} ms")
    spreads = sorted(result["spreads"])
    if spreads:
        s = statistics.quantiles(spreads, n=100, method="inclusive") if len(spreads) > 1 \
            else [spreads[0]] * 99
        print(f"  fan-out, first screen to last: p50 {s[49] * 1000:.0f} ms   "
              f"p99 {s[98] * 1000:.0f} ms")
    print(f"  CPU of the core holding the screens: {result['cpu_per_call'] * 1000:.1f} ms "
          f"per call (its call, window and queue events to {screens} screens)")
    requests = sorted(result["requests"])
    print(f"  the call-next request itself: median {statistics.median(requests) * 1000:.0f} ms,"
          f" max {requests[-1] * 1000:.0f} ms (screens usually have the call before the "
          "counter has its answer)")


def run_display_bench(*, screens: int, calls: int, redis_url: str | None = None,
                      postgres_url: str | None = None) -> int:
    """Print call-to-screen latency on one process and, with Redis, across two."""
    print(f"hallq bench display: {screens} hall screens, {calls} calls (loopback)")
    with tempfile.TemporaryDirectory() as tmp:
        database = f"sqlite:///{Path(tmp) / 'bench.db'}"
        windows = _prepare(database)
        with harness.hallq_serve(database) as server:
            result = asyncio.run(_measure(server.url, server.url, screens, calls, windows,
                                          server.cpu))
        _report("one process, in-memory fan-out", result, screens, calls)
    if not redis_url:
        print("two processes: skipped (give --redis URL or set HALLQ_TEST_REDIS_URL)")
        return 0
    with contextlib.ExitStack() as stack:
        if postgres_url:
            database = stack.enter_context(harness.postgres_schema(postgres_url))
            kind = "PostgreSQL"
        else:
            tmp = stack.enter_context(tempfile.TemporaryDirectory())
            database, kind = f"sqlite:///{Path(tmp) / 'bench.db'}", "SQLite"
        windows = _prepare(database)
        env = {"HALLQ_REDIS_URL": redis_url}
        a = stack.enter_context(harness.hallq_serve(database, env))
        b = stack.enter_context(harness.hallq_serve(database, env))
        result = asyncio.run(_measure(a.url, b.url, screens, calls, windows, b.cpu))
    _report(f"two processes over Redis and {kind} (call on A, screens on B)", result, screens,
            calls)
    return 0
