"""Redis's protocol spoken directly (`server.events.resp`, `server.events.redis_wire`): the
codec as exact bytes, and the connection against the real Redis server."""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import json
from collections.abc import AsyncIterator
from typing import Any

import pytest
import redis
from hypothesis import given
from hypothesis import strategies as st

from server.events.redis_bus import _PUBLISH_SHA, RedisBus
from server.events.redis_wire import RedisWire, WireClosed
from server.events.resp import Parser, ProtocolError, ReplyError, command
from tests.conftest import redis_url

# -- the codec ---------------------------------------------------------------------------


def test_a_command_is_an_array_of_bulk_strings() -> None:
    assert command("SET", "k", 12) == b"*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$2\r\n12\r\n"
    assert command("PUBLISH", "大厅", b"\x00|\r\n") == (
        b"*3\r\n$7\r\nPUBLISH\r\n$6\r\n\xe5\xa4\xa7\xe5\x8e\x85\r\n$4\r\n\x00|\r\n\r\n")
    for bad in (True, 1.5, None):
        with pytest.raises(TypeError):
            command("SET", "k", bad)  # type: ignore[arg-type]


def test_every_kind_of_reply() -> None:
    wire = (b"+OK\r\n:-42\r\n$5\r\nhe\r\no\r\n$-1\r\n*-1\r\n*0\r\n"
            b"*3\r\n$7\r\nmessage\r\n$2\r\nch\r\n*2\r\n:1\r\n$0\r\n\r\n"
            b"-NOSCRIPT No matching script.\r\n")
    replies = Parser().feed(wire)
    assert replies[:7] == [b"OK", -42, b"he\r\no", None, None, [],
                           [b"message", b"ch", [1, b""]]]
    error = replies[7]
    assert isinstance(error, ReplyError) and error.kind == "NOSCRIPT"
    assert str(error) == "NOSCRIPT No matching script."


def _encode(value: Any) -> bytes:
    """A reply as the server sends it (the test's own encoder)."""
    if value is None:
        return b"$-1\r\n"
    if isinstance(value, int):
        return b":%d\r\n" % value
    if isinstance(value, bytes):
        return b"$%d\r\n%s\r\n" % (len(value), value)
    return b"*%d\r\n" % len(value) + b"".join(_encode(v) for v in value)


replies = st.recursive(st.none() | st.integers(-2**63, 2**63 - 1) | st.binary(max_size=40),
                       lambda inner: st.lists(inner, max_size=4), max_leaves=12)


@given(values=st.lists(replies, min_size=1, max_size=6), cuts=st.lists(st.integers(0, 400)))
def test_replies_come_out_whole_however_the_bytes_are_cut(values: list[Any],
                                                           cuts: list[int]) -> None:
    data = b"".join(_encode(v) for v in values)
    bounds = sorted({0, len(data), *(c % (len(data) + 1) for c in cuts)})
    parser, got = Parser(), []
    for start, end in itertools.pairwise(bounds):
        got += parser.feed(data[start:end])
    assert got == values


def test_bytes_that_are_not_resp_are_refused() -> None:
    with pytest.raises(ProtocolError):
        Parser().feed(b"?what\r\n")
    with pytest.raises(ProtocolError):
        Parser().feed(b"$2\r\nabcd\r\n")  # a bulk string longer than it said
    with pytest.raises(ProtocolError):
        Parser().feed(b":twelve\r\n")


# -- the connection, against the real server ---------------------------------------------

needs_redis = pytest.mark.redis


@pytest.fixture
async def wire() -> AsyncIterator[RedisWire]:
    connection = await RedisWire.open(redis_url(), name="hallq-test-wire")
    yield connection
    connection.close()


@pytest.fixture
def admin() -> Any:
    client = redis.Redis.from_url(redis_url())
    yield client
    client.close()


@needs_redis
async def test_commands_and_their_replies_in_order(wire: RedisWire, admin: Any,
                                                   prefix: str) -> None:
    key = f"{prefix}:n"
    assert await wire.call("SET", key, "7") == b"OK"
    assert await wire.call("GET", key) == b"7"
    assert await wire.call("GET", f"{prefix}:none") is None
    # Many in flight at once: each gets its own reply.
    counts = await asyncio.gather(*(wire.call("INCR", key) for _ in range(100)))
    assert counts == list(range(8, 108))
    assert int(admin.get(key)) == 107  # the same database (the URL's)
    with pytest.raises(ReplyError) as err:
        await wire.call("INCR", f"{prefix}:n", "extra")
    assert err.value.kind == "ERR"
    assert await wire.call("GET", key) == b"107"  # the connection goes on after an error
    names = [c["name"] for c in admin.client_list()]
    assert "hallq-test-wire" in names


@needs_redis
async def test_pushes_of_a_subscription(wire: RedisWire, admin: Any, prefix: str) -> None:
    channel = f"{prefix}:events:h1"
    wire.subscribe(channel, f"{prefix}:other")
    got: list[list[Any]] = []
    while len(got) < 2:
        got += await wire.pushes()
    assert got == [[b"subscribe", channel.encode(), 1],
                   [b"subscribe", f"{prefix}:other".encode(), 2]]
    for i in range(3):
        admin.publish(channel, f"{i}|[]")
    got = []
    while len(got) < 3:
        got += await wire.pushes()
    assert got == [[b"message", channel.encode(), f"{i}|[]".encode()] for i in range(3)]
    wire.unsubscribe(channel)
    assert await wire.pushes() == [[b"unsubscribe", channel.encode(), 1]]


@needs_redis
async def test_a_connection_killed_by_the_server_says_so(wire: RedisWire, admin: Any) -> None:
    wire.subscribe("hallq-test-killed")
    assert (await wire.pushes())[0][0] == b"subscribe"
    ids = [c["id"] for c in admin.client_list() if c["name"] == "hallq-test-wire"]
    admin.client_kill_filter(_id=ids[0])
    with pytest.raises(WireClosed):
        await asyncio.wait_for(wire.pushes(), 5)
    assert wire.closed
    with pytest.raises(WireClosed):
        await wire.call("PING")


async def test_a_server_that_does_not_answer_times_out() -> None:
    accepted: list[asyncio.StreamWriter] = []

    async def silent(_: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        accepted.append(writer)  # reads nothing, answers nothing

    server = await asyncio.start_server(silent, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    try:
        loop = asyncio.get_running_loop()
        started = loop.time()
        with pytest.raises(WireClosed, match="no reply"):
            await RedisWire.open(f"redis://127.0.0.1:{port}/0", name="x", timeout=0.3)
        assert loop.time() - started < 2
    finally:
        for writer in accepted:
            writer.close()
        server.close()
        with contextlib.suppress(Exception):
            await server.wait_closed()


async def test_nothing_listening_and_bad_urls_are_clear_errors() -> None:
    server = await asyncio.start_server(lambda r, w: None, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    server.close()
    await server.wait_closed()
    with pytest.raises(OSError):
        await RedisWire.open(f"redis://127.0.0.1:{port}/0", name="x")
    with pytest.raises(ValueError, match="not a Redis URL"):
        await RedisWire.open("http://127.0.0.1:6379/0", name="x")


@needs_redis
async def test_a_password_the_server_does_not_want_is_refused_on_opening() -> None:
    url = redis_url().replace("redis://", "redis://:wrong-password@", 1)
    with pytest.raises(ReplyError):
        await RedisWire.open(url, name="x")


@needs_redis
async def test_the_publishing_script_is_sent_whole_when_redis_lost_it(
        wire: RedisWire, admin: Any, prefix: str) -> None:
    listener = await RedisWire.open(redis_url(), name="hallq-test-listener")
    try:
        channel = f"{prefix}:events:h1"
        listener.subscribe(channel)
        await listener.pushes()
        admin.script_flush()  # a restarted or flushed Redis
        keys = [f"{prefix}:seq:h1", channel]
        await RedisBus._evalsha(wire, keys, [2, json.dumps([{"type": "a"}, {"type": "b"}])])
        assert admin.script_exists(_PUBLISH_SHA) == [True]  # kept for the next time
        await RedisBus._evalsha(wire, keys, [1, json.dumps([{"type": "c"}])])
        got: list[list[Any]] = []
        while len(got) < 2:
            got += await listener.pushes()
        assert [p[2] for p in got] == [b'1|[{"type": "a"}, {"type": "b"}]',
                                       b'3|[{"type": "c"}]']
        assert int(admin.get(f"{prefix}:seq:h1")) == 3
    finally:
        listener.close()
