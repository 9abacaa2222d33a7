"""ID-card reads in the core: hashed at once, private, short-lived, per kiosk; across
core processes over a real Redis bus; check-in and issuing by card."""

from __future__ import annotations

import asyncio
from datetime import timedelta
from pathlib import Path

import pytest

from server.app import build_core
from server.auth.principal import Principal
from server.auth.security import pii_digest
from server.clock import ManualClock
from server.core import Core
from server.errors import Refused
from server.events.bus import EventBus
from server.events.redis_bus import RedisBus
from server.halls import flows as hall_flows
from server.idcards import flows
from server.idcards.reads import TTL_S, CardLog, card_log
from server.settings import Settings
from server.tickets import flows as tickets
from server.tickets.schemas import AppointmentCreate
from simulators import with_check_digit
from tests.conftest import redis_url
from tests.factories import hall_config
from tests.server.test_flows import staff

NUMBER = with_check_digit("44030619950101123")
KIOSK_1 = Principal(roles=frozenset({"device", "kiosk"}), device_id=None, hall_id=1, name="kiosk-1",
                    device_kind="kiosk")
KIOSK_2 = Principal(roles=frozenset({"device", "kiosk"}), device_id=None, hall_id=1, name="kiosk-2",
                    device_kind="kiosk")
DESK = Principal(roles=frozenset({"staff"}), staff_id=9, hall_id=1, name="咨询台")
AGENT = Principal(roles=frozenset({"device", "agent"}), device_id=3, hall_id=1, name="agent-1",
                  device_kind="agent")


def read_event(card: str = "ref-1", reader: str = "agent-1") -> dict[str, object]:
    return {"type": "idcard", "reader": reader, "kiosks": ["kiosk-1"], "card": card,
            "id_hash": "h" * 64, "expired": False, "at": "2026-11-23T10:00:00+08:00"}


def test_reads_are_per_kiosk_short_lived_and_never_show_the_hash() -> None:
    now = [0.0]
    log = CardLog(clock=lambda: now[0])
    log("h1", {"type": "scan", "code": "X"})  # not a card
    log("h1", read_event())
    assert log.since("h1", -1, KIOSK_1) == {"last": 1, "cards": []}
    [shown] = log.since("h1", 0, KIOSK_1)["cards"]
    assert shown == {"n": 1, "reader": "agent-1", "card": "ref-1", "expired": False,
                     "at": "2026-11-23T10:00:00+08:00"}
    assert log.since("h1", 0, KIOSK_2)["cards"] == []
    assert log.since("h1", 0, AGENT)["cards"] == []
    assert len(log.since("h1", 0, DESK)["cards"]) == 1
    assert log.since("h1", 0, DESK, reader="agent-9")["cards"] == []
    assert log.since("h2", 0, DESK)["cards"] == []
    read = log.get("h1", "ref-1", KIOSK_1)
    assert read is not None and read.id_hash == "h" * 64
    assert log.get("h1", "ref-1", KIOSK_2) is None and log.get("h1", "other", KIOSK_1) is None
    now[0] = TTL_S + 1
    assert log.get("h1", "ref-1", KIOSK_1) is None
    assert log.since("h1", 0, DESK)["cards"] == []


def test_record_read_hashes_at_once_and_refuses_bad_numbers(core: Core) -> None:
    flows.record_read(core, hall="h1", reader="agent-1", kiosks=["kiosk-1"],
                      id_number=NUMBER.lower(), expired=True)
    [event] = core.bus.of_type("idcard")  # type: ignore[attr-defined]
    assert event["id_hash"] == pii_digest(NUMBER, "test-pepper-not-secret")
    assert event["expired"] is True and len(event["card"]) >= 16
    assert NUMBER not in str(event) and NUMBER.lower() not in str(event)
    with pytest.raises(Refused) as err:
        flows.record_read(core, hall="h1", reader="agent-1", kiosks=[],
                          id_number="123456789012345678", expired=False)
    assert "123456789012345678" not in err.value.detail
    assert len(core.bus.of_type("idcard")) == 1  # type: ignore[attr-defined]


def test_use_card_checks_in_today_only_then_issues(core: Core, clock: ManualClock) -> None:
    admin = staff(core, "root")
    now = clock.now()
    for code, day in (("YY-TOMORROW", 1), ("YY-TODAY", 0)):
        tickets.create_appointment(core, hall="h1", actor=admin, body=AppointmentCreate(
            service="SB01", code=code,
            slot_start=(now + timedelta(days=day, minutes=5)).isoformat(),
            slot_end=(now + timedelta(days=day, minutes=35)).isoformat(), id_number=NUMBER))
    flows.record_read(core, hall="h1", reader="agent-1", kiosks=["kiosk-1"], id_number=NUMBER,
                      expired=False)
    card = card_log(core.bus).since("h1", 0, KIOSK_1)["cards"][0]["card"]
    read = card_log(core.bus).get("h1", card, KIOSK_1)
    assert read is not None
    action, ticket = flows.use_card(core, hall="h1", read=read, actor=KIOSK_1, channel="kiosk")
    assert action == "checked_in" and ticket is not None and ticket.priority == "appointment"
    # Tomorrow's booking is not today's: nothing more to check in.
    assert flows.use_card(core, hall="h1", read=read, actor=KIOSK_1, channel="kiosk") == (
        "none", None)
    action, ticket = flows.use_card(core, hall="h1", read=read, actor=KIOSK_1, channel="kiosk",
                                    service="SB02", priority="green", green_reason="elderly")
    assert action == "issued" and ticket is not None and ticket.priority == "green"
    with pytest.raises(Refused) as err:
        flows.use_card(core, hall="h1", read=read, actor=KIOSK_1, channel="kiosk",
                       service="SB01")
    assert err.value.code == "daily_limit"


def test_no_bus_listener_needed_before_the_first_read() -> None:
    bus = EventBus()
    log = card_log(bus)
    assert card_log(bus) is log
    bus.publish("h1", read_event("ref-2"))
    assert log.get("h1", "ref-2", DESK) is not None


@pytest.mark.redis
async def test_a_read_in_one_core_process_is_redeemed_in_another(
        tmp_path: Path, clock: ManualClock, prefix: str) -> None:
    settings = Settings(database_url=f"sqlite:///{tmp_path / 'r.db'}", pepper="p", demo=False)
    agent_side = build_core(settings, clock=clock, bus=RedisBus(redis_url(), prefix=prefix))
    kiosk_side = RedisBus(redis_url(), prefix=prefix)
    hall_flows.load(agent_side, config=hall_config())
    log = card_log(kiosk_side)
    await kiosk_side.start()
    try:
        # A kiosk polling for reads makes its process follow the hall (the router does).
        assert await kiosk_side.followed("h1", "kiosk poll")
        await asyncio.to_thread(flows.record_read, agent_side, hall="h1", reader="agent-1",
                                kiosks=["kiosk-1"], id_number=NUMBER, expired=False)
        for _ in range(250):
            if log.since("h1", 0, KIOSK_1)["cards"]:
                break
            await asyncio.sleep(0.02)
        [shown] = log.since("h1", 0, KIOSK_1)["cards"]
        read = log.get("h1", shown["card"], KIOSK_1)
        assert read is not None and read.id_hash == pii_digest(NUMBER, "p")
    finally:
        await kiosk_side.stop()
        kiosk_side.close()
        agent_side.bus.close()
        agent_side.db.dispose()
