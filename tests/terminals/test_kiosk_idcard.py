"""The kiosk with an ID-card reader: the SAM reader simulator on a pty, the real agent,
the real core, the kiosk page in headless Chromium.

A card put on the reader checks in its holder's booking for today; put again it fills the
ID step; the daily limit holds.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Iterator
from concurrent.futures import Future
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Browser, expect
from sqlalchemy import select

from drivers import Backoff
from drivers.agent import Agent
from drivers.idcard_protocol import IdCardText, SamCommand
from server.auth import service as auth
from server.auth.security import pii_digest
from server.clock import ManualClock
from server.devices import status as devices
from server.tickets import flows as tickets
from server.tickets.models import Appointment
from server.tickets.schemas import AppointmentCreate
from simulators import IdCardSimulator, PrinterSimulator, sample_card, with_check_digit
from tests.server.test_flows import staff
from tests.terminals.conftest import KIOSK, KIOSK_TOKEN, LiveServer, screenshot_path
from tests.terminals.pages import KioskPage

NUMBER = with_check_digit("45010319900307201")


class ReaderAgent:
    """The agent with an ID-card reader and a printer simulator, on its own loop."""

    def __init__(self, server: LiveServer, state_dir: Path) -> None:
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self.loop.run_forever, daemon=True)
        self.thread.start()
        self.reader = IdCardSimulator()
        self.printer = PrinterSimulator()
        self.run(self.reader.start())
        self.run(self.printer.start())
        auth.register_device(server.core, hall="h1", name="agent-1", kind="agent",
                             token="test-agent-token")

        async def make() -> Agent:
            return Agent(server=server.url, hall="h1", name="agent-1", token="test-agent-token",
                         kiosks=["kiosk-1"], printer=self.printer.url, idcard=self.reader.url,
                         state_dir=state_dir, backoff=Backoff(0.2, 1.0),
                         device_options={"idcard": {"poll_interval": 0.1}})

        self.agent: Agent = self.run(make())
        self.run(self.agent.start())
        assert self.run(self.agent.wait_connected(10))

    def run(self, coro: Any) -> Any:
        """Run a coroutine on the agent's loop and wait for its result."""
        future: Future[Any] = asyncio.run_coroutine_threadsafe(coro, self.loop)
        return future.result(timeout=20)

    def put(self, card: IdCardText) -> None:
        """Put a card on the reader (on the simulator's loop)."""
        self.loop.call_soon_threadsafe(self.reader.put_card, card)

    def take(self) -> None:
        """Take the card away, and wait until the agent has found the reader empty: a card
        put back before that is, to the reader, the same card still lying there (read
        once), as it would be for a citizen's hand that never left the reader."""
        async def take() -> int:
            self.reader.take_card()
            return len(self.reader.commands)

        seen = self.run(take())
        for _ in range(200):
            if any(c.command is SamCommand.FIND_CARD for c in self.reader.commands[seen:]):
                return
            threading.Event().wait(0.05)
        raise AssertionError("the agent did not poll the empty reader within 10 s")

    def stop(self) -> None:
        """Stop the agent, the simulators and the loop."""
        self.run(self.agent.stop())
        self.run(self.reader.stop())
        self.run(self.printer.stop())
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(timeout=5)


@pytest.fixture
def reader_agent(server: LiveServer, tmp_path: Path) -> Iterator[ReaderAgent]:
    """A connected agent whose ID-card reader serves kiosk-1."""
    agent = ReaderAgent(server, tmp_path)
    yield agent
    agent.stop()


def reader_online(server: LiveServer) -> bool:
    return any(d.get("idcard", {}).get("online")
               for d in devices.device_status(server.core, "h1"))


def test_a_card_on_the_reader_checks_in_then_fills_the_id_step(
        browser: Browser, server: LiveServer, clock: ManualClock,
        reader_agent: ReaderAgent) -> None:
    now = clock.now()
    tickets.create_appointment(server.core, hall="h1", actor=staff(server.core, "root"),
                               body=AppointmentCreate(
        service="SB01", code="YY-KIOSK-CARD", slot_start=(now + timedelta(minutes=5)).isoformat(),
        slot_end=(now + timedelta(minutes=35)).isoformat(), id_number=NUMBER))
    for _ in range(100):
        if reader_online(server):
            break
        threading.Event().wait(0.1)
    assert reader_online(server)

    kiosk = KioskPage(browser, server.url, KIOSK).open("h1", KIOSK_TOKEN)
    expect(kiosk.page.locator("body")).to_have_attribute("data-cards", "ready")

    # 1. A card with a booking for today: checked in at once, an appointment ticket.
    reader_agent.put(sample_card(NUMBER, name="李四"))
    kiosk.expect_ticket_screen()
    expect(kiosk.number).to_have_text("A001")
    expect(kiosk.page.locator("#t-tag")).to_have_text("预约")
    expect(kiosk.print_status).to_have_attribute("data-state", "printed")
    kiosk.shot(screenshot_path("kiosk-idcard-checked-in"))
    with server.core.db.read_session() as db:
        appt = db.scalar(select(Appointment).where(Appointment.code == "YY-KIOSK-CARD"))
        assert appt is not None and appt.status == "checked_in"
        assert appt.ticket_id == kiosk.ticket_id()

    # 2. A matter first: the ID step offers the reader; the card completes it.
    kiosk.page.locator("#ticket-done").click()
    kiosk.expect_home()
    reader_agent.take()
    kiosk.take("SB", "SB02")
    expect(kiosk.page.locator("#screen-id")).to_be_visible()
    expect(kiosk.page.locator("#id-card-hint")).to_have_text("也可将身份证放在读卡区，自动读取")
    reader_agent.put(sample_card(NUMBER, name="李四"))
    kiosk.expect_ticket_screen()
    expect(kiosk.number).to_have_text("A002")
    expect(kiosk.page.locator("#t-tag")).to_be_hidden()

    # 3. The card first, then the matter: the third ticket today is over the limit of 2.
    kiosk.page.locator("#ticket-done").click()
    kiosk.expect_home()
    reader_agent.take()
    threading.Event().wait(0.5)
    reader_agent.put(sample_card(NUMBER, name="李四"))
    expect(kiosk.toast).to_have_text("已读取身份证，请选择办理事项")
    expect(kiosk.page.locator("body")).to_have_attribute("data-card", "read")
    kiosk.take("SB", "SB01")
    expect(kiosk.toast).to_have_text("您今日取号已达上限")
    kiosk.expect_home()
    kiosk.shot(screenshot_path("kiosk-idcard-daily-limit"))

    digest = pii_digest(NUMBER, "test-pepper-not-secret")
    issued = server.core.bus.of_type("ticket_issued")  # type: ignore[attr-defined]
    assert len(issued) == 2
    assert all(NUMBER not in str(e) for _, e in server.core.bus.events)  # type: ignore[attr-defined]
    assert {e["id_hash"] for e in server.core.bus.of_type("idcard")} == {digest}  # type: ignore[attr-defined]
    assert len(reader_agent.printer.receipts) == 2
    assert kiosk.foreign_requests() == [] and kiosk.errors == []
    kiosk.close()
