"""A counter that cannot hurt a citizen by accident (issue 12), in a real browser: a second
F1 is confirmed, never a silent 过号; no-show and closing are confirmed; every action is
answered on screen; the called ticket shows its 绿色通道 category, booking, transfers and note.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta

import pytest
from fastapi.testclient import TestClient
from playwright.sync_api import Browser, expect

from server.app import create_app
from server.clock import ManualClock
from tests.conftest import login
from tests.factories import PASSWORD
from tests.terminals.conftest import COUNTER, LiveServer, screenshot_path
from tests.terminals.pages import CounterPage

H = "/api/v1/halls/h1"


@pytest.fixture
def api(server: LiveServer) -> TestClient:
    """An HTTP client on the same core, to set the scene and read the truth."""
    return TestClient(create_app(server.core))


@pytest.fixture
def counter(browser: Browser, server: LiveServer) -> Iterator[CounterPage]:
    """The counter page, closed after the test (no foreign requests, no script errors)."""
    page = CounterPage(browser, server.url, COUNTER).open("h1")
    yield page
    assert page.foreign_requests() == []
    assert page.errors == []
    page.close()


def _issue(api: TestClient, *services: str, **extra: str) -> list[dict[str, str]]:
    desk = login(api, "s6")
    return [api.post(f"{H}/desk/tickets", json={"service": s, "print": False, **extra},
                     headers=desk).json()["ticket"] for s in services]


def _status(api: TestClient, ticket_id: str) -> str:
    return str(api.get(f"/api/v1/tickets/{ticket_id}").json()["status"])


def test_a_second_f1_is_confirmed_never_a_silent_no_show(
        counter: CounterPage, api: TestClient, clock: ManualClock) -> None:
    first, second = _issue(api, "SB01", "SB01")
    counter.log_in("s1", PASSWORD)
    counter.sign_in("2")
    counter.key("F1")
    expect(counter.current_number).to_have_text("A001")
    expect(counter.toast).to_have_text("已呼叫 A001")
    # The second press a second later asks; saying no leaves A001 called.
    counter.key("F1")
    expect(counter.dialog).to_have_attribute("data-kind", "dlg.confirm_no_show")
    expect(counter.dialog_text).to_have_text(
        "A001 刚刚呼叫，尚未重呼。要将 A001 标记为过号并呼叫下一位吗？")
    counter.shot(screenshot_path("counter-confirm-no-show"))
    counter.cancel()
    assert _status(api, first["id"]) == "called"
    expect(counter.current_number).to_have_text("A001")
    # The dialog offers the recall instead; a recall a moment ago is still not enough.
    counter.key("F1")
    counter.page.locator("#dlg-recall").click()
    expect(counter.toast).to_have_text("已重呼 A001（第 1 次）")
    expect(counter.meta).to_have_text("已重呼 1 次")
    counter.key("F1")
    expect(counter.dialog).to_have_attribute("data-kind", "dlg.confirm_no_show")
    assert _status(api, first["id"]) == "called"
    counter.confirm()
    expect(counter.current_number).to_have_text("A002")
    expect(counter.toast).to_have_text("A001 已记为过号，已呼叫 A002")
    assert (_status(api, first["id"]), _status(api, second["id"])) == ("no_show", "called")
    # Recalled and waited for as the hall's rules say (1 recall, 60 s): F1 moves on.
    third = _issue(api, "SB01")[0]
    counter.key("F2")
    expect(counter.meta).to_have_text("已重呼 1 次")
    clock.advance(seconds=61)
    counter.key("F1")
    expect(counter.current_number).to_have_text("A003")
    expect(counter.dialog).to_be_hidden()
    assert (_status(api, second["id"]), _status(api, third["id"])) == ("no_show", "called")


def test_no_show_and_closing_are_confirmed_and_every_action_answered(
        counter: CounterPage, api: TestClient) -> None:
    _issue(api, "SB01", "SB01")
    counter.log_in("s1", PASSWORD)
    counter.sign_in("2")
    counter.press("call-next")
    expect(counter.current_number).to_have_text("A001")
    counter.press("no-show")
    expect(counter.dialog_text).to_have_text("将 A001 标记为过号？群众需到咨询台重新排队。")
    counter.cancel()
    expect(counter.current).to_have_attribute("data-status", "called")
    counter.press("start")
    expect(counter.toast).to_have_text("开始办理 A001")
    counter.transfer_to_service("SB02", note="转养老保险")
    expect(counter.toast).to_have_text("A001 已转至 养老保险 (SB02)")
    counter.press("call-next")
    expect(counter.current_number).to_have_text("A001")  # kept its place in time
    counter.press("start")
    counter.finish("accepted")
    expect(counter.toast).to_have_text("A001 已受理")
    counter.pause("rest")
    expect(counter.toast).to_have_text("窗口已暂停")
    counter.press("pause")
    expect(counter.toast).to_have_text("窗口已恢复叫号")
    counter.page.locator("#signout").click()
    expect(counter.dialog_text).to_have_text("签退 2 号窗口？签退后本窗口不再叫号。")
    counter.cancel()
    expect(counter.page.locator("#view-desk")).to_be_visible()
    counter.sign_out()
    expect(counter.toast).to_have_text("已签退 2 号窗口")
    windows = api.get(f"{H}/queue", headers=login(api, "op")).json()["windows"]
    assert windows[1]["staff"] is None


def test_the_called_ticket_shows_category_booking_transfers_and_note(
        counter: CounterPage, api: TestClient, clock: ManualClock) -> None:
    green = _issue(api, "SB01", priority="green", green_reason="elderly")[0]
    s2 = login(api, "s2")
    api.post(f"{H}/windows/2/sign-in", json={"post": "A"}, headers=s2)
    api.post(f"{H}/windows/2/call-next", headers=s2)
    api.post(f"{H}/windows/2/transfer", headers=s2,
             json={"window": "1", "note": "老人腿脚不便，请就近办理"})
    counter.log_in("s1", PASSWORD)
    counter.sign_in("1")
    counter.key("F1")
    expect(counter.current_number).to_have_text(green["number"])
    expect(counter.meta).to_have_text("绿色通道（老年人）")
    # The transfer line carries the note (said once).
    expect(counter.details).to_have_count(1)
    expect(counter.details.nth(0)).to_contain_text(
        "转来 · 自 2 号窗口 员工2 → 1 号窗口：老人腿脚不便，请就近办理")
    counter.shot(screenshot_path("counter-called-details"))
    counter.key("F4")
    counter.finish()
    # A booking checked in at the desk shows its slot.
    start = clock.now() + timedelta(minutes=5)
    api.post(f"{H}/appointments", headers=login(api, "op"), json={
        "service": "BDC01", "code": "YY7001", "slot_start": start.isoformat(),
        "slot_end": (start + timedelta(minutes=30)).isoformat()})
    booked = api.post(f"{H}/desk/appointments/YY7001/check-in",
                      headers=login(api, "s6")).json()["ticket"]
    counter.key("F1")
    expect(counter.current_number).to_have_text(booked["number"])
    expect(counter.meta).to_have_text(
        f"预约 {booked['slot_start'][11:16]}–{booked['slot_end'][11:16]}")
    expect(counter.details).to_have_count(0)
