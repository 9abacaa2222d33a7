"""线上取号 on a phone in Chromium (390×844): take a number, ask for an SMS reminder, get
the "N ahead" and the "called" texts from the SMS gateway simulator."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator

import pytest
import uvicorn
from playwright.sync_api import Browser, expect

from server.app import create_app
from server.core import Core
from server.halls import flows as hall_flows
from server.tickets import flows as tickets
from server.windows import flows as windows
from simulators.sms_gateway import SmsGatewaySim
from tests.factories import hall_config
from tests.notices.conftest import PHONE_RULES, link_settings, staff
from tests.server.test_flows import KIOSK
from tests.terminals.conftest import PHONE, LiveServer, _free_port, screenshot_path
from tests.terminals.pages import PhonePage


@pytest.fixture
def sms() -> Iterator[SmsGatewaySim]:
    """The SMS gateway simulator."""
    sim = SmsGatewaySim()
    sim.start()
    yield sim
    sim.stop()


@pytest.fixture
def phone_server(core: Core, sms: SmsGatewaySim) -> Iterator[LiveServer]:
    """The core on a real port, phone tickets on, SMS notices through the simulator."""
    hall_flows.load(core, config=hall_config(rules=PHONE_RULES))
    app = create_app(core, integrations=link_settings(sms, outbox_scan_s=0.2))
    srv = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=_free_port(),
                                        log_level="warning", lifespan="on"))
    thread = threading.Thread(target=srv.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 15
    while not srv.started:
        if time.monotonic() > deadline or not thread.is_alive():
            pytest.fail("uvicorn did not start")
        time.sleep(0.05)
    yield LiveServer(core=core, url=f"http://127.0.0.1:{srv.config.port}")
    srv.should_exit = True
    thread.join(timeout=10)


def wait_for(what: Callable[[], bool], label: str) -> None:
    """Wait until the notice worker has done something (it runs off the request path)."""
    deadline = time.monotonic() + 15
    while not what():
        if time.monotonic() > deadline:
            pytest.fail(f"never happened: {label}")
        time.sleep(0.05)


def test_take_a_number_with_an_sms_reminder(browser: Browser, phone_server: LiveServer,
                                            sms: SmsGatewaySim) -> None:
    core = phone_server.core
    for _ in range(2):
        tickets.issue(core, hall="h1", service="SB01", actor=KIOSK)  # A001, A002 wait
    page = PhonePage(browser, phone_server.url, PHONE).open("h1")
    expect(page.service("SB01")).to_be_visible()
    expect(page.service("ZX")).to_have_count(0)
    page.shot(screenshot_path("phone-services"))
    page.take("SB01", "139 1234 5678", notice="sms", ahead=1)
    page.page.wait_for_url("**/t/*")
    view = page  # the same phone, now on its ticket page (/t/{id})
    expect(view.number).to_have_text("A003")
    expect(view.ahead).to_contain_text("2")
    page.shot(screenshot_path("phone-ticket"))
    assert sms.sent == []  # two ahead, reminder asked at one
    who = staff(core, "s2")
    windows.sign_in(core, hall="h1", window="2", post="A", actor=who)
    windows.call_next(core, hall="h1", window="2", actor=who)
    wait_for(lambda: len(sms.sent) == 1, "the 'one ahead' text")
    assert sms.sent[0].phone == "13912345678" and "A003号" in sms.sent[0].content
    assert "前面还有1人" in sms.sent[0].content
    # Nobody comes: the staff confirms each 过号 and calls on (never a silent one).
    windows.call_next(core, hall="h1", window="2", actor=who, confirm_no_show=True)
    windows.call_next(core, hall="h1", window="2", actor=who, confirm_no_show=True)
    wait_for(lambda: len(sms.sent) == 2, "the 'called' text")
    assert "请A003号到2号窗口办理" in sms.sent[1].content
    expect(view.window).to_contain_text("2")
    assert page.errors == [] and page.foreign_requests() == []
    page.close()


def test_in_english_with_refusals(browser: Browser, phone_server: LiveServer,
                                  sms: SmsGatewaySim) -> None:
    page = PhonePage(browser, phone_server.url, PHONE).open("h1", lang="en")
    expect(page.page.locator("#centre")).to_contain_text("Take a number")
    expect(page.page.locator("#opt-wechat")).to_be_hidden()  # not opened from WeChat
    page.take("SB01", "12345")
    expect(page.error).to_have_text("Please enter an 11-digit mobile number")
    page.page.locator("#phone").fill("13700000000")
    page.page.locator("#take").click()
    page.page.wait_for_url("**/t/*")
    page.open("h1", lang="en")
    page.take("SB01", "13700000000")
    page.page.wait_for_url("**/t/*")
    page.open("h1", lang="en")
    page.take("SB02", "13700000000")  # the third today: over the limit of two
    expect(page.error).to_have_text("You have reached today's ticket limit")
    page.switch_language()
    expect(page.error).to_have_text("You have reached today's ticket limit")  # kept as shown
    expect(page.page.locator("#take")).to_have_text("取号")
    assert sms.sent == [] and page.errors == []
    page.close()


def test_phone_tickets_off(browser: Browser, phone_server: LiveServer) -> None:
    hall_flows.load(phone_server.core, config=hall_config())
    page = PhonePage(browser, phone_server.url, PHONE).open("h1")
    expect(page.closed).to_have_text("本中心暂未开通线上取号，请到大厅取号机取号。")
    page.close()
