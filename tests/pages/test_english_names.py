"""A hall's configuration may give English names (hall, domains, services, windows); every
page read in English shows them, and the counter keeps the hall's name in both languages."""

from __future__ import annotations

import copy
from typing import Any

import pytest
from playwright.sync_api import Browser, expect

from server.auth import service as auth
from server.core import Core
from server.events import snapshots
from server.halls import flows as hall_flows
from server.halls import service as halls
from server.halls.schemas import HallConfig
from tests.display.pages import HallScreen, WindowScreen
from tests.factories import PASSWORD, TEST_HALL
from tests.terminals.conftest import COUNTER, KIOSK_TOKEN, LiveServer
from tests.terminals.pages import CounterPage, KioskPage

SCREEN_TOKEN = "english-screen"
HALL_EN = "Test County Service Centre"
DOMAINS_EN = {"SB": "Social security", "BDC": "Real estate", "YB": "Medical insurance"}
SERVICES_EN = {"SB01": "Social security card", "SB02": "Pension", "BDC01": "Property",
               "YB01": "Medical claims", "ZX": "Enquiries"}
WINDOWS_EN = {"1": "General", "2": "Social security", "3": "Real estate", "4": "Enquiries"}


def english_hall() -> HallConfig:
    """The test hall with an English name for everything but one service (SB02 falls back)."""
    raw: dict[str, Any] = copy.deepcopy(TEST_HALL)
    raw["hall"]["name_en"] = HALL_EN
    for d in raw["domains"]:
        d["name_en"] = DOMAINS_EN[d["code"]]
    for s in raw["services"]:
        if s["code"] != "SB02":
            s["name_en"] = SERVICES_EN[s["code"]]
    for w in raw["windows"]:
        w["name_en"] = WINDOWS_EN[w["number"]]
    return HallConfig.model_validate(raw)


def test_english_names_are_kept_and_sent(core: Core) -> None:
    hall_flows.load(core, config=english_hall())
    with core.db.read_session() as db:
        exported = halls.export_config(db, halls.get_hall(db, "h1"))
    assert exported.hall.name_en == HALL_EN
    assert {d.code: d.name_en for d in exported.domains} == DOMAINS_EN
    assert {s.code: s.name_en for s in exported.services} == {**SERVICES_EN, "SB02": None}
    assert {w.number: w.name_en for w in exported.windows} == WINDOWS_EN
    snap = snapshots.hall_snapshot(core, hall="h1")
    assert snap["hall_name"] == "测试县政务服务中心" and snap["hall_name_en"] == HALL_EN
    assert {s["code"]: s["name_en"] for s in snap["services"]}["SB01"] == "Social security card"
    assert [w["name_en"] for w in snap["windows"]] == list(WINDOWS_EN.values())
    # Loading the hall again without English names takes them away (the file is the truth).
    hall_flows.load(core, config=HallConfig.model_validate(TEST_HALL))
    assert snapshots.hall_snapshot(core, hall="h1")["hall_name_en"] is None


def test_an_empty_english_name_is_refused() -> None:
    raw: dict[str, Any] = copy.deepcopy(TEST_HALL)
    raw["windows"][0]["name_en"] = ""
    with pytest.raises(ValueError, match="name_en"):
        HallConfig.model_validate(raw)


@pytest.mark.browser
def test_pages_in_english_show_the_english_names(server: LiveServer, browser: Browser) -> None:
    hall_flows.load(server.core, config=english_hall())
    auth.register_device(server.core, hall="h1", name="screen-en", kind="screen",
                         token=SCREEN_TOKEN)
    context = browser.new_context()
    page = context.new_page()
    hall_screen = HallScreen(page, server.url, "h1", token=SCREEN_TOKEN, lang="en")
    hall_screen.open(1920, 1080)
    expect(page.locator("#hall-name")).to_have_text(HALL_EN)
    expect(page.locator('.window-card[data-window="2"] .wc-name')).to_have_text("Social security")
    expect(page.locator('tr[data-service="SB01"] .ws-name')).to_have_text("Social security card")
    expect(page.locator('tr[data-service="SB02"] .ws-name')).to_have_text("养老保险")  # none given
    window_screen = WindowScreen(page, server.url, "h1", "3", token=SCREEN_TOKEN, lang="en")
    window_screen.open(640, 160)
    expect(page.locator("#win-name")).to_have_text("Real estate")
    window_screen = WindowScreen(page, server.url, "h1", "3", token=SCREEN_TOKEN, lang="zh")
    window_screen.open(640, 160)
    expect(page.locator("#win-name")).to_have_text("不动产窗口")  # in Chinese, the Chinese name
    context.close()

    kiosk = KioskPage(browser, server.url, COUNTER).open("h1", KIOSK_TOKEN)
    expect(kiosk.page.locator("#centre")).to_have_text("测试县政务服务中心")
    kiosk.switch_language()
    expect(kiosk.page.locator("#centre")).to_have_text(HALL_EN)
    expect(kiosk.page.locator('[data-domain="SB"] .tile-name')).to_have_text("Social security")
    # English plurals: one matter, two matters.
    expect(kiosk.page.locator('[data-domain="SB"] .tile-sub')).to_have_text("2 matters · 0 waiting")
    expect(kiosk.page.locator('[data-domain="BDC"] .tile-sub')).to_have_text("1 matter · 0 waiting")
    assert kiosk.page.evaluate("[HQ.t('unit.people', {n: 1}), HQ.t('unit.people', {n: 3})]") == [
        "1 person", "3 people"]
    kiosk.open_domain("SB")
    expect(kiosk.service_tile("SB01").locator(".tile-name")).to_have_text("Social security card")
    assert kiosk.errors == []
    kiosk.close()


@pytest.mark.browser
def test_the_counter_keeps_the_halls_name_in_english(server: LiveServer,
                                                     browser: Browser) -> None:
    hall_flows.load(server.core, config=english_hall())
    counter = CounterPage(browser, server.url, COUNTER).open("h1")
    title = counter.page.locator("#title")
    expect(title).to_have_text("测试县政务服务中心")
    counter.log_in("s1", PASSWORD)
    counter.page.locator("#lang").click()
    expect(title).to_have_text(HALL_EN)  # not "Counter terminal"
    expect(counter.page.locator('button[data-window="2"]')).to_contain_text("Social security")
    counter.sign_in("2", "A")
    expect(counter.page.locator("#who")).to_contain_text("Social security")
    counter.page.locator("#lang").click()
    expect(title).to_have_text("测试县政务服务中心")
    assert counter.errors == []
    counter.close()


@pytest.mark.browser
def test_the_ticket_page_in_english_names_the_service_and_window(
        server: LiveServer, browser: Browser) -> None:
    from fastapi.testclient import TestClient

    from server.app import create_app
    from tests.conftest import login

    hall_flows.load(server.core, config=english_hall())
    api = TestClient(create_app(server.core))
    staff = login(api, "s1")
    ticket = api.post("/api/v1/halls/h1/tickets", json={"service": "SB01"}, headers=staff).json()
    assert ticket["service_name_en"] == "Social security card"
    assert api.post("/api/v1/halls/h1/windows/2/sign-in", json={"post": "A"},
                    headers=staff).status_code == 200
    assert api.post("/api/v1/halls/h1/windows/2/call-next", headers=staff).status_code == 200
    context = browser.new_context(viewport={"width": 390, "height": 844})
    page = context.new_page()
    page.goto(f"{server.url}/t/{ticket['id']}?lang=en")
    expect(page.locator("#service")).to_have_text("Social security card")
    expect(page.locator("#centre")).to_have_text(HALL_EN)
    expect(page.locator("#window-name")).to_have_text("Social security")
    page.locator("#lang").click()
    expect(page.locator("#service")).to_have_text("社保卡")
    expect(page.locator("#window-name")).to_have_text("社保窗口")
    context.close()
