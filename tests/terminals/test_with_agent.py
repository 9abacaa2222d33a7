"""The kiosk with the real device agent and the ESC/POS printer simulator on TCP."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Iterator
from concurrent.futures import Future
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Browser, expect

from drivers.agent import Agent
from server.auth import service as auth
from server.auth.security import rating_key
from server.devices import status as devices
from simulators import PrinterSimulator
from tests.terminals.conftest import KIOSK, KIOSK_TOKEN, SCREENSHOTS, LiveServer, screenshot_path
from tests.terminals.pages import KioskPage


class AgentThread:
    """The agent and a printer simulator on their own event loop in a thread."""

    def __init__(self, server: LiveServer, state_dir: Path) -> None:
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self.loop.run_forever, daemon=True)
        self.thread.start()
        self.printer = PrinterSimulator(image_dir=SCREENSHOTS / "printed")
        self.run(self.printer.start())
        auth.register_device(server.core, hall="h1", name="agent-1", kind="agent",
                             token="test-agent-token")


        async def make() -> Agent:
            # Built on its own loop's thread: the agent's outbox is an SQLite connection.
            return Agent(server=server.url, hall="h1", name="agent-1", token="test-agent-token",
                         printer=self.printer.url, state_dir=state_dir)

        self.agent: Agent = self.run(make())
        self.run(self.agent.start())
        assert self.run(self.agent.wait_connected(10))

    def run(self, coro: Any) -> Any:
        """Run a coroutine on the agent's loop and wait for its result."""
        future: Future[Any] = asyncio.run_coroutine_threadsafe(coro, self.loop)
        return future.result(timeout=20)

    def stop(self) -> None:
        """Stop the agent, the simulator and the loop."""
        self.run(self.agent.stop())
        self.run(self.printer.stop())
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(timeout=5)


@pytest.fixture
def real_agent(server: LiveServer, tmp_path: Path) -> Iterator[AgentThread]:
    """`hallq agent`'s Agent with a TCP printer simulator, connected to the live core."""
    agent = AgentThread(server, tmp_path)
    yield agent
    agent.stop()


def test_the_kiosk_prints_through_the_agent_and_survives_paper_out(
        browser: Browser, server: LiveServer, real_agent: AgentThread) -> None:
    kiosk = KioskPage(browser, server.url, KIOSK).open("h1", KIOSK_TOKEN)
    kiosk.take("SB", "SB01")
    kiosk.page.locator("#id-skip").click()
    expect(kiosk.print_status).to_have_attribute("data-state", "printed")
    receipt = real_agent.run(real_agent.printer.wait_for_receipt(timeout=10))
    assert "A001" in receipt.text and "社保卡" in receipt.text
    key = rating_key(kiosk.ticket_id(), server.core.settings.pepper)
    assert receipt.qr_codes == [f"{server.url}/t/{kiosk.ticket_id()}?k={key}"]

    real_agent.printer.set_paper(out=True)
    kiosk.page.locator("#ticket-done").click()
    kiosk.take("SB", "SB02")
    kiosk.page.locator("#id-skip").click()
    expect(kiosk.number).to_have_text("A002")
    expect(kiosk.print_status).to_have_attribute("data-state", "failed")
    expect(kiosk.print_status).to_contain_text("缺纸")
    kiosk.shot(screenshot_path("kiosk-paper-out"))
    # The next kiosk screen warns before anyone takes a ticket.
    kiosk.page.locator("#ticket-done").click()
    expect(kiosk.page.locator("#hours-banner")).to_contain_text("打印机暂时故障")
    assert devices.printer_state(server.core, "h1")["printers"][0]["detail"] == "paper_out"
    assert len(real_agent.printer.receipts) == 1
    assert kiosk.foreign_requests() == [] and kiosk.errors == []
    kiosk.close()
