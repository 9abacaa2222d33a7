"""The crowd simulator's lean HTTP client (`simulators.crowd.http`), against real sockets:
a real core for the usual answers, and a bare TCP server for the framings and failures."""

from __future__ import annotations

import asyncio
import json

import pytest

from simulators.crowd.http import LeanClient, TransportError


async def _serve(answers: list[bytes], requests: list[bytes],
                 close_after: int | None = None) -> asyncio.Server:
    """A server that answers each request with the next of `answers` (keeps them in
    `requests`); it closes a connection after `close_after` requests on it."""

    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        served = 0
        try:
            while True:
                head = await reader.readuntil(b"\r\n\r\n")
                length = 0
                for line in head.split(b"\r\n"):
                    if line.lower().startswith(b"content-length:"):
                        length = int(line.split(b":")[1])
                requests.append(head + await reader.readexactly(length))
                writer.write(answers.pop(0))
                await writer.drain()
                served += 1
                if close_after is not None and served >= close_after:
                    break
        except asyncio.IncompleteReadError:
            pass
        writer.close()

    return await asyncio.start_server(handle, "127.0.0.1", 0)


def _url(server: asyncio.Server) -> str:
    return f"http://127.0.0.1:{server.sockets[0].getsockname()[1]}"


@pytest.mark.asyncio
async def test_framings_bodies_and_one_kept_connection() -> None:
    requests: list[bytes] = []
    answers = [
        b'HTTP/1.1 201 Created\r\ncontent-length: 13\r\ncontent-type: application/json\r\n'
        b'\r\n{"number": 1}',
        b"HTTP/1.1 200 OK\r\ntransfer-encoding: chunked\r\n\r\n"
        b"4\r\n[1, \r\n3\r\n2]\n\r\n0\r\n\r\n",
        b"HTTP/1.1 204 No Content\r\n\r\n",
    ]
    server = await _serve(answers, requests)
    async with server, LeanClient(_url(server), size=4) as client:
        r = await client.request("POST", "/t", json={"service": "社保"},
                                 headers={"Authorization": "Bearer k"})
        assert r.status_code == 201 and r.json() == {"number": 1}
        r = await client.request("GET", "/q", params={"day": "2026-11-24", "a": "x y"})
        assert r.status_code == 200 and r.json() == [1, 2]
        r = await client.request("POST", "/login", data={"username": "s1", "password": "p"})
        assert r.status_code == 204 and r.content == b""
    first, second, third = requests
    assert first.startswith(b"POST /t HTTP/1.1\r\n") and b"Authorization: Bearer k" in first
    assert json.loads(first.split(b"\r\n\r\n", 1)[1]) == {"service": "社保"}
    assert second.startswith(b"GET /q?day=2026-11-24&a=x+y HTTP/1.1")
    assert third.endswith(b"\r\n\r\nusername=s1&password=p")
    assert b"application/x-www-form-urlencoded" in third


@pytest.mark.asyncio
async def test_a_connection_closed_by_the_server_is_replaced() -> None:
    requests: list[bytes] = []
    ok = b"HTTP/1.1 200 OK\r\ncontent-length: 2\r\n\r\n{}"
    server = await _serve([ok, ok, ok], requests, close_after=1)
    async with server, LeanClient(_url(server), size=1) as client:
        for _ in range(3):  # each kept connection is closed by the server after one answer
            assert (await client.request("GET", "/health")).json() == {}
    assert len(requests) == 3


@pytest.mark.asyncio
async def test_no_server_and_a_cut_answer_are_transport_errors() -> None:
    requests: list[bytes] = []
    server = await _serve([b"HTTP/1.1 200 OK\r\ncontent-length: 10\r\n\r\n{}"], requests,
                          close_after=1)
    url = _url(server)
    async with server, LeanClient(url, size=1) as client:
        with pytest.raises(TransportError):
            await client.request("GET", "/cut")  # 10 bytes announced, 2 sent, then closed
    server.close()
    await server.wait_closed()
    async with LeanClient(url, size=1, timeout=5) as client:
        with pytest.raises(TransportError):
            await client.request("GET", "/health")
