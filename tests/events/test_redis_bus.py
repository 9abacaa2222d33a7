"""The Redis bus: numbering across publishers, and a resync after the subscription is lost."""

from __future__ import annotations

import asyncio
import socket
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import redis
from websockets.asyncio.client import connect

from server.app import build_core, create_app
from server.clock import ManualClock
from server.core import Core
from server.events.bus import Batch
from server.events.redis_bus import RedisBus
from server.settings import Settings
from tests.conftest import redis_url
from tests.events.live import SCREEN_TOKEN, all_day_hall, next_message, serve_in_thread, ws_url

pytestmark = pytest.mark.redis


@pytest.fixture
def redis_core(tmp_path: Path, clock: ManualClock, prefix: str) -> Iterator[Core]:
    """A core on SQLite whose bus is Redis."""
    core = build_core(Settings(database_url=f"sqlite:///{tmp_path / 'h.db'}", pepper="p"),
                      clock=clock, bus=RedisBus(redis_url(), prefix=prefix))
    all_day_hall(core)
    yield core
    core.db.dispose()


async def test_two_buses_number_one_sequence(prefix: str) -> None:
    a, b = RedisBus(redis_url(), prefix=prefix), RedisBus(redis_url(), prefix=prefix)
    got: list[tuple[str, int]] = []
    b.add_listener(lambda hall, event: got.append((event["from"], event["seq"])))
    await b.start()
    try:
        assert await b.followed("h1", "test")  # a process receives the halls it follows
        for i in range(10):
            await asyncio.to_thread((b if i % 2 else a).publish, "h1",
                                    {"type": "queue", "from": "ab"[i % 2]})
        deadline = asyncio.get_running_loop().time() + 5
        while len(got) < 10 and asyncio.get_running_loop().time() < deadline:
            await asyncio.sleep(0.02)
        assert [s for _, s in got] == list(range(1, 11))
        assert [f for f, _ in got] == ["a", "b"] * 5
        assert b.current_seq("h1") == 10
    finally:
        await b.stop()
        a.close()
        b.close()


async def test_a_message_holds_a_run_of_events_and_bad_ones_are_dropped(prefix: str) -> None:
    bus = RedisBus(redis_url(), prefix=prefix)
    got: list[tuple[str, int | None]] = []
    bus.add_listener(lambda hall, event: got.append((event["n"], event["seq"]))
                     if event.get("type") == "queue" else None)
    raw = redis.Redis.from_url(redis_url())
    await bus.start()
    try:
        assert await bus.followed("h1", "test")
        channel = f"{prefix}:events:h1"
        for message in ("x|{}", "5|[1,2]", "6|not json", "7|{\"n\": \"one\"", "no bar",
                        '8|{"type":"queue","n":"old form"}',
                        '9|[{"type":"queue","n":"a"},{"type":"queue","n":"b"}]'):
            raw.publish(channel, message)
        # A batch of the bus itself: two halls' events, each hall's run one message.
        await asyncio.to_thread(bus.send_batches, [_batch(bus, [
            ("h1", {"type": "queue", "n": "c"}), ("h1", {"type": "queue", "n": "d"}),
            ("h2", {"type": "queue", "n": "other hall"}), ("h1", {"type": "queue", "n": "e"})])])
        deadline = asyncio.get_running_loop().time() + 5
        while len(got) < 6 and asyncio.get_running_loop().time() < deadline:
            await asyncio.sleep(0.02)
        # h2 is not followed: its event is delivered here directly, unnumbered. h1's come
        # back from Redis numbered by its sequence (which the hand-made messages above did
        # not take): c and d as one message, e as the next.
        assert ("other hall", None) in got
        assert [g for g in got if g[0] != "other hall"] == [
            ("old form", 8), ("a", 9), ("b", 10), ("c", 1), ("d", 2), ("e", 3)]
        assert int(raw.get(f"{prefix}:seq:h2") or 0) == 1
    finally:
        await bus.stop()
        bus.close()
        raw.close()


def _batch(bus: RedisBus, events: list[tuple[str, dict[str, str]]]) -> Batch:
    batch = bus.batch()
    batch.events.extend(events)
    return batch


async def test_lost_subscription_resyncs_every_screen(redis_core: Core, prefix: str) -> None:
    with serve_in_thread(create_app(redis_core)) as url:
        async with connect(ws_url(url, f"/ws/halls/h1/display?token={SCREEN_TOKEN}")) as ws:
            await next_message(ws, "snapshot")
            await asyncio.to_thread(redis_core.bus.publish, "h1", {"type": "hall",
                                                                   "scroll_text": "一"})
            assert (await next_message(ws, "hall"))["seq"] > 0
            admin = redis.Redis.from_url(redis_url())
            ids = [c["id"] for c in admin.client_list() if c["name"] == f"{prefix}-events"]
            assert len(ids) == 1
            admin.client_kill_filter(_id=ids[0])
            admin.close()
            # Events published while unsubscribed are lost: the screen is sent the truth.
            snap = await next_message(ws, "snapshot", timeout=10)
            assert snap["hall"] == "h1"
            await asyncio.to_thread(redis_core.bus.publish, "h1", {"type": "hall",
                                                                   "scroll_text": "二"})
            assert (await next_message(ws, "hall", timeout=5))["scroll_text"] == "二"


def test_redis_down_delivers_locally_without_hanging_the_flow() -> None:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]  # nothing listens here once closed
    bus = RedisBus(f"redis://127.0.0.1:{port}/0", prefix="hallq-test-down")
    got: list[dict[str, object]] = []
    bus.add_listener(lambda hall, event: got.append(event))
    started = time.monotonic()
    for _ in range(5):
        bus.publish("h1", {"type": "window", "number": "3", "state": "idle"})
    assert time.monotonic() - started < 3  # one short timeout, not one per event
    assert [(e["seq"], e["window"], e["hall"]) for e in got] == [(None, "3", "h1")] * 5
    bus.close()
