"""The window LED screen and the hall screen in headless Chromium against a real server."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest
from playwright.sync_api import Browser, Page, expect, sync_playwright

from server.app import create_app
from server.auth import service as auth
from server.core import Core
from tests.display.pages import CHROMIUM, CHROMIUM_ARGS, HallScreen, WindowScreen
from tests.events.live import SCREEN_TOKEN, serve_in_thread
from tests.factories import PASSWORD

pytestmark = pytest.mark.browser
# "A moment" between the button and the screen (DESIGN: well under a second; CI slack).
MOMENT_MS = 2000


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    """Headless Chromium, shared by the module's tests."""
    with sync_playwright() as pw:
        b = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        yield b
        b.close()


@pytest.fixture
def base_url(core: Core) -> Iterator[str]:
    """The test hall served on a free port, with a screen token."""
    auth.register_device(core, hall="h1", name="screen", kind="screen", token=SCREEN_TOKEN)
    with serve_in_thread(create_app(core)) as url:
        yield url


@pytest.fixture
def page(browser: Browser) -> Iterator[Page]:
    """A fresh page."""
    context = browser.new_context()
    p = context.new_page()
    yield p
    context.close()


@pytest.fixture
def staff(base_url: str) -> Iterator[httpx.Client]:
    """An HTTP client logged in as staff s1."""
    with httpx.Client(base_url=base_url, timeout=10) as c:
        r = c.post("/api/v1/auth/token", data={"username": "s1", "password": PASSWORD})
        c.headers["Authorization"] = f"Bearer {r.json()['access_token']}"
        yield c


def _ok(r: httpx.Response) -> httpx.Response:
    assert r.status_code in (200, 201, 204), r.text
    return r


@pytest.mark.parametrize(("width", "height"), [(640, 160), (1920, 1080)])
def test_window_screen_shows_the_called_number(page: Page, base_url: str, staff: httpx.Client,
                                               width: int, height: int) -> None:
    screen = WindowScreen(page, base_url, "h1", "2", token=SCREEN_TOKEN)
    screen.open(width, height)
    expect(screen.ticket).to_have_text("无人值守")  # nobody at the window yet (unstaffed)
    _ok(staff.post("/api/v1/halls/h1/windows/2/sign-in", json={"post": "A"}))
    expect(screen.ticket).to_have_text("欢迎光临", timeout=MOMENT_MS)
    _ok(staff.post("/api/v1/halls/h1/tickets", json={"service": "SB01"}))
    _ok(staff.post("/api/v1/halls/h1/windows/2/call-next"))
    expect(screen.ticket).to_have_text("A001", timeout=MOMENT_MS)
    expect(screen.tag).to_have_text("社保卡")
    assert screen.state == "called"
    for part in ("#win-no", "#win-ticket", "#win-tag", "#marquee"):
        assert screen.fits(part), f"{part} overflows at {width}×{height}"
    assert screen.screenshot(f"window-{width}x{height}.png").stat().st_size > 2000


def test_window_screen_tells_matters_apart_and_pauses(page: Page, base_url: str,
                                                       staff: httpx.Client) -> None:
    screen = WindowScreen(page, base_url, "h1", "1", token=SCREEN_TOKEN)
    screen.open(640, 160)
    _ok(staff.post("/api/v1/halls/h1/windows/1/sign-in", json={"post": "A"}))
    _ok(staff.post("/api/v1/halls/h1/tickets", json={"service": "SB01"}))
    _ok(staff.post("/api/v1/halls/h1/tickets", json={"service": "BDC01"}))
    _ok(staff.post("/api/v1/halls/h1/windows/1/call-next"))
    expect(screen.ticket).to_have_text("A001", timeout=MOMENT_MS)
    social = screen.matter_colour()
    _ok(staff.post("/api/v1/halls/h1/windows/1/finish", json={"outcome": "completed"}))
    _ok(staff.post("/api/v1/halls/h1/windows/1/call-next"))
    expect(screen.ticket).to_have_text("C001", timeout=MOMENT_MS)
    expect(screen.tag).to_have_text("不动产登记")
    assert screen.matter_colour() != social
    _ok(staff.post("/api/v1/halls/h1/windows/1/finish", json={"outcome": "completed"}))
    _ok(staff.post("/api/v1/halls/h1/windows/1/pause", json={"reason": "午休"}))
    expect(screen.ticket).to_have_text("暂停服务", timeout=MOMENT_MS)
    expect(screen.tag).to_have_text("午休")
    screen.screenshot("window-640x160-paused.png")


def test_window_screen_in_english(page: Page, base_url: str, staff: httpx.Client) -> None:
    screen = WindowScreen(page, base_url, "h1", "3", token=SCREEN_TOKEN, lang="en")
    screen.open(1920, 1080)
    _ok(staff.post("/api/v1/halls/h1/windows/3/sign-in", json={"post": "A"}))
    expect(screen.ticket).to_have_text("Welcome", timeout=MOMENT_MS)
    expect(page.locator("#win-no")).to_have_text("Window 3")


def test_hall_screen_lists_calls_windows_and_waiting(page: Page, base_url: str,
                                                     staff: httpx.Client) -> None:
    screen = HallScreen(page, base_url, "h1", token=SCREEN_TOKEN)
    screen.open(1920, 1080)
    expect(page.locator("#hall-name")).to_have_text("测试县政务服务中心")
    for _ in range(3):
        _ok(staff.post("/api/v1/halls/h1/tickets", json={"service": "SB01"}))
    expect(screen.waiting("SB01")).to_have_text("3 人", timeout=MOMENT_MS)
    _ok(staff.post("/api/v1/halls/h1/windows/2/sign-in", json={"post": "A"}))
    _ok(staff.post("/api/v1/halls/h1/windows/2/call-next"))
    expect(screen.latest).to_contain_text("A001", timeout=MOMENT_MS)
    expect(screen.latest).to_have_class("latest-call blink")
    expect(screen.window_ticket("2")).to_have_text("A001")
    expect(screen.waiting("SB01")).to_have_text("2 人")
    expect(page.locator("#clock-time")).to_have_text("10:00:00", timeout=MOMENT_MS)
    assert screen.fits(".hall-main") and screen.fits("#marquee")
    screen.screenshot("hall-1920x1080.png")
    # The highlight is brief: the newest call stops blinking after a few seconds.
    expect(screen.latest).to_have_class("latest-call", timeout=12_000)


def test_hall_screen_speaks_calls_one_after_another(page: Page, base_url: str,
                                                   staff: httpx.Client) -> None:
    screen = HallScreen(page, base_url, "h1", token=SCREEN_TOKEN)
    screen.open(1280, 720)
    for service in ("SB01", "BDC01"):
        _ok(staff.post("/api/v1/halls/h1/tickets", json={"service": service}))
    _ok(staff.post("/api/v1/halls/h1/windows/2/sign-in", json={"post": "A"}))
    with httpx.Client(base_url=base_url) as other:
        r = other.post("/api/v1/auth/token", data={"username": "s2", "password": PASSWORD})
        other.headers["Authorization"] = f"Bearer {r.json()['access_token']}"
        _ok(other.post("/api/v1/halls/h1/windows/3/sign-in", json={"post": "A"}))
        _ok(staff.post("/api/v1/halls/h1/windows/2/call-next"))
        _ok(other.post("/api/v1/halls/h1/windows/3/call-next"))
    page.wait_for_function("() => window.HallqVoice.log.filter(e => e.end).length === 2",
                           timeout=30_000)
    first, second = screen.voice_log()
    assert (first["ticket"], first["window"]) == ("A001", "2")
    assert (second["ticket"], second["window"]) == ("C001", "3")
    assert second["start"] >= first["end"], "two calls were spoken over each other"
    # Each WAV holds the template said twice: ~5 s of speech, not an instant failure.
    assert first["end"] - first["start"] > 1500


def test_scrolling_line_changes_on_every_screen(page: Page, base_url: str) -> None:
    screen = WindowScreen(page, base_url, "h1", "4", token=SCREEN_TOKEN)
    screen.open(640, 160)
    with httpx.Client(base_url=base_url) as op:
        r = op.post("/api/v1/auth/token", data={"username": "op", "password": PASSWORD})
        op.headers["Authorization"] = f"Bearer {r.json()['access_token']}"
        _ok(op.put("/api/v1/halls/h1/scroll-text", json={"text": "今日办理不动产业务请到3号窗口"}))
    expect(page.locator("#marquee .marquee-text")).to_have_text("今日办理不动产业务请到3号窗口",
                                                                timeout=MOMENT_MS)


def test_screen_without_a_token_says_what_is_missing(page: Page, base_url: str) -> None:
    page.set_viewport_size({"width": 640, "height": 160})
    page.goto(f"{base_url}/display/h1/window/1")
    expect(page.locator("#offline")).to_contain_text("token", timeout=MOMENT_MS)


def test_hall_screen_pages_through_a_big_halls_windows(page: Page, base_url: str,
                                                      core: Core) -> None:
    from server.halls import flows as hall_flows
    from tests.factories import hall_config

    many = [{"number": str(n), "name": f"综合受理{n}", "kind": "any"} for n in range(1, 31)]
    hall_flows.load(core, config=hall_config(windows=many))
    screen = HallScreen(page, base_url, "h1", token=SCREEN_TOKEN)
    page.goto(f"{base_url}/display/h1?token={SCREEN_TOKEN}&page_s=2")
    page.set_viewport_size({"width": 1920, "height": 1080})
    cards = page.locator(".window-card")
    expect(cards).to_have_count(24)
    expect(page.locator("#windows-page")).to_have_text("1 / 2")
    for i in (0, 23):
        assert screen.fits(f'.window-card[data-window="{i + 1}"]')
    screen.screenshot("hall-1920x1080-30-windows.png")
    expect(page.locator("#windows-page")).to_have_text("2 / 2", timeout=5000)
    expect(cards).to_have_count(6)
    expect(page.locator('.window-card[data-window="30"]')).to_be_visible()


def test_hall_screen_tells_unstaffed_paused_and_serving_apart(page: Page, base_url: str,
                                                              staff: httpx.Client) -> None:
    screen = HallScreen(page, base_url, "h1", token=SCREEN_TOKEN)
    screen.open(1920, 1080)
    expect(screen.window_ticket("1")).to_have_text("无人值守")  # nobody signed in
    _ok(staff.post("/api/v1/halls/h1/windows/2/sign-in", json={"post": "A"}))
    expect(screen.window_ticket("2")).to_have_text("欢迎光临", timeout=MOMENT_MS)
    # The reason is stored as a code and shown in the screen's language.
    _ok(staff.post("/api/v1/halls/h1/windows/2/pause", json={"reason": "meeting: 科室例会"}))
    expect(screen.window_ticket("2")).to_have_text("暂停服务", timeout=MOMENT_MS)
    card = page.locator('.window-card[data-window="2"]')
    expect(card.locator(".wc-reason")).to_have_text("会议：科室例会")
    expect(screen.window_ticket("1")).to_have_text("无人值守")
    _ok(staff.post("/api/v1/halls/h1/windows/2/resume"))
    _ok(staff.post("/api/v1/halls/h1/tickets", json={"service": "SB01"}))
    _ok(staff.post("/api/v1/halls/h1/windows/2/call-next"))
    expect(card.locator(".wc-label")).to_have_text("请到本窗口办理", timeout=MOMENT_MS)
    expect(card).to_have_class("window-card state-called")
    _ok(staff.post("/api/v1/halls/h1/windows/2/start"))
    expect(card.locator(".wc-label")).to_have_text("正在办理", timeout=MOMENT_MS)
    expect(card).to_have_class("window-card state-serving")
    expect(screen.window_ticket("2")).to_have_text("A001")
    screen.screenshot("hall-states-1920x1080.png")


@pytest.mark.parametrize(("width", "height"), [(640, 160), (1920, 1080), (1080, 1920)])
def test_window_screen_called_and_serving_differ_on_every_size(
        page: Page, base_url: str, staff: httpx.Client, width: int, height: int) -> None:
    screen = WindowScreen(page, base_url, "h1", "2", token=SCREEN_TOKEN)
    screen.open(width, height)
    expect(screen.ticket).to_have_text("无人值守")
    _ok(staff.post("/api/v1/halls/h1/windows/2/sign-in", json={"post": "A"}))
    _ok(staff.post("/api/v1/halls/h1/tickets", json={"service": "SB01"}))
    _ok(staff.post("/api/v1/halls/h1/windows/2/call-next"))
    label = page.locator("#win-label")
    expect(label).to_have_text("请到本窗口办理", timeout=MOMENT_MS)
    expect(label).to_be_visible()
    style = "el => [getComputedStyle(el).backgroundColor, getComputedStyle(el).color]"
    called = label.evaluate(style)
    called_frame = screen.ticket.evaluate("el => getComputedStyle(el).boxShadow")
    for part in ("#win-label", "#win-ticket", "#win-tag"):
        assert screen.fits(part), f"{part} overflows at {width}×{height}"
    screen.screenshot(f"window-called-{width}x{height}.png")
    _ok(staff.post("/api/v1/halls/h1/windows/2/start"))
    expect(label).to_have_text("正在办理", timeout=MOMENT_MS)
    expect(label).to_be_visible()
    assert label.evaluate(style) != called
    assert screen.ticket.evaluate("el => getComputedStyle(el).boxShadow") != called_frame
    screen.screenshot(f"window-serving-{width}x{height}.png")


def test_screens_show_the_next_ticket_where_the_hall_wants_it(
        page: Page, core: Core, base_url: str, staff: httpx.Client) -> None:
    from server.halls import flows as hall_flows
    from tests.factories import hall_config

    hall_flows.load(core, config=hall_config(rules={"screen_next_ticket": True}))
    screen = WindowScreen(page, base_url, "h1", "2", token=SCREEN_TOKEN)
    screen.open(640, 160)
    _ok(staff.post("/api/v1/halls/h1/windows/2/sign-in", json={"post": "A"}))
    for _ in range(2):
        _ok(staff.post("/api/v1/halls/h1/tickets", json={"service": "SB01"}))
    _ok(staff.post("/api/v1/halls/h1/windows/2/call-next"))
    expect(screen.ticket).to_have_text("A001", timeout=MOMENT_MS)
    expect(page.locator("#win-next")).to_have_text("请 A002 号准备", timeout=MOMENT_MS)
    assert screen.fits("#win-next")
    _ok(staff.post("/api/v1/halls/h1/tickets", json={"service": "SB01"}))
    _ok(staff.post("/api/v1/halls/h1/windows/2/finish", json={"outcome": "completed"}))
    _ok(staff.post("/api/v1/halls/h1/windows/2/call-next"))
    expect(screen.ticket).to_have_text("A002", timeout=MOMENT_MS)
    expect(page.locator("#win-next")).to_have_text("请 A003 号准备", timeout=MOMENT_MS)
    _ok(staff.post("/api/v1/halls/h1/windows/2/finish", json={"outcome": "completed"}))
    _ok(staff.post("/api/v1/halls/h1/windows/2/call-next"))
    expect(page.locator("#win-next")).to_have_text("", timeout=MOMENT_MS)  # nobody after A003
    hall = HallScreen(page, base_url, "h1", token=SCREEN_TOKEN)
    hall.open(1920, 1080)
    _ok(staff.post("/api/v1/halls/h1/tickets", json={"service": "SB01"}))
    expect(page.locator('.window-card[data-window="2"] .wc-next')).to_have_text(
        "请 A004 号准备", timeout=MOMENT_MS)


def test_a_screen_without_the_rule_shows_no_next_ticket(page: Page, base_url: str,
                                                        staff: httpx.Client) -> None:
    screen = WindowScreen(page, base_url, "h1", "2", token=SCREEN_TOKEN, lang="en")
    screen.open(1920, 1080)
    _ok(staff.post("/api/v1/halls/h1/windows/2/sign-in", json={"post": "A"}))
    for _ in range(2):
        _ok(staff.post("/api/v1/halls/h1/tickets", json={"service": "SB01"}))
    _ok(staff.post("/api/v1/halls/h1/windows/2/call-next"))
    expect(screen.ticket).to_have_text("A001", timeout=MOMENT_MS)
    expect(page.locator("#win-label")).to_have_text("Please come to this window")
    expect(page.locator("#win-next")).to_have_text("")
    _ok(staff.post("/api/v1/halls/h1/windows/2/finish", json={"outcome": "completed"}))
    _ok(staff.post("/api/v1/halls/h1/windows/2/pause", json={"reason": "rest"}))
    expect(screen.ticket).to_have_text("Service paused", timeout=MOMENT_MS)
    expect(screen.tag).to_have_text("Break")
