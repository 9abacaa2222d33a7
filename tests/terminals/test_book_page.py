"""预约办事 on a phone in Chromium (390×844): book a slot, see the code, find it under
我的预约 and cancel it; full slots cannot be picked; English throughout."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import datetime

import pytest
from playwright.sync_api import Browser, expect

from server.appointments import flows
from server.appointments.schemas import Proof
from tests.factories import SHANGHAI
from tests.terminals.conftest import PHONE, LiveServer, screenshot_path
from tests.terminals.pages import BookingPage

MOBILE = "13800138000"


def at(day: int, hh: int, mm: int = 0) -> str:
    return datetime(2026, 11, day, hh, mm, tzinfo=SHANGHAI).isoformat()


@pytest.fixture
def booking(browser: Browser, server: LiveServer) -> Iterator[BookingPage]:
    """The booking page in its own phone-sized context."""
    page = BookingPage(browser, server.url, PHONE)
    yield page
    assert page.errors == [] and page.foreign_requests() == []
    page.close()


def test_book_then_find_and_cancel_on_a_phone(booking: BookingPage, server: LiveServer) -> None:
    booking.open("h1")
    booking.choose("SB01")
    # Today (Monday 10:00): the morning's past slots are not offered.
    expect(booking.slot(at(23, 9))).to_have_count(0)
    expect(booking.slot(at(23, 10, 30))).to_be_enabled()
    # Saturday is closed; the working Sunday (调休) is open.
    expect(booking.day("2026-11-28")).to_be_disabled()
    expect(booking.day("2026-11-29")).to_be_enabled()
    booking.day("2026-11-24").click()
    expect(booking.slot(at(24, 9))).to_contain_text("余 6")
    booking.shot(screenshot_path("book-slots"))
    booking.slot(at(24, 9)).click()
    # No SMS gateway configured: no reminder is offered.
    expect(booking.page.locator("#remind-box")).to_be_hidden()
    booking.book(phone=MOBILE)
    expect(booking.code).to_have_text(re.compile(r"^[0-9A-Z]{8}$"))
    code = booking.code.inner_text()
    booking.shot(screenshot_path("book-done"))
    mine = flows.list_mine(server.core, hall="h1", proof=Proof(phone=MOBILE))
    assert [(a.code, a.status, a.slot_start) for a in mine] == [(code, "booked", at(24, 9))]

    booking.my_bookings(MOBILE)
    expect(booking.item(code)).to_contain_text("待签到")
    booking.item(code).locator("button[data-cancel]").click()
    expect(booking.item(code)).to_contain_text("已取消")
    booking.shot(screenshot_path("book-mine"))
    assert flows.lookup(server.core, hall="h1", code=code, proof=None).status == "cancelled"


def test_a_full_slot_cannot_be_picked_and_english_works(
        booking: BookingPage, server: LiveServer) -> None:
    # BDC01: two windows at 10 minutes a citizen → 3 bookable a slot; fill 09:00 Tuesday.
    for i in range(3):
        flows.book(server.core, hall="h1", service="BDC01", slot_start=at(24, 9),
                   phone=f"1390013900{i}", source="citizen", actor=None)
    booking.open("h1", lang="en")
    expect(booking.page.locator("#tab-mine")).to_have_text("My bookings")
    booking.choose("BDC01")
    booking.day("2026-11-24").click()
    expect(booking.slot(at(24, 9))).to_be_disabled()
    expect(booking.slot(at(24, 9))).to_contain_text("Full")
    booking.slot(at(24, 9, 30)).click()
    booking.book()
    expect(booking.page.locator("#error")).to_have_text(
        "Please give your ID number or mobile number")
    booking.book(id_number="110101199003071234")
    expect(booking.page.locator("#done")).to_contain_text("Booked")


def test_an_unknown_hall_says_so(booking: BookingPage) -> None:
    booking.open("nope")
    expect(booking.page.locator("body")).to_have_attribute("data-missing", "hall")
    expect(booking.page.locator("#hq-back")).to_be_visible()
