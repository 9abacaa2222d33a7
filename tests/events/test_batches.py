"""A flow run by `Database.run_write` publishes its events together after it ends: in the
order the flows committed, each flow's events in its own order, nothing of a flow refused
inside its transaction."""

from __future__ import annotations

import asyncio
import threading
from functools import partial

import pytest

from server.app import build_core
from server.auth.principal import Principal
from server.clock import ManualClock
from server.core import Core
from server.errors import NotFound
from server.events.bus import Event, EventBus
from server.events.hub import Hub
from server.settings import Settings
from server.tickets import flows as tickets
from server.tickets.schemas import TicketRead
from tests.events.live import all_day_hall

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
