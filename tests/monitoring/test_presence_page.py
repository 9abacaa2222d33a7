"""去向牌 on the window's LED screen, set at the counter and on the operator's board."""

from __future__ import annotations

import pytest
from playwright.sync_api import Browser, expect

from server.auth import service as auth
from server.halls import flows as hall_flows
from tests.display.pages import WindowScreen
from tests.events.live import SCREEN_TOKEN
from tests.factories import PASSWORD, hall_config
from tests.monitoring.pages import PresenceBoard
from tests.staffing.conftest import ab_windows
from tests.terminals.conftest import COUNTER, LiveServer, screenshot_path
from tests.terminals.pages import CounterPage

pytestmark = pytest.mark.browser


def test_presence_shows_on_the_led_screen(server: LiveServer, browser: Browser) -> None:
    core = server.core
    hall_flows.load(core, config=hall_config(windows=ab_windows()))
    auth.register_device(core, hall="h1", name="led-2", kind="screen", token=SCREEN_TOKEN)
    led_context = browser.new_context()
    led = WindowScreen(led_context.new_page(), server.url, "h1", "2", token=SCREEN_TOKEN)
    led.open(1280, 320)
    expect(led.ticket).to_have_text("无人值守")  # nobody signed in: unstaffed, not paused
    expect(led.tag).to_have_text("")

    # the A post says at the counter that she is going out
    counter = CounterPage(browser, server.url, COUNTER).open("h1")
    counter.log_in("s2", PASSWORD)
    expect(counter.page.locator('button[data-window="2"]')).to_contain_text("A岗 员工2 · B岗 员工3")
    counter.page.locator('#presence button[data-presence="out"]').click()
    expect(counter.page.locator('#presence button[data-presence="out"]')).to_have_class(
        "c-sign on")
    expect(led.tag).to_have_text("去向牌：员工2 外出")
    expect(led.page.locator("#screen")).to_have_attribute("data-presence", "out")
    led.screenshot("led-presence-out.png")

    # the operator's board shows it, and changes it to a meeting
    board = PresenceBoard(browser, server.url)
    board.open("h1", auth.login(core, username="op", password=PASSWORD))
    expect(board.person("s2")).to_contain_text("外出")
    expect(board.posts("2")).to_contain_text("员工2")
    expect(board.posts("2")).to_contain_text("员工3")
    expect(board.count("out")).to_have_text("1")
    board.set_sign("s2", "meeting", "党支部学习")
    expect(led.tag).to_have_text("去向牌：员工2 会议 · 党支部学习")
    expect(board.count("meeting")).to_have_text("1")
    expect(board.count("out")).to_have_text("0")
    board.shot(screenshot_path("monitor-presence"))

    # back at the window: signing in turns the sign to 在岗, and the screen welcomes
    counter.sign_in("2", "A")
    expect(led.ticket).to_have_text("欢迎光临")
    expect(led.tag).to_have_text("")
    expect(led.page.locator("#screen")).to_have_attribute("data-presence", "")
    assert counter.errors == [] and board.errors == [] and board.dialogs == []
    counter.close()
    board.close()
    led_context.close()


def test_a_named_b_post_and_the_operators_stand_in(server: LiveServer, browser: Browser) -> None:
    core = server.core
    hall_flows.load(core, config=hall_config(windows=ab_windows()))
    counter = CounterPage(browser, server.url, COUNTER).open("h1")
    counter.log_in("s5", PASSWORD)
    counter.page.locator('input[name=post][value="B"]').check()
    counter.page.locator('button[data-window="2"]').click()
    expect(counter.page.locator("#toast")).to_contain_text("请值班长授权代岗")
    board = PresenceBoard(browser, server.url)
    board.open("h1", auth.login(core, username="op", password=PASSWORD))
    board.page.locator("#ov-window").select_option("2")
    board.page.locator("#ov-post").select_option("B")
    board.page.locator("#ov-job").fill("s5")
    board.page.locator("#ov-reason").fill("员工3 病假")
    board.page.locator("#override-form button[type=submit]").click()
    expect(board.toast).to_contain_text("已授权 s5 今日在 2 号窗口 B岗 上岗")
    counter.sign_in("2", "B")
    counter.close()
    board.close()
