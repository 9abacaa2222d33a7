"""A real core served by uvicorn on a free port, and headless Chromium (Debian's) to drive it."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
import uvicorn
from playwright.sync_api import Browser, Playwright, ViewportSize, expect, sync_playwright

from server.app import create_app
from server.auth import service as auth
from server.core import Core
from server.devices import status as devices
from server.events.bus import Event
from tests.conftest import ARTIFACTS

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--no-first-run"]
SCREENSHOTS = ARTIFACTS / "screenshots"
KIOSK_TOKEN = "test-kiosk-token"
KIOSK: ViewportSize = {"width": 1080, "height": 1920}
COUNTER: ViewportSize = {"width": 1366, "height": 768}
PHONE: ViewportSize = {"width": 390, "height": 844}


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class LiveServer:
    """The core serving HTTP and websockets on a real port."""

    core: Core
    url: str


@pytest.fixture
def server(core: Core) -> Iterator[LiveServer]:
    """Uvicorn running `create_app(core)` on the test hall, with a kiosk device token."""
    auth.register_device(core, hall="h1", name="kiosk-1", kind="kiosk", token=KIOSK_TOKEN)
    port = _free_port()
    config = uvicorn.Config(create_app(core), host="127.0.0.1", port=port, log_level="warning",
                            lifespan="on")
    srv = uvicorn.Server(config)
    thread = threading.Thread(target=srv.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 15
    while not srv.started:
        if time.monotonic() > deadline or not thread.is_alive():
            pytest.fail("uvicorn did not start")
        time.sleep(0.05)
    yield LiveServer(core=core, url=f"http://127.0.0.1:{port}")
    srv.should_exit = True
    thread.join(timeout=10)


class FakeAgent:
    """The agent side of printing: reports a printer, and prints (or fails) every job."""

    def __init__(self, core: Core, hall: str = "h1", name: str = "agent-1") -> None:
        self.core, self.hall, self.name = core, hall, name
        self.jobs: list[Event] = []
        self.fail_with: str | None = None
        core.bus.add_listener(self._on_event)

    def printer(self, online: bool, detail: str = "") -> None:
        """Report the printer's state, as the agent channel does."""
        devices.set_status(self.core, self.hall, self.name, "printer", online, detail)

    def _on_event(self, hall: str, event: Event) -> None:
        if hall != self.hall or event.get("type") != "print":
            return
        self.jobs.append(event)
        ok, detail = self.fail_with is None, self.fail_with or ""
        # The agent answers a moment later, from its own connection.
        threading.Timer(0.2, devices.record_print,
                        args=(self.core, self.hall, self.name, event["job"], ok, detail)).start()


@pytest.fixture
def agent(server: LiveServer) -> FakeAgent:
    """A device agent with a working printer."""
    fake = FakeAgent(server.core)
    fake.printer(True)
    return fake


# Per module, not per session: Playwright's sync API holds an event loop in this thread,
# which the pytest-asyncio tests collected after these must not find running.
@pytest.fixture(scope="module")
def playwright_() -> Iterator[Playwright]:
    """The Playwright driver."""
    with sync_playwright() as p:
        yield p


@pytest.fixture(scope="module")
def browser(playwright_: Playwright) -> Iterator[Browser]:
    """Debian's headless Chromium (never a downloaded one)."""
    if not Path(CHROMIUM).exists():
        pytest.fail(f"{CHROMIUM} is missing: install Debian's chromium (scripts/setup.sh)")
    # Pages that poll (no websocket) take a few seconds to follow a change: wait up to 10 s.
    expect.set_options(timeout=10_000)
    b = playwright_.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
    yield b
    b.close()


def screenshot_path(name: str) -> str:
    """Where a test's screenshot goes (artifacts/, gitignored; linked from the README)."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    return str(SCREENSHOTS / f"{name}.png")
