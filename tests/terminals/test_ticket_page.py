"""The citizen's ticket page on a phone: live place in the queue, with and without websockets."""

from __future__ import annotations

import re

import pytest
from fastapi.testclient import TestClient
from playwright.sync_api import Browser, expect

from server.app import create_app
from tests.conftest import login
from tests.terminals.conftest import PHONE, LiveServer, screenshot_path
from tests.terminals.pages import TicketPage

NO_WEBSOCKET = "window.WebSocket = undefined;"


@pytest.mark.parametrize("websocket", [True, False], ids=["websocket", "polling"])
def test_the_phone_follows_the_queue(browser: Browser, server: LiveServer,
                                     websocket: bool) -> None:
    api = TestClient(create_app(server.core))
    staff = login(api, "s1")
    first, second = (api.post("/api/v1/halls/h1/tickets", json={"service": "SB01"},
                              headers=staff).json() for _ in range(2))
    phone = TicketPage(browser, server.url, PHONE)
    if not websocket:
        phone.page.add_init_script(NO_WEBSOCKET)
    phone.open(second["id"])
    expect(phone.number).to_have_text("A002")
    expect(phone.centre).to_have_text("测试县政务服务中心")
    expect(phone.ahead).to_have_text("1 人")
    api.post("/api/v1/halls/h1/windows/1/sign-in", json={"post": "A"}, headers=staff)
    api.post("/api/v1/halls/h1/windows/1/call-next", headers=staff)
    expect(phone.ahead).to_have_text("0 人")
    api.post("/api/v1/halls/h1/windows/1/finish", json={"outcome": "completed"}, headers=staff)
    api.post("/api/v1/halls/h1/windows/1/call-next", headers=staff)
    expect(phone.window).to_have_text("1 号窗口")
    api.post("/api/v1/halls/h1/windows/1/no-show", headers=staff)
    expect(phone.status).to_have_text("已过号")
    expect(phone.page.locator("#note")).to_contain_text("咨询台")
    expect(phone.rate_link).to_be_hidden()
    assert phone.page.evaluate("document.body.dataset.live") == ("ws" if websocket else "poll")
    assert first["number"] == "A001"
    assert phone.foreign_requests() == [] and phone.errors == []
    phone.close()


def test_unknown_ticket_and_english_and_rating_page(browser: Browser, server: LiveServer) -> None:
    phone = TicketPage(browser, server.url, PHONE)
    phone.page.goto(f"{server.url}/t/not-a-ticket?lang=en")
    expect(phone.page.locator("#missing h1")).to_have_text("Ticket not found")
    expect(phone.page.locator("#missing #hq-back")).to_have_attribute("href", "/")
    api = TestClient(create_app(server.core))
    staff = login(api, "s1")
    ticket = api.post("/api/v1/halls/h1/tickets", json={"service": "ZX"}, headers=staff).json()
    # Opened by the id alone (as from a screen or a counter), the page follows but never
    # offers the rating; the holder's address carries the rating key.
    onlooker = TicketPage(browser, server.url, PHONE).open(ticket["id"])
    phone.open(ticket["id"], ticket["rating_key"])
    expect(phone.status).to_have_text("Waiting")
    phone.page.locator("#lang").click()
    expect(phone.status).to_have_text("排队中")
    api.post("/api/v1/halls/h1/windows/4/sign-in", json={"post": "A"}, headers=staff)
    api.post("/api/v1/halls/h1/windows/4/call-next", headers=staff)
    api.post("/api/v1/halls/h1/windows/4/finish", json={"outcome": "consulted"}, headers=staff)
    expect(phone.rate_link).to_be_visible()
    expect(onlooker.status).to_have_text("已办结")
    expect(onlooker.rate_link).to_be_hidden()
    onlooker.close()
    phone.rate_link.click()
    expect(phone.page.locator("#rate-number")).to_have_text("Z001 · 综合咨询")
    phone.page.locator('button[data-score="5"]').click()
    phone.shot(screenshot_path("ticket-rate"))
    phone.page.locator("#submit").click()
    # Until the evaluation domain takes online ratings, the page says where to rate instead.
    expect(phone.page.locator("#result")).to_have_text(re.compile("感谢您的评价|网上评价暂未开放"))
    assert phone.foreign_requests() == []
    phone.close()
