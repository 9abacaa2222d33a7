"""The dashboard in headless Chromium: a live call, a raised alert, a chart; a screenshot kept."""

from __future__ import annotations

import pytest
from playwright.sync_api import Browser, expect

from server.appointments import poller
from server.appointments.platform import (
    BookingPlatformSettings,
    PlatformClient,
    PlatformError,
    get_platform_settings,
)
from server.auth import service as auth
from server.auth.principal import Principal
from server.auth.security import rating_key
from server.clock import ManualClock
from server.evaluations import service as evaluations
from server.evaluations.schemas import RatingCreate
from server.halls import flows as hall_flows
from server.monitoring import alerts
from server.tickets import flows as ticket_flows
from server.windows import flows as window_flows
from simulators.booking_platform import BookingPlatformSim
from tests.factories import PASSWORD, hall_config
from tests.reports.generator import principals
from tests.terminals.conftest import LiveServer, screenshot_path

pytestmark = pytest.mark.browser


def test_dashboard_shows_a_live_call_an_alert_and_charts(
        server: LiveServer, browser: Browser, clock: ManualClock) -> None:
    core = server.core
    who = principals(core)
    for _ in range(3):
        ticket_flows.issue(core, hall="h1", service="SB01", actor=who["op"])
    token = auth.login(core, username="op", password=PASSWORD)
    page = browser.new_page(viewport={"width": 1440, "height": 1000})
    page.goto(f"{server.url}/monitor/h1?token={token}")
    expect(page.locator("#win-2")).to_be_visible()
    expect(page.locator("#today-issued b")).to_have_text("3")
    expect(page.locator("#status")).to_contain_text("实时")

    window_flows.sign_in(core, hall="h1", window="2", post="A", actor=who["s2"])
    window_flows.call_next(core, hall="h1", window="2", actor=who["s2"])
    expect(page.locator("#calls li").first).to_contain_text("请 A001 号到 2 号窗口")
    expect(page.locator("#win-2 .tk")).to_have_text("A001")
    expect(page.locator("#win-2")).to_have_attribute("data-state", "called")

    clock.advance(minutes=21)
    raised = alerts.scan(core, "h1")
    assert {a["kind"] for a in raised} == {"long_wait", "window_empty"}
    long_waits = page.locator('#alerts li[data-kind="long_wait"]')
    expect(long_waits.filter(has_text="A002 号已等候 21 分钟")).to_have_count(1)
    expect(long_waits).to_have_count(2)
    expect(page.locator('#alerts li[data-kind="window_empty"]').first).to_contain_text("空岗")
    expect(page.locator("#toast")).to_be_visible()
    expect(page.locator("#chart-arrivals canvas")).to_be_visible()
    expect(page.locator("#chart-waits canvas")).to_be_visible()
    page.screenshot(path=screenshot_path("monitor-dashboard"), full_page=True)

    page.click("#lang")
    expect(page.locator("h2").filter(has_text="Windows")).to_be_visible()
    page.close()


def test_dashboard_refuses_window_staff(server: LiveServer, browser: Browser) -> None:
    token = auth.login(server.core, username="s1", password=PASSWORD)
    page = browser.new_page()
    page.goto(f"{server.url}/monitor/h1?token={token}")
    expect(page.locator("#login")).to_be_visible()
    expect(page.locator("#login-msg")).to_have_text("本账号无权查看该大厅")
    page.close()


def test_reports_and_cases_pages(server: LiveServer, browser: Browser) -> None:
    core = server.core
    who = principals(core)
    t = ticket_flows.issue(core, hall="h1", service="SB01", actor=who["op"])
    window_flows.sign_in(core, hall="h1", window="2", post="A", actor=who["s2"])
    window_flows.call_next(core, hall="h1", window="2", actor=who["s2"])
    window_flows.finish(core, hall="h1", window="2", outcome="correction_notice",
                        actor=who["s2"])
    evaluations.record(core, ticket_id=t.id, rating=RatingCreate(level=2), channel="web",
                       key=rating_key(t.id, core.settings.pepper))
    token = auth.login(core, username="op", password=PASSWORD)
    page = browser.new_page(viewport={"width": 1440, "height": 900})
    page.goto(f"{server.url}/monitor/h1/reports?token={token}")
    expect(page.locator("#report tbody tr")).to_have_count(2)  # window 2 and the total
    expect(page.locator("#report tbody tr").last).to_contain_text("合计")
    expect(page.locator("#chart-report canvas")).to_be_visible()
    page.screenshot(path=screenshot_path("monitor-reports"), full_page=True)

    page.goto(f"{server.url}/monitor/h1/cases?token={token}")
    row = page.locator("#cases tbody tr")
    expect(row).to_have_count(1)
    expect(row).to_contain_text("待核实")
    row.get_by_role("button", name="处置").click()
    page.locator("#step-note").fill("查看录像，属实")
    page.locator("#step-ok").click()
    expect(row).to_contain_text("已核实")
    expect(page.locator("#rates")).to_contain_text("反馈率 0%")
    page.close()


def test_a_centre_sees_its_sub_centre_side_by_side(server: LiveServer, browser: Browser) -> None:
    core = server.core
    hall_flows.load(core, config=hall_config(
        hall={"code": "h2", "name": "社保分中心", "level": "county", "parent": "h1"}, staff=[]))
    ticket_flows.issue(core, hall="h2", service="SB01",
                       actor=Principal(roles=frozenset({"admin"})))
    token = auth.login(core, username="op", password=PASSWORD)
    page = browser.new_page(viewport={"width": 1440, "height": 1000})
    page.goto(f"{server.url}/monitor/h1?token={token}")
    expect(page.locator("#win-1")).to_be_visible()
    expect(page.locator("#centre")).to_be_hidden()
    page.click("#below-link")
    cards = page.locator(".hallcard")
    expect(cards).to_have_count(2)
    expect(cards.nth(1)).to_contain_text("社保分中心")
    expect(cards.nth(1)).to_contain_text("等候 1")
    page.close()


def test_the_dashboard_says_the_booking_platform_cannot_be_reached(
        server: LiveServer, browser: Browser, monkeypatch: pytest.MonkeyPatch) -> None:
    core = server.core
    sim = BookingPlatformSim()
    sim.start()
    monkeypatch.setenv("HALLQ_BOOKING_PLATFORM_MODE", "poll")
    get_platform_settings.cache_clear()
    client = PlatformClient(BookingPlatformSettings(mode="poll", url=sim.url, key=sim.key))
    try:
        token = auth.login(core, username="op", password=PASSWORD)
        page = browser.new_page(viewport={"width": 1440, "height": 1000})
        page.goto(f"{server.url}/monitor/h1?token={token}")
        expect(page.locator("#status")).to_contain_text("实时")
        sim.fail_next(1, 503)
        with pytest.raises(PlatformError):
            poller.poll_hall(core, client, "h1")
        assert [a["kind"] for a in alerts.scan(core, "h1")] == ["link_down"]
        down = page.locator('#alerts li[data-kind="link_down"]')
        expect(down).to_contain_text("省网上预约平台连接失败，预约数据暂未同步")
        page.click("#lang")
        expect(down).to_contain_text("provincial booking platform cannot be reached")
        # The next poll that succeeds ends it.
        poller.poll_hall(core, client, "h1")
        assert [(a["kind"], a["active"]) for a in alerts.scan(core, "h1")] == [
            ("link_down", False)]
        page.close()
    finally:
        client.close()
        sim.stop()
        get_platform_settings.cache_clear()
