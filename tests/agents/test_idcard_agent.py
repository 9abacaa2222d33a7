"""An ID card end to end: the reader simulator on a pty, the real agent, the real core.

A card placed on the reader checks in its holder's booking for today, then (placed again)
takes a ticket under the daily limit; the number is hashed at once and never stored,
published, logged or shown to a terminal.
"""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import AsyncIterator, Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import select
from websockets.asyncio.client import connect

from drivers import Backoff
from drivers.agent import Agent
from server.app import create_app
from server.auth import service as auth
from server.auth.security import pii_digest
from server.clock import ManualClock
from server.core import Core
from server.devices import status as devices
from server.tickets import flows as tickets
from server.tickets.models import Appointment, Ticket
from server.tickets.schemas import AppointmentCreate
from simulators import IdCardSimulator, sample_card, with_check_digit
from tests.agents.test_agent_channel import until
from tests.events.live import serve_in_thread
from tests.server.test_flows import staff

AGENT_TOKEN = "test-agent-token"
NUMBER = with_check_digit("45010219800101123")


@pytest.fixture
def base(core: Core) -> Iterator[str]:
    auth.register_device(core, hall="h1", name="agent-1", kind="agent", token=AGENT_TOKEN)
    auth.register_device(core, hall="h1", name="kiosk-1", kind="kiosk", token="kiosk-1-token")
    auth.register_device(core, hall="h1", name="kiosk-2", kind="kiosk", token="kiosk-2-token")
    with serve_in_thread(create_app(core)) as url:
        yield url


@pytest.fixture
async def agent(core: Core, base: str, idcard_sim: IdCardSimulator,
                tmp_path: Path) -> AsyncIterator[Agent]:
    a = Agent(server=base, hall="h1", name="agent-1", token=AGENT_TOKEN, kiosks=["kiosk-1"],
              idcard=idcard_sim.url, state_dir=tmp_path, backoff=Backoff(0.1, 0.5),
              device_options={"idcard": {"poll_interval": 0.05}})
    await a.start()
    yield a
    await a.stop()


def book(core: Core, clock: ManualClock, code: str, id_number: str) -> None:
    now = clock.now()
    tickets.create_appointment(core, hall="h1", actor=staff(core, "root"), body=AppointmentCreate(
        service="SB01", code=code, slot_start=(now + timedelta(minutes=5)).isoformat(),
        slot_end=(now + timedelta(minutes=35)).isoformat(), id_number=id_number))


async def next_card(client: httpx.AsyncClient, token: str, after: int) -> dict[str, Any]:
    """Poll the kiosk's reads until one arrives after `after`."""
    for _ in range(100):
        got = (await client.get("/api/v1/halls/h1/id-cards", params={"after": after},
                                headers={"Authorization": f"Bearer {token}"})).json()
        if got["cards"]:
            return dict(got["cards"][0])
        await asyncio.sleep(0.1)
    raise AssertionError("no card read arrived")


async def test_a_card_checks_in_the_booking_then_takes_tickets_under_the_limit(
    core: Core, clock: ManualClock, base: str, agent: Agent, idcard_sim: IdCardSimulator,
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.DEBUG)
    book(core, clock, "YY-CARD-1", NUMBER)
    kiosk = {"Authorization": "Bearer kiosk-1-token"}
    async with httpx.AsyncClient(base_url=base) as client:
        await until(lambda: any(d.get("idcard", {}).get("online")
                                for d in devices.device_status(core, "h1")))
        start = (await client.get("/api/v1/halls/h1/id-cards", headers=kiosk)).json()["last"]

        idcard_sim.put_card(sample_card(NUMBER))
        read = await next_card(client, "kiosk-1-token", start)
        assert read["reader"] == "agent-1" and read["expired"] is False
        assert set(read) == {"n", "reader", "card", "expired", "at"}  # no number, no hash
        # Another kiosk neither sees nor redeems this reader's card.
        other = {"Authorization": "Bearer kiosk-2-token"}
        seen = (await client.get("/api/v1/halls/h1/id-cards", params={"after": start},
                                 headers=other)).json()
        assert seen["cards"] == []
        refused = await client.post("/api/v1/halls/h1/id-cards/ticket",
                                    json={"card": read["card"]}, headers=other)
        assert refused.status_code == 404 and refused.json()["code"] == "card_expired"

        checked = await client.post("/api/v1/halls/h1/id-cards/ticket",
                                    json={"card": read["card"]}, headers=kiosk)
        assert checked.status_code == 201, checked.text
        body = checked.json()
        assert body["action"] == "checked_in" and body["ticket"]["priority"] == "appointment"
        assert body["print"]["job"] and body["url"].endswith(
            f"/t/{body['ticket']['id']}?k={body['rating_key']}")

        # The same card again: no booking left, so the kiosk is told to pick a matter ...
        idcard_sim.take_card()
        await asyncio.sleep(0.3)
        idcard_sim.put_card(sample_card(NUMBER))
        again = await next_card(client, "kiosk-1-token", read["n"])
        nothing = await client.post("/api/v1/halls/h1/id-cards/ticket",
                                    json={"card": again["card"]}, headers=kiosk)
        assert nothing.status_code == 200 and nothing.json() == {"action": "none",
                                                                  "ticket": None}
        # ... and takes one for it: the second of the day, the hall's limit is 2.
        issued = await client.post("/api/v1/halls/h1/id-cards/ticket",
                                   json={"card": again["card"], "service": "SB02"},
                                   headers=kiosk)
        assert issued.status_code == 201 and issued.json()["action"] == "issued"
        assert issued.json()["ticket"]["channel"] == "kiosk"
        third = await client.post("/api/v1/halls/h1/id-cards/ticket",
                                  json={"card": again["card"], "service": "SB01"},
                                  headers=kiosk)
        assert third.status_code == 422 and third.json()["code"] == "daily_limit"
        # Typing the same number on the keypad counts against the same limit.
        typed = await client.post("/api/v1/halls/h1/kiosk/tickets", headers=kiosk,
                                  json={"service": "SB01", "id_number": NUMBER})
        assert typed.status_code == 422 and typed.json()["code"] == "daily_limit"

    digest = pii_digest(NUMBER, "test-pepper-not-secret")
    with core.db.read_session() as db:
        appt = db.scalar(select(Appointment).where(Appointment.code == "YY-CARD-1"))
        assert appt is not None and appt.status == "checked_in"
        hashes = list(db.scalars(select(Ticket.id_hash)))
    assert hashes == [digest, digest]
    reads = core.bus.of_type("idcard")  # type: ignore[attr-defined]
    assert len(reads) == 2 and {r["id_hash"] for r in reads} == {digest}
    published = json.dumps(core.bus.events, ensure_ascii=False)  # type: ignore[attr-defined]
    assert NUMBER not in published and NUMBER not in caplog.text


async def test_reader_faults_reach_the_core(
    core: Core, base: str, agent: Agent, idcard_sim: IdCardSimulator
) -> None:
    def reader() -> dict[str, Any]:
        found = [d["idcard"] for d in devices.device_status(core, "h1") if "idcard" in d]
        return dict(found[0]) if found else {}

    await until(lambda: reader().get("online") is True)
    idcard_sim.silent = True
    await until(lambda: reader().get("online") is False)
    assert "does not answer" in reader()["detail"]
    idcard_sim.silent = False
    await until(lambda: reader().get("online") is True)


async def test_a_bad_number_is_refused_without_echoing_it(core: Core, base: str) -> None:
    ws_url = base.replace("http", "ws") + "/ws/halls/h1/agent"
    bad = NUMBER[:17] + ("0" if NUMBER[17] != "0" else "1")
    async with connect(ws_url, additional_headers={"Authorization": f"Bearer {AGENT_TOKEN}"}
                       ) as ws:
        await ws.send(json.dumps({"type": "idcard", "device": "idcard", "id_number": bad}))
        reply = json.loads(await asyncio.wait_for(ws.recv(), 5))
        assert reply["type"] == "error" and reply["code"] == "invalid"
        assert bad not in json.dumps(reply)
        await ws.send(json.dumps({"type": "idcard", "device": "idcard"}))
        missing = json.loads(await asyncio.wait_for(ws.recv(), 5))
        assert missing["type"] == "error"
    assert core.bus.of_type("idcard") == []  # type: ignore[attr-defined]
