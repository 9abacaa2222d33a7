"""Every page given an unknown hall, window or ticket says so in the user's language and
offers the way back; an operator's refusals are shown in their language (headless Chromium)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from playwright.sync_api import Browser, Page, expect

from server.auth import service as auth
from tests.factories import PASSWORD
from tests.reports.generator import principals
from tests.terminals.conftest import KIOSK_TOKEN, LiveServer

pytestmark = pytest.mark.browser


@pytest.fixture
def page(browser: Browser) -> Iterator[Page]:
    """A fresh browser context (its own language memory)."""
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    yield context.new_page()
    context.close()


UNKNOWN_HALL = ["/kiosk/nowhere?token=" + KIOSK_TOKEN, "/counter/nowhere", "/display/nowhere",
                "/display/nowhere/window/1", "/monitor/nowhere", "/monitor/nowhere/reports",
                "/monitor/nowhere/cases", "/halls/nowhere"]


@pytest.mark.parametrize("path", UNKNOWN_HALL)
def test_a_page_of_an_unknown_hall_says_so(server: LiveServer, page: Page, path: str) -> None:
    page.goto(server.url + path)
    expect(page.locator("#hq-missing h1")).to_have_text("未找到大厅“nowhere”")
    expect(page.locator("#hq-missing")).to_contain_text("请检查地址中的大厅代码是否正确")
    expect(page.locator("#hq-back")).to_have_text("返回大厅列表")
    page.locator("#hq-back").click()
    expect(page.locator('[data-hall="h1"]')).to_be_visible()


@pytest.mark.parametrize("path", ["/display/h1/window/99", "/counter/h1?window=99"])
def test_a_page_of_an_unknown_window_says_so(server: LiveServer, page: Page, path: str) -> None:
    page.goto(server.url + path)
    expect(page.locator("#hq-missing h1")).to_have_text("本大厅没有 99 号窗口")
    expect(page.locator("#hq-back")).to_have_attribute("href", "/halls/h1")
    page.locator("#hq-back").click()
    expect(page.locator('[data-window="1"]')).to_be_visible()


def test_not_found_in_english(server: LiveServer, page: Page) -> None:
    page.goto(server.url + "/display/h1/window/99?lang=en")
    expect(page.locator("#hq-missing h1")).to_have_text("This hall has no window 99")
    expect(page.locator("#hq-back")).to_have_text("Back to this hall's pages")
    expect(page.locator("html")).to_have_attribute("lang", "en")


def test_an_unknown_ticket_says_so_with_the_way_back(server: LiveServer, page: Page) -> None:
    page.goto(server.url + "/t/not-a-ticket")
    expect(page.locator("#missing h1")).to_have_text("未找到该号票")
    expect(page.locator("#missing")).to_contain_text("只保留当天")
    expect(page.locator("#missing #hq-back")).to_have_attribute("href", "/")


def test_the_operator_sees_refusals_in_their_language(server: LiveServer, page: Page) -> None:
    principals(server.core)
    token = auth.login(server.core, username="op", password=PASSWORD)
    page.goto(f"{server.url}/monitor/h1?token={token}")
    expect(page.locator("#win-2")).to_be_visible()
    page.locator("#ticket-no").fill("Z999")
    page.locator("#btn-cancel").click()
    expect(page.locator("#toast")).to_have_text("操作失败：今天没有这个号码")

    page.goto(f"{server.url}/monitor/h1/reports?lang=en")
    expect(page.locator("#report tbody tr").first).to_be_visible()
    page.locator("#sheet-job").fill("nobody")
    page.locator("#sheet-form button").click()
    expect(page.locator("#hq-notice")).to_have_text("No staff with that job number")
