"""The hall chooser, a hall's page list and the offline API docs, in real headless Chromium."""

from __future__ import annotations

from collections.abc import Iterator
from urllib.parse import urlsplit

import pytest
from playwright.sync_api import Browser, Page, Route, expect

from server.demo.seed import seed
from tests.terminals.conftest import LiveServer


@pytest.fixture
def page(browser: Browser) -> Iterator[Page]:
    """A fresh browser context (its own language memory)."""
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    yield context.new_page()
    context.close()


def _offline(page: Page) -> list[str]:
    """Refuse every request that would leave this machine; return the list of them."""
    outside: list[str] = []

    def handle(route: Route) -> None:
        host = urlsplit(route.request.url).hostname or ""
        if route.request.url.startswith(("data:", "blob:")) or host in ("127.0.0.1", "localhost"):
            route.continue_()
        else:
            outside.append(route.request.url)
            route.abort()

    page.route("**/*", handle)
    return outside


def test_root_chooses_the_demo_hall_and_lists_its_pages(server: LiveServer, page: Page) -> None:
    seed(server.core)
    page.goto(server.url + "/")
    expect(page.locator("h1")).to_have_text("Hall Queue 政务服务大厅排队叫号系统")
    expect(page.locator('[data-hall="demo"] a')).to_be_visible()
    expect(page.locator('[data-hall="h1"] a')).to_have_text("测试县政务服务中心")
    page.locator("#filter").fill("demo")
    expect(page.locator('[data-hall="h1"]')).to_have_count(0)
    page.locator('[data-hall="demo"] a').click()

    expect(page).to_have_url(server.url + "/halls/demo")
    for key, path in [("kiosk", "/kiosk/demo"), ("counter", "/counter/demo"),
                      ("desk", "/desk/demo"), ("hall_screen", "/display/demo"),
                      ("monitor", "/monitor/demo"), ("reports", "/monitor/demo/reports")]:
        expect(page.locator(f'[data-page="{key}"] a')).to_have_attribute("href", path)
    expect(page.locator('[data-page="kiosk"]')).to_contain_text("取号机")
    expect(page.locator('[data-page="kiosk"]')).to_contain_text("?token=")
    for number in "123456":
        row = page.locator(f'[data-window="{number}"]')
        expect(row.locator("a")).to_have_attribute("href", f"/display/demo/window/{number}")
    expect(page.locator('a[href="/docs"]')).to_be_visible()
    expect(page.locator("#token-cmd")).to_contain_text("hallq device --hall demo")

    page.locator("#lang").click()
    expect(page.locator('[data-page="kiosk"]')).to_contain_text("Ticket kiosk")
    expect(page.locator('[data-window="1"]')).to_contain_text("Window 1 screen")
    page.locator("#back").click()
    expect(page.locator('[data-i18n="pages.intro"]')).to_contain_text("Choose a hall")


def test_an_unknown_hall_page_says_so_with_the_way_back(server: LiveServer, page: Page) -> None:
    page.goto(server.url + "/halls/nowhere")
    expect(page.locator("#hq-missing h1")).to_have_text("未找到大厅“nowhere”")
    page.locator("#hq-back").click()
    expect(page).to_have_url(server.url + "/")


def test_swagger_ui_renders_every_operation_offline(server: LiveServer, page: Page) -> None:
    outside = _offline(page)
    page.goto(server.url + "/docs")
    health = page.locator(".opblock", has_text="/api/v1/health")
    expect(health).to_be_visible()
    expect(page.locator(".opblock", has_text="/api/v1/halls/{hall}/tickets").first).to_be_visible()
    assert page.locator(".opblock").count() > 20
    health.locator(".opblock-summary").click()
    page.get_by_role("button", name="Try it out").click()
    page.get_by_role("button", name="Execute").click()
    expect(health.locator(".live-responses-table")).to_contain_text('"status": "ok"')
    assert outside == []


def test_redoc_renders_the_operations_offline(server: LiveServer, page: Page) -> None:
    outside = _offline(page)
    page.goto(server.url + "/redoc")
    # ReDoc parses the whole schema in the page first: slow on a loaded machine, not wrong.
    expect(page.get_by_text("Hall Queue", exact=False).first).to_be_visible(timeout=60_000)
    expect(page.locator("[data-section-id^='operation/']").first).to_be_attached()
    assert page.locator("[data-section-id^='operation/']").count() > 20
    assert outside == []
