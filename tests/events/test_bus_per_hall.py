"""The Redis bus per hall: a process receives only the halls it follows (a held picture, a
socket), subscribes when one is needed, resyncs what it subscribed to anew, and
unsubscribes when the last follower is gone."""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import redis

from server.app import build_core
from server.auth.principal import Principal
from server.clock import ManualClock
from server.core import Core
from server.events.redis_bus import RedisBus
from server.halls import service as halls
from server.settings import Settings
from server.tickets import flows as tickets
from server.tickets.picture import HallPicture, Pictures
from tests.conftest import redis_url
from tests.events.live import all_day_hall
from tests.loop_thread import LoopThread

pytestmark = pytest.mark.redis

KIOSK = Principal(roles=frozenset({"device", "kiosk"}), device_id=None)


def _wait(check: Callable[[], bool], what: str, timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    while not check():
        assert time.monotonic() < deadline, what
        time.sleep(0.02)


@pytest.fixture
def two_cores(tmp_path: Path, clock: ManualClock, prefix: str,
              loop: LoopThread) -> Iterator[tuple[Core, Core]]:
    """Two cores on one database following each other over Redis, as two processes."""
    url = f"sqlite:///{tmp_path / 'h.db'}"
    cores = []
    for _ in range(2):
        core = build_core(Settings(database_url=url, pepper="p", redis_url=redis_url()),
                          clock=clock, bus=RedisBus(redis_url(), prefix=prefix))
        loop.run(core.bus.start())
        cores.append(core)
    all_day_hall(cores[0])
    yield cores[0], cores[1]
    for core in cores:
        loop.run(core.bus.stop())
        core.bus.close()
        core.db.dispose()


def _bus(core: Core) -> RedisBus:
    assert isinstance(core.bus, RedisBus)
    return core.bus


def _subscribers(prefix: str, hall: str) -> int:
    client = redis.Redis.from_url(redis_url())
    try:
        return int(client.pubsub_numsub(f"{prefix}:events:{hall}")[0][1])
    finally:
        client.close()


def test_a_bus_receives_only_the_halls_it_follows(prefix: str, loop: LoopThread) -> None:
    a, b = RedisBus(redis_url(), prefix=prefix), RedisBus(redis_url(), prefix=prefix)
    got: list[tuple[str, Any]] = []
    a.add_listener(lambda hall, event: got.append((hall, event.get("n"))))
    loop.run(a.start())
    try:
        assert loop.run(a.followed("h1", "screen")) is True
        assert a.following() == {"h1"}
        assert _subscribers(prefix, "h1") == 1 and _subscribers(prefix, "h2") == 0
        for n in range(20):
            b.publish("h2", {"type": "queue", "n": n})
            if n % 4 == 0:
                b.publish("h1", {"type": "queue", "n": n})
        _wait(lambda: a.received.get("h1", 0) == 5, "hall h1's events did not arrive")
        assert a.received.get("h2", 0) == 0
        assert [n for hall, n in got if hall == "h1" and n is not None] == [0, 4, 8, 12, 16]
        assert not [hall for hall, _ in got if hall == "h2"]
        assert a.current_seq("h1") == 5
        # The last follower leaves: unsubscribed; nothing of h1 arrives any more.
        a.unfollow("h1", "screen")
        _wait(lambda: _subscribers(prefix, "h1") == 0, "h1 was not unsubscribed")
        assert a.following() == set()
        b.publish("h1", {"type": "queue", "n": 99})
        time.sleep(0.2)
        assert a.received["h1"] == 5
    finally:
        loop.run(a.stop())
        a.close()
        b.close()


def test_a_hall_followed_anew_starts_from_its_current_seq_and_resyncs(
        prefix: str, loop: LoopThread) -> None:
    a, b = RedisBus(redis_url(), prefix=prefix), RedisBus(redis_url(), prefix=prefix)
    resyncs: list[dict[str, Any]] = []
    a.add_listener(lambda hall, event: resyncs.append({**event, "at": hall})
                   if event.get("type") == "resync" else None)
    loop.run(a.start())
    try:
        for _ in range(7):
            b.publish("h3", {"type": "queue"})  # before a follows h3: never received
        ready = a.follow("h3", "picture")
        assert ready.wait(10)
        assert a.received.get("h3", 0) == 0
        assert a.current_seq("h3") == 7  # the baseline: the next event is 8, no gap
        assert resyncs == [{"type": "resync", "hall": "h3", "seq": 7, "renewed": False,
                            "at": "h3"}]
        b.publish("h3", {"type": "queue"})
        _wait(lambda: a.current_seq("h3") == 8, "the next event did not arrive")
    finally:
        loop.run(a.stop())
        a.close()
        b.close()


def test_an_unfollowed_hall_still_reaches_this_process_listeners(prefix: str,
                                                                 loop: LoopThread) -> None:
    """Notices and card reads listen process-wide: a process's own events of a hall it
    does not follow are handed to them directly (Redis will not bring them back)."""
    a = RedisBus(redis_url(), prefix=prefix)
    got: list[tuple[str, Any]] = []
    a.add_listener(lambda hall, event: got.append((hall, event.get("type"))))
    loop.run(a.start())
    try:
        a.publish("h4", {"type": "idcard"})
        assert got == [("h4", "idcard")]
        assert loop.run(a.followed("h4", "kiosk")) is True
        got.clear()
        a.publish("h4", {"type": "idcard"})
        _wait(lambda: ("h4", "idcard") in got, "a followed hall's own event did not return")
        time.sleep(0.1)
        assert got.count(("h4", "idcard")) == 1  # once, from Redis
    finally:
        loop.run(a.stop())
        a.close()


def test_two_cores_follow_only_the_halls_they_hold(two_cores: tuple[Core, Core],
                                                  prefix: str) -> None:
    a, b = two_cores
    for _ in range(3):
        tickets.issue(b, hall="h1", service="SB01", actor=KIOSK)
    # A holds no picture of h1 and serves no screen of it: it receives none of its events.
    assert "h1" not in _bus(a).following()
    assert _bus(a).received.get("h1", 0) == 0
    assert _bus(b).received.get("h1", 0) > 0
    # A takes h1: it subscribes, then loads, so B's earlier tickets and every later one
    # are in its picture.
    tickets.issue(a, hall="h1", service="SB01", actor=KIOSK)
    assert "h1" in _bus(a).following()
    for _ in range(2):
        tickets.issue(b, hall="h1", service="SB01", actor=KIOSK)
    with a.db.read_session() as db:
        hall_id = halls.get_hall(db, "h1").id

    def six() -> bool:
        pic = a.pictures.held(hall_id)
        return pic is not None and len(pic.waiting()) == 6
    _wait(six, "core A's picture did not follow core B")
    # A drops its picture: it unsubscribes and receives nothing of h1 any more.
    a.pictures.drop(hall_id)
    _wait(lambda: "h1" not in _bus(a).following() and _subscribers(prefix, "h1") == 1,
          "core A did not unsubscribe")
    before = _bus(a).received.get("h1", 0)
    tickets.issue(b, hall="h1", service="SB01", actor=KIOSK)
    time.sleep(0.2)
    assert _bus(a).received.get("h1", 0) == before


def test_a_picture_loaded_before_its_subscription_reloads() -> None:
    """A load that could not wait for the hall's subscription (Redis slow) is marked
    stale when the subscription is confirmed; one loaded after it is not; after a lost
    connection (`renewed`) every picture reloads."""
    never = threading.Event()
    pictures = Pictures(shared=True, current_seq=lambda hall: 0, publish=None,
                        follow=lambda hall, owner: never, unfollow=lambda hall, owner: None)
    early = HallPicture(1, "h1", None, None, True)
    early.followed = False
    late = HallPicture(2, "h2", None, None, True)
    pictures._halls.update({1: early, 2: late})
    pictures._codes.update({"h1": 1, "h2": 2})
    pictures.on_event("h1", {"type": "resync", "seq": 3, "renewed": False})
    pictures.on_event("h2", {"type": "resync", "seq": 3, "renewed": False})
    assert early.stale and not late.stale
    pictures.on_event("h2", {"type": "resync", "seq": 9, "renewed": True})
    assert late.stale


def test_a_poll_follows_the_hall_for_a_while(prefix: str, loop: LoopThread) -> None:
    """A kiosk polling card or scanner reads follows the hall until its lease ends."""
    a = RedisBus(redis_url(), prefix=prefix)
    loop.run(a.start())
    try:
        a.follow_for("h5", 0.5)
        _wait(lambda: "h5" in a.following(), "a poll did not subscribe")
        assert _subscribers(prefix, "h5") == 1
        _wait(lambda: _subscribers(prefix, "h5") == 0, "the lease did not end")
        assert a.following() == set()
    finally:
        loop.run(a.stop())
        a.close()


def test_the_hub_lets_go_of_an_idle_hall_without_any_request(
        two_cores: tuple[Core, Core], prefix: str, loop: LoopThread,
        monkeypatch: pytest.MonkeyPatch) -> None:
    """A process that stops getting requests still drops its idle pictures (the hub sweeps
    every minute, here every 50 ms) and stops receiving the hall's traffic."""
    from server.events import hub as hub_module
    from server.tickets import picture as picture_module
    a, b = two_cores
    tickets.issue(a, hall="h1", service="SB01", actor=KIOSK)
    with a.db.read_session() as db:
        hall_id = halls.get_hall(db, "h1").id
    assert a.pictures.held(hall_id) is not None
    assert "h1" in _bus(a).following()
    monkeypatch.setattr(picture_module, "IDLE_S", 0.1)
    monkeypatch.setattr(hub_module, "SWEEP_S", 0.05)
    hub = hub_module.Hub(a)

    async def start() -> None:  # the hub's own start, without a second bus start
        hub._sweeper = asyncio.create_task(hub._sweep_pictures())
    loop.run(start())
    try:
        _wait(lambda: hall_id not in a.pictures._halls, "the idle picture was not dropped")
        # B never touched h1: once A lets go, nobody is subscribed to it.
        _wait(lambda: "h1" not in _bus(a).following() and _subscribers(prefix, "h1") == 0,
              "core A still follows the idle hall")
        before = _bus(a).received.get("h1", 0)
        tickets.issue(b, hall="h1", service="SB01", actor=KIOSK)
        time.sleep(0.2)
        assert _bus(a).received.get("h1", 0) == before
    finally:
        async def stop() -> None:
            assert hub._sweeper is not None
            hub._sweeper.cancel()
        loop.run(stop())
