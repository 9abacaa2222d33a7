"""一次性告知 in writing (焦作 第三十八条), in a real browser: the counter finishes a ticket as
补正告知 with the missing materials, the real agent prints the 一次性告知单 on the ESC/POS
printer simulator (decoded here), and the citizen's ticket page shows it — not 已办结."""

from __future__ import annotations

import shutil
from pathlib import Path
from zoneinfo import ZoneInfo

from fastapi.testclient import TestClient
from playwright.sync_api import Browser, expect

from server.app import create_app
from tests.conftest import login
from tests.factories import PASSWORD
from tests.terminals.conftest import COUNTER, PHONE, SCREENSHOTS, LiveServer, screenshot_path
from tests.terminals.pages import CounterPage, TicketPage
from tests.terminals.test_with_agent import AgentThread

H = "/api/v1/halls/h1"


def test_a_correction_notice_is_printed_and_shown_on_the_ticket_page(
        browser: Browser, server: LiveServer, tmp_path: Path) -> None:
    api = TestClient(create_app(server.core))
    ticket = api.post(f"{H}/desk/tickets", json={"service": "SB01", "print": False},
                      headers=login(api, "s6")).json()["ticket"]
    agent = AgentThread(server, tmp_path)
    counter = CounterPage(browser, server.url, COUNTER).open("h1")
    phone = TicketPage(browser, server.url, PHONE)
    try:
        phone.open(ticket["id"])
        counter.log_in("s2", PASSWORD)
        counter.sign_in("2")
        counter.key("F1")
        expect(counter.current_number).to_have_text("A001")
        counter.key("F4")
        # The notice must name what is missing: an empty one is refused on screen.
        counter.press("finish")
        counter.page.locator('input[name=outcome][value="correction_notice"]').check()
        expect(counter.page.locator("#f-missing input")).to_have_count(3)
        counter.page.locator("#dlg-ok").click()
        expect(counter.toast).to_have_text("补正告知须写明缺少的材料")
        counter.shot(screenshot_path("counter-correction-notice"))
        counter.cancel()
        counter.finish("correction_notice", missing=("近期一寸白底照片", "社保卡申领表"),
                       missing_other="户口簿首页复印件")
        expect(counter.toast).to_have_text(
            "A001 已补正告知（一次性告知）；一次性告知单正在打印")

        receipt = agent.run(agent.printer.wait_for_receipt(timeout=10))
        text = receipt.text
        assert "一次性告知单" in text and "测试县政务服务中心" in text
        assert "事项：社保卡" in text and "工作人员：员工2（s2）" in text
        assert "1. 近期一寸白底照片" in text and "2. 社保卡申领表" in text
        assert "3. 户口簿首页复印件" in text
        date = server.core.clock.now().astimezone(ZoneInfo("Asia/Shanghai")).date().isoformat()
        assert f"日期：{date}" in text
        [qr] = receipt.qr_codes  # back to the ticket page, with the holder's rating key
        assert qr.startswith(f"{server.url}/t/{ticket['id']}?k=")
        SCREENSHOTS.joinpath("printed").mkdir(parents=True, exist_ok=True)
        shutil.copy(agent.printer.images[-1], SCREENSHOTS / "printed" / "correction-notice.png")

        # The citizen's page: 需补正材料 with the list, never 已办结.
        expect(phone.status).to_have_text("需补正材料")
        items = phone.page.locator("#notice-items li")
        expect(items).to_have_text(["近期一寸白底照片", "社保卡申领表", "户口簿首页复印件"])
        expect(phone.page.locator("#notice-by")).to_contain_text(
            "测试县政务服务中心 · 2 号窗口 · 员工2")
        phone.shot(screenshot_path("ticket-correction-notice"))
        # Kept with the ticket (for the reports): the API gives the same notice.
        notice = api.get(f"/api/v1/tickets/{ticket['id']}").json()["notice"]
        assert notice["materials"] == ["近期一寸白底照片", "社保卡申领表"]
        assert notice["other"] == "户口簿首页复印件" and notice["staff_no"] == "s2"
        for page in (counter, phone):
            assert page.foreign_requests() == [] and page.errors == []
    finally:
        counter.close()
        phone.close()
        agent.stop()


def test_the_ticket_page_says_priority_tickets_are_served_first(
        browser: Browser, server: LiveServer) -> None:
    api = TestClient(create_app(server.core))
    desk = login(api, "s6")
    mine = api.post(f"{H}/desk/tickets", json={"service": "SB01", "print": False},
                    headers=desk).json()["ticket"]
    # A 绿色通道 ticket of another matter that window 2 serves (养老保险) comes first.
    api.post(f"{H}/desk/tickets", json={"service": "SB02", "priority": "green",
                                        "green_reason": "elderly", "print": False}, headers=desk)
    s2 = login(api, "s2")
    api.post(f"{H}/windows/2/sign-in", json={"post": "A"}, headers=s2)
    phone = TicketPage(browser, server.url, PHONE).open(mine["id"])
    try:
        expect(phone.ahead).to_have_text("1 人")
        expect(phone.page.locator("#first")).to_have_text(
            "其中 1 位为其他事项的绿色通道或预约号，按规定优先办理")
        expect(phone.page.locator("#wait")).not_to_have_text("无需等待")
        phone.shot(screenshot_path("ticket-priority-first"))
        called = api.post(f"{H}/windows/2/call-next", headers=s2).json()["ticket"]
        assert called["priority"] == "green"  # what the page said
        expect(phone.ahead).to_have_text("0 人")
        expect(phone.page.locator("#first")).to_be_hidden()
        assert phone.foreign_requests() == [] and phone.errors == []
    finally:
        phone.close()
