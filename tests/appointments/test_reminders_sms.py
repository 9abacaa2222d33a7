"""Booking reminders by SMS through the gateway simulator: sent when due, retried after a
failure, never for a cancelled booking; the mobile number sealed, then erased."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from datetime import datetime
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from server.app import create_app
from server.appointments import reminders
from server.appointments import service as appts
from server.appointments.models import AppointmentReminder
from server.clock import ManualClock
from server.core import Core
from server.events.bus import RecordingBus
from server.halls import service as halls
from server.integrations import IntegrationSettings
from server.monitoring import alerts
from server.notices.adapters import Adapters
from simulators.sms_gateway import SmsGatewaySim
from tests.conftest import login
from tests.factories import SHANGHAI
from tests.notices.conftest import link_settings
from tests.server.test_one_writer import Writes

MOBILE = "13800138000"


def at(day: int, hh: int, mm: int = 0) -> datetime:
    return datetime(2026, 11, day, hh, mm, tzinfo=SHANGHAI)


@pytest.fixture
def sms() -> Iterator[SmsGatewaySim]:
    """The SMS gateway simulator."""
    sim = SmsGatewaySim()
    sim.start()
    yield sim
    sim.stop()


@pytest.fixture
def links(sms: SmsGatewaySim) -> IntegrationSettings:
    """SMS through the simulator; the app's own worker waits an hour between rounds."""
    return link_settings(sms)


@pytest.fixture
def api(core: Core, links: IntegrationSettings) -> Iterator[TestClient]:
    """The core's API with SMS reminders available."""
    with TestClient(create_app(core, integrations=links)) as c:
        yield c


def book(api: TestClient, start: datetime, **extra: Any) -> Any:
    return api.post("/api/v1/halls/h1/bookings", json={
        "service": "SB01", "slot_start": start.isoformat(), "phone": MOBILE, "remind": True,
        **extra})


def rows(core: Core) -> list[tuple[str, str, bool]]:
    with core.db.read_session() as db:
        return [(r.kind, r.state, r.contact_sealed is not None) for r in
                db.scalars(select(AppointmentReminder).order_by(AppointmentReminder.id))]


def send(core: Core, links: IntegrationSettings) -> int:
    adapters = Adapters.from_settings(links)
    try:
        return reminders.send_due(core, settings=links, adapters=adapters)
    finally:
        adapters.close()


def test_reminders_go_by_sms_and_the_number_is_erased(
        api: TestClient, core: Core, clock: ManualClock, sms: SmsGatewaySim,
        links: IntegrationSettings) -> None:
    r = book(api, at(25, 9), lang="en")
    assert r.status_code == 201, r.text
    code = r.json()["code"]
    with core.db.read_session() as db:
        sealed = [x.contact_sealed or "" for x in db.scalars(select(AppointmentReminder))]
    assert len(sealed) == 2 and all(sealed) and not any(MOBILE in s for s in sealed)
    assert send(core, links) == 0  # nothing due yet

    clock.set(at(24, 16))
    assert send(core, links) == 1
    assert [(m.phone, code in m.content, "11-25 09:00" in m.content) for m in sms.sent] == [
        (MOBILE, True, True)]
    assert "your booking" in sms.sent[0].content
    assert rows(core) == [("day_before", "sent", False), ("soon", "pending", True)]

    # The gateway fails once: retried after the backoff, never lost, sent once.
    clock.set(at(25, 8))
    sms.fail_next(1, 503)
    bus = core.bus
    assert isinstance(bus, RecordingBus)
    assert send(core, links) == 1
    assert len(sms.sent) == 1 and rows(core)[1] == ("soon", "pending", True)
    failures = [e for _, e in bus.events if e.get("kind") == "booking_reminder"]
    assert failures and failures[-1]["final"] is False
    assert send(core, links) == 0  # not before its next attempt
    clock.advance(seconds=11)
    assert send(core, links) == 1
    assert len(sms.sent) == 2 and rows(core)[1] == ("soon", "sent", False)


def test_a_cancelled_or_checked_in_booking_gets_no_reminder(
        api: TestClient, core: Core, clock: ManualClock, sms: SmsGatewaySim,
        links: IntegrationSettings) -> None:
    cancelled = book(api, at(25, 9)).json()["code"]
    checked_in = book(api, at(24, 10, 30), phone="13900139000").json()["code"]
    api.post(f"/api/v1/halls/h1/bookings/{cancelled}/cancel", json={"phone": MOBILE})
    # Cancelling erases the number at once.
    assert [r for r in rows(core) if r[1] == "void"] == [("day_before", "void", False),
                                                         ("soon", "void", False)]
    clock.set(at(24, 10, 20))
    staff = api.post("/api/v1/auth/token", data={"username": "s1", "password": "s3cret-test"})
    token = {"Authorization": f"Bearer {staff.json()['access_token']}"}
    assert api.post(f"/api/v1/halls/h1/appointments/{checked_in}/check-in",
                    headers=token).status_code == 201
    clock.set(at(25, 8, 30))
    send(core, links)
    assert sms.sent == []
    assert not any(sealed for _, _, sealed in rows(core))


def test_a_reminder_needs_a_mobile_number_and_a_gateway(
        api: TestClient, core: Core, clock: ManualClock) -> None:
    r = api.post("/api/v1/halls/h1/bookings", json={
        "service": "SB01", "slot_start": at(25, 9).isoformat(), "id_number": "110101199003071234",
        "remind": True})
    assert r.status_code == 422 and r.json()["code"] == "phone_required"
    with TestClient(create_app(core, integrations=link_settings())) as no_sms:
        r = book(no_sms, at(25, 9))
    assert r.status_code == 422 and r.json()["code"] == "reminders_unavailable"
    # Moving a booking keeps its reminder by SMS, for the new time.
    code = book(api, at(25, 9)).json()["code"]
    api.post(f"/api/v1/halls/h1/bookings/{code}/reschedule",
             json={"phone": MOBILE, "slot_start": at(26, 14).isoformat()})
    with core.db.read_session() as db:
        live = [(r.kind, r.due_at) for r in db.scalars(select(AppointmentReminder).where(
            AppointmentReminder.state == "pending", AppointmentReminder.contact_sealed.is_not(
                None)))]
    assert live == [("day_before", at(25, 16)), ("soon", at(26, 13))]


def test_operators_see_a_failing_reminder_and_the_platform_feed(
        api: TestClient, core: Core, clock: ManualClock, sms: SmsGatewaySim,
        links: IntegrationSettings) -> None:
    code = book(api, at(25, 9)).json()["code"]
    clock.set(at(24, 16))
    sms.fail_next(1, 400)  # the gateway refuses this message: given up at once (a 4xx)
    send(core, links)
    clock.set(at(25, 8, 10))  # the `soon` reminder is due since 08:00 and nobody sent it

    def status(mode: str) -> dict[str, Any]:
        with core.db.read_session() as db:
            h = halls.get_hall(db, "h1")
            return appts.links_status(db, hall=h, now=clock.now(), behind_s=300, mode=mode)

    seen = status("off")
    assert seen["platform"] == {"mode": "off", "cursor": None, "polled_at": None,
                                "applied": 0, "last_error": None}
    assert seen["reminders"]["counts"] == {"failed": 1, "pending": 1}
    assert seen["reminders"]["oldest_unsent_s"] == 600 and seen["behind"] is True
    [failure] = seen["reminders"]["failures"]
    assert failure["code"] == code and failure["kind"] == "day_before"
    assert "400" in failure["error"] and failure["attempts"] == 1
    # Operators see it where they see the other outside links: the integrations status
    # and an alert on the dashboard, in their language (i18n keys in the monitor page).
    op = login(api, "op")
    seen_by_op = api.get("/api/v1/halls/h1/integrations", headers=op).json()["bookings"]
    assert seen_by_op["reminders"]["counts"] == {"failed": 1, "pending": 1}
    assert seen_by_op["platform"]["mode"] == "off" and seen_by_op["behind"] is True
    assert api.get("/api/v1/halls/h1/integrations",
                   headers=login(api, "s1")).status_code == 403
    raised = {(a["kind"], a["subject"]): a["detail"] for a in alerts.scan(core, "h1")}
    assert raised[("booking_reminder_failed", code)] == {"booking": code, "kind": "day_before"}
    assert raised[("link_behind", "booking_reminders")]["minutes"] == 10
    send(core, links)
    assert status("off")["behind"] is False
    ended = {(a["kind"], a["active"]) for a in alerts.scan(core, "h1")}
    assert ("link_behind", False) in ended
    # Once the booking's time is past, the reminder given up on no longer needs anyone.
    clock.set(at(25, 9, 1))
    assert {(a["kind"], a["active"]) for a in alerts.scan(core, "h1")} == {
        ("booking_reminder_failed", False)}


def test_a_reminder_round_writes_on_the_writer(
        api: TestClient, core: Core, clock: ManualClock, sms: SmsGatewaySim,
        links: IntegrationSettings) -> None:
    """The SMS goes out from the sender's thread; the claim and the sent mark are written on
    the one writer (issue 11)."""
    assert book(api, at(25, 9)).status_code == 201
    clock.set(at(24, 16))
    writes = Writes(core.db)
    sent: list[int] = []
    thread = threading.Thread(target=lambda: sent.append(send(core, links)),
                              name="booking-reminders")
    thread.start()
    thread.join()
    threads = writes.take()
    assert sent == [1] and len(sms.sent) == 1
    assert len(threads) >= 2 and all(name.startswith("hallq-writer") for name in threads), \
        threads
