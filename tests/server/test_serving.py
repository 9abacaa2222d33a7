"""uvicorn's HTTP protocol with each response in one write (`server.serving`): the held head
as exact writes, and a real uvicorn server answering through it (keep-alive, streaming,
websockets, the core's own app)."""

from __future__ import annotations

import asyncio
import socket
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from starlette.applications import Starlette
from starlette.responses import JSONResponse, StreamingResponse
from starlette.routing import Route, WebSocketRoute
from starlette.websockets import WebSocket
from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol
from websockets.sync.client import connect

from server import serving
from server.core import Core
from tests.conftest import login
from tests.events.live import serve_in_thread

HEAD = b"HTTP/1.1 200 OK\r\ncontent-length: 2\r\n\r\n"


class Recorder:
    """A transport that records what is written to it."""

    def __init__(self) -> None:
        self.writes: list[bytes] = []
        self.closed = self.aborted = False
        self.extra = {"peername": ("127.0.0.1", 1)}

    def write(self, data: bytes) -> None:
        self.writes.append(bytes(data))

    def is_closing(self) -> bool:
        return self.closed or self.aborted

    def close(self) -> None:
        self.closed = True

    def abort(self) -> None:
        self.aborted = True

    def get_write_buffer_size(self) -> int:
        return 7

    def get_extra_info(self, name: str, default: Any = None) -> Any:
        return self.extra.get(name, default)


async def test_a_head_goes_out_with_its_body_in_one_write() -> None:
    raw = Recorder()
    held = serving.HeldHead(raw, asyncio.get_running_loop())
    held.write(HEAD)
    assert raw.writes == [] and held.get_write_buffer_size() == 7 + len(HEAD)
    held.write(b"{}")
    assert raw.writes == [HEAD + b"{}"]
    held.write(b"\x81\x02hi")  # anything else (a frame, a chunk) goes at once
    assert raw.writes == [HEAD + b"{}", b"\x81\x02hi"]
    held.write(b"HTTP/1.1 200 OK\r\n")  # not a whole head: at once too
    assert raw.writes[-1] == b"HTTP/1.1 200 OK\r\n"
    assert held.get_extra_info("peername") == ("127.0.0.1", 1)  # the rest passes through
    await asyncio.sleep(0)
    await asyncio.sleep(0)
    assert len(raw.writes) == 3  # nothing was left to flush


async def test_a_head_alone_goes_out_at_the_end_of_the_loops_pass() -> None:
    raw = Recorder()
    held = serving.HeldHead(raw, asyncio.get_running_loop())
    held.write(b"HTTP/1.1 101 Switching Protocols\r\nupgrade: websocket\r\n\r\n")
    assert raw.writes == []
    await asyncio.sleep(0)
    assert raw.writes == [b"HTTP/1.1 101 Switching Protocols\r\nupgrade: websocket\r\n\r\n"]
    held.write(b"\x81\x00")
    assert raw.writes[-1] == b"\x81\x00"


async def test_closing_writes_the_held_head_first_and_aborting_drops_it() -> None:
    raw = Recorder()
    held = serving.HeldHead(raw, asyncio.get_running_loop())
    held.write(HEAD)
    held.close()
    assert raw.writes == [HEAD] and raw.closed
    other = Recorder()
    held = serving.HeldHead(other, asyncio.get_running_loop())
    held.write(HEAD)
    held.abort()
    await asyncio.sleep(0)
    assert other.writes == [] and other.aborted


class Counting(serving.HeldHeadProtocol):
    """The protocol as served, counting the writes that reach the socket."""

    writes = 0

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        real_write = transport.write

        def counted(data: Any) -> None:
            Counting.writes += 1
            real_write(data)

        proxy = type("Proxy", (), {"write": staticmethod(counted),
                                   "__getattr__": lambda _s, n: getattr(transport, n)})()
        HttpToolsProtocol.connection_made(self, serving.HeldHead(proxy, self.loop))  # type: ignore[arg-type]


async def _json(_: Any) -> JSONResponse:
    return JSONResponse({"名": "大厅", "n": 1})


async def _stream(_: Any) -> StreamingResponse:
    async def parts() -> Any:
        for i in range(3):
            yield f"part{i};".encode()
            await asyncio.sleep(0.01)
    return StreamingResponse(parts(), media_type="text/plain")


async def _echo(ws: WebSocket) -> None:
    await ws.accept()
    while True:
        text = await ws.receive_text()
        await ws.send_text(text[::-1])


APP = Starlette(routes=[Route("/json", _json), Route("/stream", _stream),
                        WebSocketRoute("/echo", _echo)])


@pytest.fixture
def served() -> Iterator[str]:
    with serve_in_thread(APP, http=Counting) as url:
        yield url.removeprefix("http://")


def test_a_real_server_answers_each_request_in_one_write(served: str) -> None:
    with httpx.Client(base_url=f"http://{served}") as client:  # one kept-alive connection
        client.get("/json")
        before = Counting.writes
        answers = [client.get("/json") for _ in range(5)]
        assert Counting.writes - before == 5
    assert all(a.status_code == 200 and a.json() == {"名": "大厅", "n": 1} for a in answers)
    # Pipelined on one socket: both answers whole, in order.
    host, port = served.split(":")
    with socket.create_connection((host, int(port))) as raw:
        raw.sendall(b"GET /json HTTP/1.1\r\nhost: x\r\n\r\nGET /json HTTP/1.1\r\nhost: x\r\n\r\n")
        data = b""
        while data.count(b"\xe5\xa4\xa7\xe5\x8e\x85") < 2:
            chunk = raw.recv(65536)
            assert chunk, data
            data += chunk
    assert data.count(b"HTTP/1.1 200 OK") == 2


def test_streaming_and_websockets_still_work(served: str) -> None:
    with httpx.Client(base_url=f"http://{served}") as client:
        r = client.get("/stream")
        assert r.status_code == 200 and r.text == "part0;part1;part2;"
        assert r.headers["transfer-encoding"] == "chunked"
    with connect(f"ws://{served}/echo") as ws:
        for word in ("叫号", "A001"):
            ws.send(word)
            assert ws.recv(timeout=5) == word[::-1]


def test_the_core_is_served_through_it(core: Core) -> None:
    from server.app import create_app

    with serve_in_thread(create_app(core), http=serving.HTTP_PROTOCOL) as url, \
            httpx.Client(base_url=url) as client:
        assert client.get("/api/v1/health").json() == {"status": "ok"}
        assert login(client, "s1")["Authorization"].startswith("Bearer ")  # type: ignore[arg-type]
        r = client.get("/api/v1/halls/h1/services")
        assert r.status_code == 200 and r.headers["x-frame-options"] == "DENY"
        assert "SB01" in r.text
