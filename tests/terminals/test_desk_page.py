"""The help desk page (综合咨询服务台) in a real browser: issue for a citizen (绿色通道 with
its category), a booking by ID number, 过号重排, reprint, cancel with a reason, re-issue
showing the new number, and 办事指南 printed — through the real agent and the ESC/POS
printer simulator where paper comes out."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from playwright.sync_api import Browser, expect

from server.app import create_app
from server.clock import ManualClock
from server.events.bus import RecordingBus
from tests.conftest import login
from tests.factories import PASSWORD
from tests.terminals.conftest import COUNTER, LiveServer, screenshot_path
from tests.terminals.pages import DeskPage
from tests.terminals.test_with_agent import AgentThread

H = "/api/v1/halls/h1"


@pytest.fixture
def api(server: LiveServer) -> TestClient:
    """An HTTP client on the same core, to play the windows and read the truth."""
    return TestClient(create_app(server.core))


@pytest.fixture
def desk(browser: Browser, server: LiveServer) -> Iterator[DeskPage]:
    """The desk page, logged in as s6 (no foreign requests, no script errors)."""
    page = DeskPage(browser, server.url, COUNTER).open("h1")
    page.log_in("s6", PASSWORD)
    yield page
    assert page.foreign_requests() == []
    assert page.errors == []
    page.close()


def _prints(server: LiveServer) -> list[dict[str, object]]:
    assert isinstance(server.core.bus, RecordingBus)
    return list(server.core.bus.of_type("print"))


def test_issue_green_requeue_reprint_cancel_and_reissue(
        desk: DeskPage, api: TestClient, server: LiveServer) -> None:
    desk.issue("SB01", green="disabled")
    expect(desk.result_title).to_have_text("已取号")
    expect(desk.result_number).to_have_text("A001")
    expect(desk.result_text).to_contain_text("绿色通道（残疾人）")
    ticket = api.get(f"{H}/desk/tickets/A001", headers=login(api, "s6")).json()["ticket"]
    assert (ticket["channel"], ticket["green_category"]) == ("desk", "disabled")
    assert _prints(server)[-1]["kiosk"] == "desk"
    desk.issue("SB01")
    expect(desk.result_number).to_have_text("A002")
    desk.shot(screenshot_path("desk-issued"))

    # A001 is called and missed; the citizen comes back to the desk: 过号重排.
    s2 = login(api, "s2")
    api.post(f"{H}/windows/2/sign-in", json={"post": "A"}, headers=s2)
    api.post(f"{H}/windows/2/call-next", headers=s2)
    api.post(f"{H}/windows/2/no-show", headers=s2)
    desk.look_up("a001")
    expect(desk.status).to_have_text("已过号")
    expect(desk.history).to_have_count(3)
    expect(desk.history.nth(2)).to_contain_text("过号 · 2 号窗口 · 员工2")
    expect(desk.do("cancel")).to_be_enabled()
    desk.do("requeue").click()
    expect(desk.result_title).to_have_text("已过号重排")
    # Still 绿色通道: it waits again ahead of A002.
    expect(desk.result_text).to_have_text("原号码继续有效，前面还有 0 人")
    expect(desk.status).to_have_text("排队中")
    desk.shot(screenshot_path("desk-requeued"))
    expect(desk.do("requeue")).to_be_disabled()

    desk.do("reprint").click()
    expect(desk.result_title).to_have_text("已补打号票")
    job = _prints(server)[-1]
    assert isinstance(job["ticket"], dict) and job["ticket"]["reprint"] is True

    # Re-issue for another matter: the new number is shown, the old one is cancelled.
    desk.do("reissue").click()
    expect(desk.page.locator("#dlg-text")).to_have_text(
        "为 A001 重新取号：原号将作废。选择办理事项：")
    desk.page.locator("#reissue-service").select_option("YB01")
    desk.confirm()
    expect(desk.result_title).to_have_text("已重新取号，新号码")
    expect(desk.result_number).to_have_text("B001")
    expect(desk.result_text).to_contain_text("原号 A001 已作废")
    expect(desk.status).to_have_text("已作废（已重新取号）")
    desk.shot(screenshot_path("desk-reissued"))
    new = api.get(f"{H}/desk/tickets/B001", headers=login(api, "s6")).json()["ticket"]
    assert (new["service"], new["priority"], new["green_category"]) == (
        "YB01", "green", "disabled")

    # Cancel A002 with a typed reason.
    desk.look_up("A002")
    desk.do("cancel").click()
    desk.page.locator("#cancel-other").fill("群众改日再来")
    desk.confirm()
    expect(desk.result_title).to_have_text("已作废")
    expect(desk.status).to_have_text("已作废（群众改日再来）")
    a002 = api.get(f"{H}/desk/tickets/A002", headers=login(api, "s6")).json()["ticket"]
    assert (a002["status"], a002["close_reason"]) == ("cancelled", "群众改日再来")
    expect(desk.do("reprint")).to_be_disabled()


def test_a_booking_by_id_number_is_checked_in_and_unknown_numbers_are_said(
        desk: DeskPage, api: TestClient, clock: ManualClock) -> None:
    start = clock.now() + timedelta(minutes=10)
    api.post(f"{H}/appointments", headers=login(api, "op"), json={
        "service": "BDC01", "code": "YY8001", "slot_start": start.isoformat(),
        "slot_end": (start + timedelta(minutes=30)).isoformat(),
        "id_number": "410802199001011234"})
    desk.find_booking("id_number", "410802199001011234")
    item = desk.page.locator('#b-list li[data-code="YY8001"]')
    expect(item).to_contain_text("不动产登记")
    expect(item).to_contain_text("待签到")
    desk.check_in("YY8001")
    expect(desk.result_title).to_have_text("预约已签到")
    expect(desk.result_number).to_have_text("C001")
    expect(item).to_contain_text("已签到 C001")
    desk.find_booking("phone", "13900000000")
    expect(desk.page.locator("#b-list li")).to_have_text("今日没有找到该预约")
    desk.tab("lookup")
    desk.page.locator("#l-number").fill("Z999")
    desk.page.locator("#l-go").click()
    expect(desk.toast).to_have_text("今日没有这个号码")
    desk.page.locator("#lang").click()
    expect(desk.page.locator('.d-tab[data-tab="guide"]')).to_have_text("Service guide")


def test_the_guide_is_printed_with_the_hall_s_materials(
        browser: Browser, server: LiveServer, tmp_path: Path) -> None:
    agent = AgentThread(server, tmp_path)
    desk = DeskPage(browser, server.url, COUNTER).open("h1")
    try:
        desk.log_in("s6", PASSWORD)
        desk.tab("guide")
        desk.page.locator("#g-service").select_option("SB01")
        expect(desk.materials).to_have_text(["居民身份证原件", "近期一寸白底照片", "社保卡申领表"])
        desk.print_guide("SB01")
        expect(desk.result_title).to_have_text("办事指南已送打印")
        expect(desk.page.locator("#result")).to_have_attribute("data-print", "printed")
        receipt = agent.run(agent.printer.wait_for_receipt(timeout=10))
        assert "办事指南" in receipt.text and "测试县政务服务中心" in receipt.text
        assert "1. 居民身份证原件" in receipt.text and "3. 社保卡申领表" in receipt.text
        desk.shot(screenshot_path("desk-guide"))
        assert desk.foreign_requests() == [] and desk.errors == []
    finally:
        desk.close()
        agent.stop()
