"""The counter terminal in a real browser: shortcuts, transfer, pause and 空岗, AB岗 takeover."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient
from playwright.sync_api import Browser, expect

from server.app import create_app
from server.clock import ManualClock
from server.events.bus import RecordingBus
from tests.conftest import login
from tests.factories import PASSWORD
from tests.terminals.conftest import COUNTER, LiveServer, screenshot_path
from tests.terminals.pages import CounterPage


@pytest.fixture
def api(server: LiveServer) -> TestClient:
    """An HTTP client on the same core, to set the scene."""
    return TestClient(create_app(server.core))


@pytest.fixture
def counter(browser: Browser, server: LiveServer) -> Iterator[CounterPage]:
    """The counter page, closed after the test (no foreign requests, no script errors)."""
    page = CounterPage(browser, server.url, COUNTER).open("h1")
    yield page
    assert page.foreign_requests() == []
    assert page.errors == []
    page.close()


def _issue(api: TestClient, *services: str) -> list[str]:
    staff = login(api, "s6")
    return [api.post("/api/v1/halls/h1/tickets", json={"service": s},
                     headers=staff).json()["number"] for s in services]


def test_shortcuts_call_specific_recall_no_show_finish_and_invite_rating(
        counter: CounterPage, api: TestClient, server: LiveServer) -> None:
    assert _issue(api, "SB01", "SB01", "SB02") == ["A001", "A002", "A003"]
    counter.log_in("s1", PASSWORD)
    counter.sign_in("2")
    expect(counter.queue).to_have_count(3)
    counter.key("F8")
    counter.page.locator("#c-number").fill("a002")
    counter.page.locator("#dlg-ok").click()
    expect(counter.current_number).to_have_text("A002")
    counter.key("F2")
    expect(counter.page.locator("#cur-meta")).to_have_text("已重呼 1 次")
    counter.key("F3")
    expect(counter.dialog_text).to_have_text("将 A002 标记为过号？群众需到咨询台重新排队。")
    counter.confirm()
    expect(counter.toast).to_have_text("A002 已记为过号")
    expect(counter.current_number).to_have_text("—")
    expect(counter.stat("today.no_show")).to_have_text("1")
    counter.key("F1")
    expect(counter.current_number).to_have_text("A001")
    counter.key("F4")
    expect(counter.current).to_have_attribute("data-status", "serving")
    counter.key("F5")
    counter.page.keyboard.press("2")  # the second outcome: 受理
    counter.page.locator("#dlg-ok").click()
    expect(counter.current_number).to_have_text("—")
    expect(counter.stat("today.served")).to_have_text("1")
    done = api.get("/api/v1/halls/h1/queue", headers=login(api, "op")).json()
    assert done["windows"][1]["state"] == "idle"
    counter.key("F9")
    expect(counter.toast).to_have_text("已邀请 A001 评价")
    assert isinstance(server.core.bus, RecordingBus)
    [evaluate] = server.core.bus.of_type("evaluate")
    assert evaluate["ticket"] == "A001" and evaluate["window"] == "2"
    assert evaluate["staff_no"] == "s1" and evaluate["staff_name"] == "员工1"
    # The no-show stays out of the queue: the next call is A003.
    counter.key("F1")
    expect(counter.current_number).to_have_text("A003")


def test_transfer_pause_and_the_empty_window_alarm(
        counter: CounterPage, api: TestClient, clock: ManualClock) -> None:
    _issue(api, "SB01")
    counter.log_in("s1", PASSWORD)
    counter.sign_in("2")
    counter.press("call-next")
    expect(counter.current_number).to_have_text("A001")
    counter.transfer_to_service("BDC01", note="需补充不动产材料")
    expect(counter.current_number).to_have_text("—")
    expect(counter.queue).to_have_count(0)  # window 2 does not serve 不动产
    ticket = api.get("/api/v1/halls/h1/queue", headers=login(api, "op")).json()
    assert {s["code"]: s["waiting"] for s in ticket["services"]}["BDC01"] == 1
    counter.pause("meeting")
    expect(counter.button("pause")).to_have_text("F7恢复")
    expect(counter.alarm).to_contain_text("将计为空岗")
    clock.advance(minutes=16)
    counter.page.reload()
    expect(counter.alarm).to_contain_text("空岗预警：本窗口已暂停 16 分钟")
    expect(counter.alarm).to_have_class("banner alarm")
    counter.shot(screenshot_path("counter-empty-alarm"))
    expect(counter.button("call-next")).to_be_disabled()
    counter.key("F7")
    expect(counter.alarm).to_be_hidden()
    expect(counter.button("call-next")).to_be_enabled()


def test_b_post_takes_over_the_window_and_its_ticket(
        counter: CounterPage, browser: Browser, server: LiveServer, api: TestClient) -> None:
    _issue(api, "SB01")
    counter.log_in("s1", PASSWORD)
    counter.sign_in("2", post="A")
    counter.key("F1")
    expect(counter.current_number).to_have_text("A001")

    stand_in = CounterPage(browser, server.url, COUNTER).open("h1")
    stand_in.log_in("s2", PASSWORD)
    tile = stand_in.page.locator('button[data-window="2"]')
    expect(tile).to_contain_text("员工1")
    expect(tile).to_contain_text("点击以所选岗位接替")
    stand_in.take_over("2", post="B")
    expect(stand_in.current_number).to_have_text("A001")
    expect(stand_in.page.locator("#who")).to_contain_text("B岗")
    stand_in.shot(screenshot_path("counter-b-post"))

    # The A post's terminal notices and goes back to the window list.
    expect(counter.page.locator("#view-choose")).to_be_visible(timeout=20000)
    expect(counter.toast).to_contain_text("B岗")
    expect(counter.taken_over).to_have_text(
        "2 号窗口已由 员工2（B岗）接替，您的当前号也已转交。")
    stand_in.key("F4")
    stand_in.finish()
    expect(stand_in.stat("today.served")).to_have_text("1")
    assert stand_in.foreign_requests() == [] and stand_in.errors == []
    stand_in.close()


def test_wrong_password_and_english(counter: CounterPage) -> None:
    counter.page.goto(f"{counter.base}/counter/h1?lang=en")
    expect(counter.page.locator("#login-btn")).to_have_text("Log in")
    counter.page.locator("#job-no").fill("s1")
    counter.page.locator("#password").fill("wrong")
    counter.page.locator("#login-btn").click()
    expect(counter.toast).to_have_text("Wrong job number or password")
    counter.page.locator("#lang").click()
    expect(counter.page.locator("#login-btn")).to_have_text("登录")


def test_call_a_ticket_by_scanning_its_qr_code(counter: CounterPage, api: TestClient,
                                               server: LiveServer) -> None:
    staff = login(api, "s6")
    tickets = [api.post("/api/v1/halls/h1/tickets", json={"service": "SB01"},
                        headers=staff).json() for _ in range(2)]
    counter.log_in("s1", PASSWORD)
    counter.sign_in("1")
    counter.key("F8")
    # A keyboard-wedge scanner types the ticket's QR link into the box and ends with Enter.
    counter.page.keyboard.type(f"{server.url}/t/{tickets[1]['id']}", delay=2)
    counter.page.keyboard.press("Enter")
    expect(counter.current_number).to_have_text("A002")


def test_a_counter_pc_fixed_to_its_window_signs_in_there(counter: CounterPage) -> None:
    counter.page.goto(f"{counter.base}/counter/h1?window=3")
    counter.page.locator("#job-no").fill("s3")
    counter.page.locator("#password").fill(PASSWORD)
    counter.page.locator("#login-btn").click()
    expect(counter.page.locator("#view-desk")).to_be_visible()
    expect(counter.page.locator("#who")).to_contain_text("3 号窗口 不动产窗口 · A岗")


@pytest.mark.parametrize("websocket", [True, False], ids=["websocket", "polling"])
def test_the_waiting_list_is_live(counter: CounterPage, api: TestClient,
                                  websocket: bool) -> None:
    if not websocket:
        counter.page.add_init_script("window.WebSocket = undefined;")
        counter.page.reload()
    counter.log_in("s1", PASSWORD)
    counter.sign_in("2")
    expect(counter.queue).to_have_count(0)
    _issue(api, "SB01", "YB01")
    expect(counter.queue).to_have_count(2)
    expect(counter.page.locator("#waiting-total")).to_have_text("2")
    _issue(api, "BDC01")  # not served at window 2
    expect(counter.queue.first).to_contain_text("A001")
    assert counter.page.evaluate("document.body.dataset.live") == ("ws" if websocket else "poll")


def test_badge_scan_logs_in_at_a_registered_counter_pc(
        browser: Browser, server: LiveServer) -> None:
    from server.auth import service as auth
    from server.halls import flows as hall_flows
    from tests.factories import TEST_HALL, hall_config

    staff = [dict(p) for p in TEST_HALL["staff"]]
    staff[2]["badge"] = "0004411"
    hall_flows.load(server.core, config=hall_config(staff=staff))
    _, token = auth.register_device(server.core, hall="h1", name="pc-2", kind="counter")
    counter = CounterPage(browser, server.url, COUNTER)
    counter.page.goto(f"{server.url}/counter/h1?token={token}")
    expect(counter.page.locator("#badge-hint")).to_have_text("或在读卡器上刷工作证")
    counter.scan_badge("9999999")  # not a known badge
    expect(counter.page.locator("#view-login")).to_be_visible()
    counter.scan_badge("0004411")
    expect(counter.page.locator("#view-choose")).to_be_visible()
    expect(counter.page.locator("#who")).to_contain_text("员工3")
    assert counter.foreign_requests() == [] and counter.errors == []
    counter.close()


def test_slow_typing_is_not_a_badge(counter: CounterPage) -> None:
    counter.page.locator("#job-no").focus()
    counter.page.keyboard.type("s1", delay=120)
    counter.page.locator("#password").focus()
    counter.page.keyboard.type(PASSWORD, delay=120)
    counter.page.keyboard.press("Enter")
    expect(counter.page.locator("#view-choose")).to_be_visible()
