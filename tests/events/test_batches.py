"""A flow run by `Database.run_write` publishes its events together after it ends: in the
order the flows committed, each flow's events in its own order, nothing of a flow refused
inside its transaction, and over Redis in one round trip per flow."""

from __future__ import annotations

import asyncio
import json
import threading
from functools import partial
from pathlib import Path
from typing import Any

import pytest
import redis

from server.app import build_core
from server.auth.principal import Principal
from server.clock import ManualClock
from server.core import Core
from server.errors import NotFound
from server.events.bus import Event, EventBus
from server.events.hub import Hub
from server.events.redis_bus import RedisBus
from server.events.wire import Wire
from server.settings import Settings
from server.tickets import flows as tickets
from server.tickets.schemas import TicketRead
from tests.conftest import redis_url
from tests.events.live import all_day_hall
from tests.events.test_wire import _Protocol
from tests.loop_thread import LoopThread

KIOSK = Principal(roles=frozenset({"device", "kiosk"}), device_id=None)
FLOWS = 30


def _issue(core: Core) -> TicketRead:
    return tickets.issue(core, hall="h1", service="SB01", actor=KIOSK)


def _number(ticket: str) -> int:
    return int(ticket.lstrip("ABCDEFGHIJKLMNOPQRSTUVWXYZ"))


def _recorder(bus: EventBus) -> list[Event]:
    got: list[Event] = []
    bus.add_listener(lambda hall, event: got.append(event) if hall == "h1" else None)
    return got


def _flows_of(events: list[Event]) -> list[list[Event]]:
    """The events cut into flows: each issue's events end with its `queue` event."""
    out: list[list[Event]] = [[]]
    for event in events:
        if event["type"] == "resync":
            continue
        out[-1].append(event)
        if event["type"] == "queue":
            out.append([])
    assert out[-1] == [], [e["type"] for e in out[-1]]
    return out[:-1]


@pytest.mark.postgres
async def test_concurrent_flows_publish_in_commit_order(pg_url: str, clock: ManualClock) -> None:
    # Issues run side by side in the threadpool (PostgreSQL); the ticket number is taken
    # under a row lock held until the COMMIT, so numbers are the commit order.
    core = build_core(Settings(database_url=pg_url, pepper="p"), clock=clock, bus=EventBus())
    try:
        all_day_hall(core)
        got = _recorder(core.bus)
        issued = await asyncio.gather(*(core.db.run_write(partial(_issue, core))
                                        for _ in range(FLOWS)))
        assert len({t.number for t in issued}) == FLOWS
        flows = _flows_of(got)
        assert [[e["type"] for e in f] for f in flows] == [["ticket_issued", "queue"]] * FLOWS
        numbers = [_number(f[0]["ticket"]) for f in flows]
        assert numbers == sorted(numbers)
        first = got[0]["seq"]
        assert [e["seq"] for e in got] == list(range(first, first + 2 * FLOWS))
        # The last queue event counts every ticket: it is the last flow's.
        assert flows[-1][-1]["waiting"]["SB01"] == FLOWS
    finally:
        core.db.dispose()


async def test_events_go_out_after_the_flow_once_per_flow(core: Core) -> None:
    got: list[tuple[str, Event, bool]] = []
    in_flow = threading.Event()
    core.bus.add_listener(lambda hall, event: got.append((hall, event, in_flow.is_set())))

    def flow() -> TicketRead:
        in_flow.set()
        try:
            ticket = tickets.issue(core, hall="h1", service="SB01", actor=KIOSK)
            assert got == []  # published by the flow, not sent yet
            return ticket
        finally:
            in_flow.clear()

    ticket = await core.db.run_write(flow)
    assert [e["type"] for _, e, _ in got] == ["ticket_issued", "queue"]
    assert got[0][1]["ticket"] == ticket.number
    assert not any(during for _, _, during in got)  # delivered after the flow ended
    # Outside run_write (sync routes, workers, tests) a flow publishes as it goes.
    got.clear()
    tickets.issue(core, hall="h1", service="SB01", actor=KIOSK)
    assert [e["type"] for _, e, _ in got] == ["ticket_issued", "queue"]


async def test_a_flow_refused_in_its_transaction_publishes_nothing(core: Core) -> None:
    got = _recorder(core.bus)
    with pytest.raises(NotFound):
        await core.db.run_write(partial(tickets.issue, core, hall="h1", service="NOPE",
                                        actor=KIOSK))
    assert got == []
    # Its place in line (taken at no commit) holds nobody up.
    await core.db.run_write(partial(_issue, core))
    assert [e["type"] for e in got] == ["ticket_issued", "queue"]


async def test_what_a_flow_published_before_it_raised_still_goes_out(core: Core) -> None:
    got = _recorder(core.bus)

    def flow() -> None:
        _issue(core)  # committed and published
        raise RuntimeError("after the commit")

    with pytest.raises(RuntimeError, match="after the commit"):
        await core.db.run_write(flow)
    assert [e["type"] for e in got] == ["ticket_issued", "queue"]


async def test_a_flow_whose_request_went_away_still_publishes(core: Core) -> None:
    got = _recorder(core.bus)
    started, go = threading.Event(), threading.Event()

    def flow() -> TicketRead:
        started.set()
        assert go.wait(10)
        return _issue(core)

    request = asyncio.create_task(core.db.run_write(flow))
    assert await asyncio.to_thread(started.wait, 10)
    request.cancel()  # the client left while its flow runs on the writer
    with pytest.raises(asyncio.CancelledError):
        await request
    go.set()
    for _ in range(500):  # sent from this loop once the flow has ended
        if len(got) == 2:
            break
        await asyncio.sleep(0.01)
    assert [e["type"] for e in got] == ["ticket_issued", "queue"]


# --- over Redis -------------------------------------------------------------------------


def _redis_core(url: str, clock: ManualClock, prefix: str, loop: LoopThread) -> Core:
    core = build_core(Settings(database_url=url, pepper="p", redis_url=redis_url()),
                      clock=clock, bus=RedisBus(redis_url(), prefix=prefix))
    loop.run(core.bus.start())
    return core


def _close(core: Core, loop: LoopThread) -> None:
    loop.run(core.bus.stop())
    core.bus.close()
    core.db.dispose()


class Monitor:
    """The commands Redis executes for the test's keys, as Redis itself reports them."""

    def __init__(self, prefix: str) -> None:
        self.prefix = prefix
        self.commands: list[tuple[str, str]] = []  # (client type: 'lua' or not, command)
        self._client = redis.Redis.from_url(redis_url())
        self._monitor = self._client.monitor().__enter__()  # monitoring from here
        self._thread = threading.Thread(target=self._read, daemon=True)
        self._thread.start()

    def _read(self) -> None:
        while True:
            entry = self._monitor.next_command()
            command = entry["command"]
            if command == f"GET {self.prefix}:monitor-end":
                return
            if self.prefix in command:
                self.commands.append((entry.get("client_type", ""),
                                      command.split(" ", 1)[0].upper()))

    def stop(self) -> None:
        self._client.get(f"{self.prefix}:monitor-end")
        self._thread.join(10)
        self._monitor.__exit__()
        self._client.close()

    def by_clients(self) -> list[str]:
        """Commands sent by clients (not run by a script)."""
        return [name for kind, name in self.commands if kind != "lua"]


@pytest.mark.redis
def test_one_round_trip_per_flow(tmp_path: Path, clock: ManualClock, prefix: str,
                                 loop: LoopThread) -> None:
    core = _redis_core(f"sqlite:///{tmp_path / 'h.db'}", clock, prefix, loop)
    try:
        all_day_hall(core)
        got = _recorder(core.bus)
        assert loop.run(core.bus.followed("h1", "test"))
        monitor = Monitor(prefix)
        for _ in range(3):
            loop.run(core.db.run_write(partial(_issue, core)))
        monitor.stop()
        publishing = [c for c in monitor.by_clients() if c in ("EVALSHA", "EVAL", "PUBLISH",
                                                                "INCR", "INCRBY")]
        assert publishing == ["EVALSHA"] * 3
        # ... each publishing the flow's three events (the picture's, the ticket, the
        # queue) as one message of the hall, numbered by one INCRBY.
        scripted = [name for kind, name in monitor.commands if kind == "lua"]
        assert scripted == ["INCRBY", "PUBLISH"] * 3
        flows = _flows_of(got)
        assert [[e["type"] for e in f] for f in flows] == [
            ["picture", "ticket_issued", "queue"]] * 3
        seqs = [e["seq"] for f in flows for e in f]
        assert seqs == list(range(seqs[0], seqs[0] + 9))
    finally:
        _close(core, loop)


@pytest.mark.redis
@pytest.mark.postgres
def test_two_cores_publish_each_flow_whole_and_in_commit_order(
        pg_url: str, clock: ManualClock, prefix: str, loop: LoopThread) -> None:
    cores = [_redis_core(pg_url, clock, prefix, loop) for _ in range(2)]
    try:
        all_day_hall(cores[0])
        watcher = EventBus()  # what a third process sees of h1
        got = _recorder(watcher)
        assert loop.run(cores[0].bus.followed("h1", "test"))
        cores[0].bus.add_listener(lambda hall, event: watcher.deliver(hall, event))

        async def both() -> list[Any]:
            return await asyncio.gather(*(core.db.run_write(partial(_issue, core))
                                          for _ in range(FLOWS // 2) for core in cores))

        issued = loop.run(both())
        by_core = [{t.number for t in issued[i::2]} for i in range(2)]
        # Wait until every event has come back from Redis.
        end = threading.Event()
        watcher.add_listener(lambda hall, event: end.set() if event["type"] == "end" else None)
        cores[1].bus.publish("h1", {"type": "end"})
        assert end.wait(10)
        got.pop()
        flows = _flows_of(got)
        # Each flow's events are one unbroken run of sequence numbers, in its own order,
        # whichever process published it (one script call takes the flow's numbers).
        assert [[e["type"] for e in f] for f in flows] == [
            ["picture", "ticket_issued", "queue"]] * FLOWS
        seqs = [e["seq"] for e in got if e["type"] != "resync"]
        assert seqs == list(range(seqs[0], seqs[0] + 3 * FLOWS))
        # Each process sends its flows in the order they committed (the numbers).
        for mine in by_core:
            numbers = [_number(f[1]["ticket"]) for f in flows if f[1]["ticket"] in mine]
            assert len(numbers) == FLOWS // 2
            assert numbers == sorted(numbers)
    finally:
        for core in cores:
            _close(core, loop)


async def test_the_hub_keeps_the_bus_order_between_threads_and_the_loop(core: Core) -> None:
    # A flow's batch is delivered on the event loop; an event published earlier by a
    # thread (a sync route) may still wait in the hub's inbox: it is dispatched first.
    hub = Hub(core)
    await hub.start()
    seen: list[int] = []
    dispatch = hub._dispatch

    def recording(hall: str, event: Event) -> None:
        seen.append(event["seq"])
        dispatch(hall, event)

    hub._dispatch = recording  # type: ignore[method-assign]
    try:
        thread = threading.Thread(target=core.bus.publish, args=("h1", {"type": "scroll"}))
        thread.start()
        thread.join()  # in the inbox; the loop has not run since
        core.bus.publish("h1", {"type": "scroll"})  # on the loop, right after it
        assert seen == [seen[0], seen[0] + 1]
        await asyncio.sleep(0.05)
        assert len(seen) == 2
    finally:
        await hub.stop()


def _types(data: bytes) -> list[str]:
    """The event types of short text frames written back to back."""
    out = []
    while data:
        assert data[0] == 0x81 and data[1] < 126
        out.append(json.loads(data[2:2 + data[1]])["type"])
        data = data[2 + data[1]:]
    return out


async def test_a_flows_events_reach_a_screen_in_one_write_a_redis_message_at_once(
        core: Core) -> None:
    hub = Hub(core)
    await hub.start()
    try:
        sub = hub.subscription("h1", lambda event: True)
        protocol = _Protocol()
        sub.wire, sub.live = Wire(protocol, hub._cork), True
        hub._subs["h1"] = {sub}
        writes = protocol.transport.writes
        # An event delivered on the loop one at a time (a message from Redis) is written
        # at once: it does not wait for whatever else this pass of the loop brings.
        core.bus.send("h1", {"type": "scroll", "text": "一"})
        assert len(writes) == 1
        # A flow's batch: its three events go out together, in order, in one write.
        batch = core.bus.batch()
        batch.events += [("h1", {"type": kind}) for kind in ("call", "window", "queue")]
        batch.ended = True
        core.bus.send_batches([batch])
        await asyncio.sleep(0)
        assert len(writes) == 2
        assert _types(writes[1]) == ["call", "window", "queue"]
    finally:
        await hub.stop()
