"""A citizen takes a ticket at the kiosk, staff call and finish it, the phone follows along."""

from __future__ import annotations

from playwright.sync_api import Browser, expect

from server.auth.security import rating_key
from tests.factories import PASSWORD
from tests.terminals.conftest import (
    COUNTER,
    KIOSK,
    KIOSK_TOKEN,
    PHONE,
    FakeAgent,
    LiveServer,
    screenshot_path,
)
from tests.terminals.pages import CounterPage, KioskPage, TicketPage


def test_ticket_from_kiosk_to_counter_to_phone(browser: Browser, server: LiveServer,
                                               agent: FakeAgent) -> None:
    kiosk = KioskPage(browser, server.url, KIOSK).open("h1", KIOSK_TOKEN)
    expect(kiosk.page.locator("#centre")).to_have_text("测试县政务服务中心")
    kiosk.shot(screenshot_path("kiosk-home"))
    kiosk.open_domain("SB")
    expect(kiosk.service_tile("SB01")).to_contain_text("等候 0 人")
    kiosk.shot(screenshot_path("kiosk-services"))
    kiosk.service_tile("SB01").click()
    # The test hall limits tickets per person, so the kiosk offers the optional ID entry.
    kiosk.page.locator("#id-skip").click()
    kiosk.expect_ticket_screen()
    expect(kiosk.number).to_have_text("A001")
    expect(kiosk.ahead).to_have_text("0 人")
    expect(kiosk.print_status).to_have_attribute("data-state", "printed")
    key = rating_key(kiosk.ticket_id(), server.core.settings.pepper)
    expect(kiosk.qr).to_have_attribute("src",
                                       f"/api/v1/tickets/{kiosk.ticket_id()}/qr.svg?k={key}")
    assert kiosk.page.evaluate("document.getElementById('t-qr').naturalWidth") > 0
    kiosk.shot(screenshot_path("kiosk-ticket"))
    ticket_id = kiosk.ticket_id()
    [job] = agent.jobs
    assert job["ticket"]["number"] == "A001"
    assert job["ticket"]["url"].endswith(f"/t/{ticket_id}?k={key}")
    assert job["kiosk"] == "kiosk-1" and job["ticket"]["centre"] == "测试县政务服务中心"

    phone = TicketPage(browser, server.url, PHONE)
    phone.record_vibrations()
    phone.open(ticket_id, key)  # as from the printed QR code
    expect(phone.number).to_have_text("A001")
    expect(phone.status).to_have_text("排队中")
    phone.shot(screenshot_path("ticket-waiting"))

    counter = CounterPage(browser, server.url, COUNTER).open("h1")
    counter.shot(screenshot_path("counter-login"))
    counter.log_in("s1", PASSWORD)
    counter.shot(screenshot_path("counter-choose"))
    counter.sign_in("2")
    expect(counter.queue).to_have_count(1)
    expect(counter.queue.first).to_contain_text("A001")
    counter.key("F1")
    expect(counter.current_number).to_have_text("A001")
    expect(counter.current).to_have_attribute("data-status", "called")
    counter.shot(screenshot_path("counter-called"))

    expect(phone.window).to_have_text("2 号窗口")
    expect(phone.status).to_have_text("请前往窗口")
    assert phone.vibrations() >= 1
    phone.shot(screenshot_path("ticket-called"))

    counter.press("start")
    expect(counter.current).to_have_attribute("data-status", "serving")
    counter.finish("completed")
    expect(counter.current_number).to_have_text("—")
    expect(counter.stat("today.served")).to_have_text("1")
    expect(phone.status).to_have_text("已办结")
    expect(phone.rate_link).to_have_attribute("href", f"/t/{ticket_id}/rate?k={key}")
    phone.shot(screenshot_path("ticket-done"))
    phone.rate_link.click()
    phone.page.locator('button[data-score="5"]').click()
    phone.page.locator("#submit").click()
    expect(phone.page.locator("#result")).to_have_text("感谢您的评价！")
    counter.page.reload()
    expect(counter.stat("today.ratings")).to_have_text("1 条 · 均 5 · 差评 0")
    counter.shot(screenshot_path("counter-idle"))

    for terminal in (kiosk, phone, counter):
        assert terminal.foreign_requests() == []
        assert terminal.errors == []
        terminal.close()
