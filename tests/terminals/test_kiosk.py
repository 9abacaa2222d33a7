"""The kiosk in a real browser: green channel, appointments, printer failure, 关怀版, hours."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient
from playwright.sync_api import Browser, expect
from sqlalchemy.exc import OperationalError

from server.app import create_app
from server.clock import ManualClock
from server.core import Core
from server.halls import flows as hall_flows
from server.kiosk import service as kiosk_service
from tests.conftest import login
from tests.factories import MONDAY_10, TEST_HALL, hall_config
from tests.terminals.conftest import (
    KIOSK,
    KIOSK_TOKEN,
    FakeAgent,
    LiveServer,
    screenshot_path,
)
from tests.terminals.pages import KioskPage


@pytest.fixture
def kiosk(browser: Browser, server: LiveServer) -> Iterator[KioskPage]:
    """The kiosk page at its start screen, closed after the test (no foreign requests)."""
    page = KioskPage(browser, server.url, KIOSK)
    yield page
    assert page.foreign_requests() == []
    assert page.errors == []
    page.close()


def _api(server: LiveServer) -> TestClient:
    return TestClient(create_app(server.core))


def test_green_channel_jumps_the_queue(kiosk: KioskPage, server: LiveServer,
                                       agent: FakeAgent) -> None:
    api = _api(server)
    staff = login(api, "s1")
    for _ in range(2):
        assert api.post("/api/v1/halls/h1/tickets", json={"service": "SB01"},
                        headers=staff).status_code == 201
    kiosk.open("h1", KIOSK_TOKEN)
    kiosk.green("elderly")
    expect(kiosk.page.locator("#green-banner")).to_be_visible()
    kiosk.shot(screenshot_path("kiosk-green"))
    kiosk.take("SB", "SB01")
    kiosk.page.locator("#id-skip").click()
    kiosk.expect_ticket_screen()
    expect(kiosk.number).to_have_text("A003")
    expect(kiosk.page.locator("#t-tag")).to_have_text("绿色通道")
    expect(kiosk.ahead).to_have_text("0 人")
    assert agent.jobs[-1]["ticket"]["priority"] == "green"
    api.post("/api/v1/halls/h1/windows/2/sign-in", json={"post": "A"}, headers=staff)
    called = api.post("/api/v1/halls/h1/windows/2/call-next", headers=staff).json()
    assert called["ticket"]["number"] == "A003"


def test_appointment_check_in_by_scanned_qr_and_typed_code(
        kiosk: KioskPage, server: LiveServer, agent: FakeAgent) -> None:
    api = _api(server)
    op = login(api, "op")
    start = MONDAY_10 - timedelta(minutes=5)
    for code in ("YY20261123A", "8866"):
        r = api.post("/api/v1/halls/h1/appointments", headers=op, json={
            "service": "BDC01", "code": code, "slot_start": start.isoformat(),
            "slot_end": (start + timedelta(minutes=30)).isoformat()})
        assert r.status_code == 201, r.text
    kiosk.open("h1", KIOSK_TOKEN)
    # The booking's QR code holds a link; a keyboard-wedge scanner types it on the start screen.
    kiosk.scan("https://zwfw.example.gov.cn/appt?code=YY20261123A")
    kiosk.expect_ticket_screen()
    expect(kiosk.number).to_have_text("C001")
    expect(kiosk.page.locator("#t-tag")).to_have_text("预约")
    kiosk.shot(screenshot_path("kiosk-appointment"))
    kiosk.page.locator("#ticket-done").click()
    kiosk.expect_home()
    kiosk.check_in_typed("8866")
    kiosk.expect_ticket_screen()
    expect(kiosk.number).to_have_text("C002")
    # The same booking twice: refused with a message in Chinese, nothing issued.
    kiosk.page.locator("#ticket-done").click()
    kiosk.check_in_typed("8866")
    expect(kiosk.toast).to_have_text("该预约已签到")
    assert [j["ticket"]["number"] for j in agent.jobs] == ["C001", "C002"]


def test_agent_scanner_checks_in_through_the_bus(kiosk: KioskPage, server: LiveServer,
                                                 agent: FakeAgent) -> None:
    api = _api(server)
    start = MONDAY_10 - timedelta(minutes=5)
    api.post("/api/v1/halls/h1/appointments", headers=login(api, "op"), json={
        "service": "SB02", "code": "AGENT42", "slot_start": start.isoformat(),
        "slot_end": (start + timedelta(minutes=30)).isoformat()})
    kiosk.open("h1", KIOSK_TOKEN)
    # Once the kiosk knows where the scan log stands, new scans are for it.
    expect(kiosk.page.locator("body")).to_have_attribute("data-scans", "ready")
    server.core.bus.publish("h1", {"type": "scan", "device": "agent-1", "code": "AGENT42"})
    kiosk.expect_ticket_screen()
    expect(kiosk.number).to_have_text("A001")


def test_printer_failure_is_shown_and_the_ticket_stays_valid(
        kiosk: KioskPage, server: LiveServer, agent: FakeAgent) -> None:
    agent.printer(False, "paper_out")
    kiosk.open("h1", KIOSK_TOKEN)
    expect(kiosk.page.locator("#hours-banner")).to_contain_text("打印机暂时故障")
    kiosk.take("BDC", "BDC01")
    kiosk.page.locator("#id-skip").click()
    kiosk.expect_ticket_screen()
    expect(kiosk.print_status).to_have_attribute("data-state", "failed")
    expect(kiosk.print_status).to_contain_text("缺纸")
    expect(kiosk.print_status).to_contain_text("号码已生效")
    kiosk.shot(screenshot_path("kiosk-printer-failed"))
    ticket = _api(server).get(f"/api/v1/tickets/{kiosk.ticket_id()}").json()
    assert ticket["status"] == "waiting" and ticket["number"] == "C001"


def test_a_kiosk_whose_first_load_fails_comes_up_without_waiting_for_the_slow_poll(
        kiosk: KioskPage, agent: FakeAgent, monkeypatch: pytest.MonkeyPatch) -> None:
    # The core answers the kiosk's first two overviews 503 (a busy database): the first
    # load and the one the websocket's snapshot asks for. With the socket up the next poll
    # would come only after 20 s; the kiosk retries a failed load within seconds.
    loads: list[str] = []

    def busy_once(core: Core, hall: str) -> dict[str, Any]:
        loads.append(hall)
        if len(loads) <= 2:
            raise OperationalError("SELECT", {}, Exception("database is locked"))
        return real(core, hall=hall)

    real = kiosk_service.overview
    monkeypatch.setattr(kiosk_service, "overview", busy_once)
    kiosk.open("h1", KIOSK_TOKEN)
    expect(kiosk.page.locator("button[data-domain='SB']")).to_be_visible()
    assert loads[:3] == ["h1", "h1", "h1"]


def test_a_job_the_agent_fails_is_reported(kiosk: KioskPage, server: LiveServer,
                                           agent: FakeAgent) -> None:
    agent.fail_with = "cover_open"
    kiosk.open("h1", KIOSK_TOKEN)
    kiosk.take("YB", "YB01")
    kiosk.page.locator("#id-skip").click()
    expect(kiosk.print_status).to_have_attribute("data-state", "failed")
    expect(kiosk.print_status).to_contain_text("纸仓盖未关")


def test_care_mode_is_larger_and_idle_returns_to_start(kiosk: KioskPage,
                                                        agent: FakeAgent) -> None:
    kiosk.open("h1", KIOSK_TOKEN, idle="3")
    kiosk.switch_language()
    expect(kiosk.page.locator("#home-title")).to_have_text("Choose your matter")
    normal = kiosk.page.evaluate("parseFloat(getComputedStyle(document.body).fontSize)")
    kiosk.care_mode()
    assert "care" in str(kiosk.page.locator("body").get_attribute("class"))
    large = kiosk.page.evaluate("parseFloat(getComputedStyle(document.body).fontSize)")
    assert large >= normal * 1.25
    background = kiosk.page.evaluate("getComputedStyle(document.body).backgroundColor")
    assert background == "rgb(0, 0, 0)"
    kiosk.open_domain("SB")
    kiosk.shot(screenshot_path("kiosk-care"))
    # Nobody touches the screen: back to the ordinary start screen.
    expect(kiosk.page.locator("button[data-domain='SB']")).to_be_visible(timeout=6000)
    assert "care" not in str(kiosk.page.locator("body").get_attribute("class"))
    expect(kiosk.page.locator("#home-title")).to_have_text("请选择办理事项")


def test_out_of_hours_and_closed_services_are_shown_not_hidden(
        browser: Browser, server: LiveServer, clock: ManualClock, agent: FakeAgent) -> None:
    services = [*TEST_HALL["services"], {"code": "SB09", "name": "社保停办事项", "prefix": "A",
                                          "domain": "SB", "active": False}]
    hall_flows.load(server.core, config=hall_config(services=services))
    kiosk = KioskPage(browser, server.url, KIOSK).open("h1", KIOSK_TOKEN)
    kiosk.open_domain("SB")
    expect(kiosk.service_tile("SB09")).to_be_disabled()
    expect(kiosk.service_tile("SB09")).to_contain_text("暂停办理")
    expect(kiosk.service_tile("SB01")).to_be_enabled()
    clock.set(MONDAY_10.replace(hour=18))
    kiosk.page.reload()
    kiosk.open_domain("SB")
    expect(kiosk.service_tile("SB01")).to_contain_text("非办公时间")
    expect(kiosk.service_tile("SB01")).to_be_disabled()
    expect(kiosk.page.locator("#hours-banner")).to_contain_text("11-24 08:30")
    kiosk.shot(screenshot_path("kiosk-out-of-hours"))
    kiosk.close()


def test_english_switch(kiosk: KioskPage, agent: FakeAgent) -> None:
    kiosk.open("h1", KIOSK_TOKEN, lang="en")
    expect(kiosk.page.locator("#home-title")).to_have_text("Choose your matter")
    kiosk.open_domain("SB")
    expect(kiosk.service_tile("SB01")).to_contain_text("0 waiting")
    kiosk.shot(screenshot_path("kiosk-services-en"))
    kiosk.switch_language()
    expect(kiosk.page.locator("#home-title")).to_have_text("请选择办理事项")
    expect(kiosk.page.locator("html")).to_have_attribute("lang", "zh-CN")


def test_without_a_device_token_the_kiosk_says_so(browser: Browser, server: LiveServer) -> None:
    page = KioskPage(browser, server.url, KIOSK)
    page.page.goto(f"{server.url}/kiosk/h1")
    expect(page.page.locator("#screen-setup")).to_be_visible()
    page.page.goto(f"{server.url}/kiosk/h1?token=wrong")
    expect(page.page.locator("#screen-setup")).to_be_visible()
    page.close()


def test_id_number_required_and_the_daily_limit(kiosk: KioskPage, server: LiveServer,
                                                agent: FakeAgent) -> None:
    hall_flows.load(server.core, config=hall_config(
        rules={"require_id_number": True, "daily_limit_per_person": 1}))
    kiosk.open("h1", KIOSK_TOKEN)
    kiosk.take("SB", "SB01")
    expect(kiosk.page.locator("#id-skip")).to_be_hidden()
    kiosk.type_id_number("41080219800101123X")
    kiosk.expect_ticket_screen()
    expect(kiosk.number).to_have_text("A001")
    kiosk.page.locator("#ticket-done").click()
    kiosk.take("SB", "SB02")
    kiosk.type_id_number("41080219800101123X")
    expect(kiosk.toast).to_have_text("您今日取号已达上限")
    kiosk.expect_home()
