"""Booking through the API: slots, the citizen's and the staff's bookings, refusals when
booked (not at the door), the no-show policy, check-in, reminders."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, datetime, time
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from server.app import create_app
from server.appointments import service as appts
from server.appointments.models import AppointmentReminder
from server.clock import ManualClock
from server.core import Core
from server.halls import flows as hall_flows
from server.tickets.models import Appointment
from tests.conftest import login, make_core
from tests.factories import MONDAY_10, SHANGHAI, hall_config

ID = "110101199003071234"
PHONE = "13800138000"
TUESDAY = date(2026, 11, 24)


def at(day: date, hh: int, mm: int = 0) -> str:
    return datetime.combine(day, time(hh, mm), tzinfo=SHANGHAI).isoformat()


def book(client: TestClient, slot: str, service: str = "SB01", **who: str) -> Any:
    body = {"service": service, "slot_start": slot, **(who or {"id_number": ID})}
    return client.post("/api/v1/halls/h1/bookings", json=body)


@pytest.fixture
def booking_client(tmp_path: Path, clock: ManualClock) -> Iterator[TestClient]:
    """A hall with a small bookable capacity and 预约服务 on Tuesday evenings."""
    core = make_core(f"sqlite:///{tmp_path / 'b.db'}", clock)
    hall_flows.load(core, config=hall_config(rules={"booking": {
        "capacity": {"BDC01": 1}, "extended_hours": {"tue": ["17:30-19:00"]},
        "max_active_per_person": 5}}))
    with TestClient(create_app(core)) as c:
        yield c
    core.db.dispose()


def test_slots_come_from_the_hours_with_capacity_and_room_left(client: TestClient) -> None:
    r = client.get("/api/v1/halls/h1/appointments/slots",
                   params={"service": "SB01", "days": 7})
    assert r.status_code == 200, r.text
    days = r.json()["days"]
    assert [d["date"] for d in days][:2] == ["2026-11-23", "2026-11-24"]
    monday = days[0]["slots"]
    assert len(monday) == 15
    # Two windows serve SB01 (5 min each): 12 citizens a slot, half of them bookable.
    assert {s["capacity"] for s in monday} == {6}
    assert monday[0]["refusal"] == "past" and not monday[0]["bookable"]
    assert monday[2]["start"] == at(MONDAY_10.date(), 9, 30)  # in progress: still bookable
    assert monday[3]["bookable"] and monday[3]["free"] == 6
    saturday = days[5]
    assert saturday["date"] == "2026-11-28" and not saturday["open"]
    sunday_workday = days[6]  # 调休: a working Sunday with Monday's hours
    assert sunday_workday["open"] and len(sunday_workday["slots"]) == 15
    assert client.get("/api/v1/halls/h1/appointments/slots",
                      params={"service": "NOPE"}).status_code == 404
    assert client.get("/api/v1/halls/h1/appointments/slots",
                      params={"service": "SB01", "start": "9999-12-31"}).status_code == 422


def test_a_citizen_books_looks_up_moves_and_cancels(client: TestClient) -> None:
    r = book(client, at(TUESDAY, 9), id_number=ID, phone=PHONE)
    assert r.status_code == 201, r.text
    appt = r.json()
    code = appt["code"]
    assert appt["status"] == "booked" and appt["source"] == "citizen"
    assert appt["slot_end"] == at(TUESDAY, 9, 30) and len(code) == 8
    slots = client.get("/api/v1/halls/h1/appointments/slots",
                       params={"service": "SB01", "start": "2026-11-24", "days": 1}).json()
    assert slots["days"][0]["slots"][1]["booked"] == 1
    # The code with the phone or the ID finds it; with someone else's details it does not.
    base = "/api/v1/halls/h1/bookings"
    assert client.post(f"{base}/lookup", json={"code": code, "phone": PHONE}).status_code == 200
    r = client.post(f"{base}/lookup", json={"code": code, "id_number": "110101199003070000"})
    assert r.status_code == 404 and r.json()["code"] == "no_appointment"
    assert client.post(f"{base}/lookup", json={"code": code}).status_code == 422
    mine = client.post(f"{base}/mine", json={"id_number": ID}).json()
    assert [m["code"] for m in mine] == [code]
    r = client.post(f"{base}/{code}/reschedule",
                    json={"id_number": ID, "slot_start": at(TUESDAY, 14)})
    assert r.status_code == 200, r.text
    assert r.json()["slot_start"] == at(TUESDAY, 14) and r.json()["reschedules"] == 1
    r = client.post(f"{base}/{code}/cancel", json={"phone": PHONE})
    assert r.status_code == 200 and r.json()["status"] == "cancelled"
    r = client.post(f"{base}/{code}/cancel", json={"phone": PHONE})
    assert r.status_code == 409 and r.json()["code"] == "appointment_closed"


def test_the_id_and_phone_are_kept_only_as_keyed_hashes(client: TestClient, core: Core) -> None:
    code = book(client, at(TUESDAY, 9), id_number=ID, phone=PHONE).json()["code"]
    with core.db.read_session() as db:
        row = db.scalar(select(Appointment).where(Appointment.code == code))
        assert row is not None
        stored = " ".join(str(v) for v in vars(row).values())
    assert ID not in stored and PHONE not in stored
    assert row.id_hash and len(row.id_hash) == 64 and row.phone_hash


@pytest.mark.parametrize(("slot", "service", "code"), [
    (at(date(2026, 11, 28), 9), "SB01", "closed_day"),  # a Saturday
    (at(date(2026, 10, 1), 9), "SB01", "closed_day"),  # 国庆节 (and in the past)
    (at(TUESDAY, 12, 30), "SB01", "closed_hours"),  # lunch break
    (at(TUESDAY, 19, 0), "SB01", "closed_hours"),
    (at(MONDAY_10.date(), 8, 30), "SB01", "past"),
    (at(date(2026, 12, 9), 9), "SB01", "too_far"),  # 16 days ahead
    (at(TUESDAY, 9), "ZX", "booking_off"),  # 综合咨询 is not bookable by default
])
def test_a_booking_that_cannot_be_honoured_is_refused_when_booked(
        client: TestClient, slot: str, service: str, code: str) -> None:
    r = book(client, slot, service)
    assert r.status_code == 422, r.text
    assert r.json()["code"] == code and r.json()["detail"]


def test_bad_input_is_a_clear_4xx(client: TestClient) -> None:
    for body in ({"service": "SB01", "slot_start": "2026-11-24T09:00:00", "id_number": ID},
                 {"service": "SB01", "slot_start": "tomorrow at nine", "id_number": ID},
                 {"service": "SB01", "slot_start": "9999-12-31T23:59:59+14:00",
                  "id_number": ID},
                 {"service": "SB01", "slot_start": at(TUESDAY, 9)}):
        r = client.post("/api/v1/halls/h1/bookings", json=body)
        assert r.status_code == 422 and "detail" in r.json(), (body, r.text)
    assert book(client, at(TUESDAY, 9), "NOPE").status_code == 404
    assert client.post("/api/v1/halls/nope/bookings", json={
        "service": "SB01", "slot_start": at(TUESDAY, 9), "id_number": ID}).status_code == 404


def test_a_full_slot_is_refused_and_a_cancellation_frees_it(
        booking_client: TestClient) -> None:
    first = book(booking_client, at(TUESDAY, 9), "BDC01", id_number=ID)
    assert first.status_code == 201
    r = book(booking_client, at(TUESDAY, 9, 10), "BDC01", phone=PHONE)
    assert r.status_code == 422 and r.json()["code"] == "full"
    assert book(booking_client, at(TUESDAY, 9, 30), "BDC01", phone=PHONE).status_code == 201
    booking_client.post(f"/api/v1/halls/h1/bookings/{first.json()['code']}/cancel",
                        json={"id_number": ID})
    assert book(booking_client, at(TUESDAY, 9), "BDC01", phone=PHONE).status_code == 201


def test_too_many_active_bookings_per_person(client: TestClient) -> None:
    for hh in (9, 10, 11):
        assert book(client, at(TUESDAY, hh)).status_code == 201
    r = book(client, at(TUESDAY, 14))
    assert r.status_code == 422 and r.json()["code"] == "too_many"
    assert book(client, at(TUESDAY, 14), phone=PHONE).status_code == 201


def test_missed_bookings_suspend_booking_but_never_walk_ins(
        client: TestClient, clock: ManualClock) -> None:
    """3 missed in 30 days suspend booking for 7 days; 邵阳 第三十三条: walk-ins still served."""
    for day in (TUESDAY, date(2026, 11, 25), date(2026, 11, 26)):
        assert book(client, at(day, 9)).status_code == 201
    clock.set(datetime(2026, 11, 27, 9, 0, tzinfo=SHANGHAI))
    r = book(client, at(date(2026, 11, 30), 9))
    assert r.status_code == 422 and r.json()["code"] == "suspended"
    assert "2026-12-03T09:30:00+08:00" in r.json()["detail"]
    mine = client.post("/api/v1/halls/h1/bookings/mine", json={"id_number": ID}).json()
    assert [m["status"] for m in mine] == ["missed"] * 3
    # The same person takes a ticket as a walk-in: never refused because of bookings.
    r = client.post("/api/v1/halls/h1/tickets", headers=login(client, "s1"),
                    json={"service": "SB01", "id_number": ID})
    assert r.status_code == 201, r.text
    clock.set(datetime(2026, 12, 3, 9, 31, tzinfo=SHANGHAI))
    assert book(client, at(date(2026, 12, 4), 9)).status_code == 201


def test_a_booking_is_honoured_at_the_door_near_closing(
        client: TestClient, clock: ManualClock) -> None:
    """The hall stops walk-in tickets 30 min before closing; a booking made for 17:00 is still
    checked in at 17:05 (it was accepted, so it is honoured)."""
    code = book(client, at(TUESDAY, 17)).json()["code"]
    clock.set(datetime(2026, 11, 24, 17, 5, tzinfo=SHANGHAI))
    staff = login(client, "s1")
    walk_in = client.post("/api/v1/halls/h1/tickets", headers=staff, json={"service": "SB01"})
    assert walk_in.status_code == 422 and walk_in.json()["code"] == "closing_soon"
    r = client.post(f"/api/v1/halls/h1/appointments/{code}/check-in", headers=staff)
    assert r.status_code == 201, r.text
    assert r.json()["priority"] == "appointment"
    listed = client.get("/api/v1/halls/h1/appointments", headers=staff,
                        params={"day": "2026-11-24"}).json()
    assert [(a["code"], a["status"]) for a in listed] == [(code, "checked_in")]


def test_booking_service_outside_normal_hours(
        booking_client: TestClient, clock: ManualClock) -> None:
    """预约服务 on Tuesday evening: bookable and checked in, while walk-ins are closed."""
    slots = booking_client.get("/api/v1/halls/h1/appointments/slots", params={
        "service": "SB01", "start": "2026-11-24", "days": 1}).json()["days"][0]["slots"]
    evening = [s for s in slots if s["extended"]]
    assert [s["start"][11:16] for s in evening] == ["17:30", "18:00", "18:30"]
    # One window staffs the evening service: 6 citizens of SB01 per slot, half bookable.
    assert {s["capacity"] for s in evening} == {3}
    code = book(booking_client, at(TUESDAY, 18)).json()["code"]
    clock.set(datetime(2026, 11, 24, 17, 55, tzinfo=SHANGHAI))
    staff = login(booking_client, "s1")
    walk_in = booking_client.post("/api/v1/halls/h1/tickets", headers=staff,
                                  json={"service": "SB01"})
    assert walk_in.status_code == 422 and walk_in.json()["code"] == "closed_hours"
    r = booking_client.post(f"/api/v1/halls/h1/appointments/{code}/check-in", headers=staff)
    assert r.status_code == 201 and r.json()["priority"] == "appointment"


def test_staff_book_list_move_and_cancel(client: TestClient) -> None:
    staff, op = login(client, "s1"), login(client, "op")
    r = client.post("/api/v1/halls/h1/appointments", headers=op, json={
        "service": "BDC01", "slot_start": at(TUESDAY, 10), "phone": PHONE})
    assert r.status_code == 201, r.text
    code = r.json()["code"]
    assert r.json()["source"] == "operator"
    r = client.get(f"/api/v1/halls/h1/appointments/{code}", headers=staff)
    assert r.status_code == 200 and r.json()["service_name"] == "不动产登记"
    r = client.post(f"/api/v1/halls/h1/appointments/{code}/reschedule", headers=staff,
                    json={"slot_start": at(TUESDAY, 12, 30)})
    assert r.status_code == 422 and r.json()["code"] == "closed_hours"
    r = client.post(f"/api/v1/halls/h1/appointments/{code}/reschedule", headers=staff,
                    json={"slot_start": at(TUESDAY, 15)})
    assert r.status_code == 200 and r.json()["slot_start"] == at(TUESDAY, 15)
    r = client.post(f"/api/v1/halls/h1/appointments/{code}/cancel", headers=staff,
                    json={"reason": "市民电话取消"})
    assert r.status_code == 200 and r.json()["cancel_reason"] == "市民电话取消"
    listed = client.get("/api/v1/halls/h1/appointments", headers=staff,
                        params={"day": "2026-11-24", "status": "cancelled"}).json()
    assert [a["code"] for a in listed] == [code]
    assert client.get("/api/v1/halls/h1/appointments", headers=staff,
                      params={"status": "weird"}).status_code == 422
    assert client.get("/api/v1/halls/h1/appointments").status_code == 401


def test_reminders_go_to_the_outbox_and_follow_the_booking(
        client: TestClient, core: Core, clock: ManualClock) -> None:
    kept = book(client, at(date(2026, 11, 25), 9), id_number=ID).json()["code"]
    moved = book(client, at(date(2026, 11, 25), 10), phone=PHONE).json()["code"]
    dropped = book(client, at(date(2026, 11, 25), 11), phone="13900139000").json()["code"]
    client.post(f"/api/v1/halls/h1/bookings/{dropped}/cancel", json={"phone": "13900139000"})
    client.post(f"/api/v1/halls/h1/bookings/{moved}/reschedule",
                json={"phone": PHONE, "slot_start": at(date(2026, 11, 26), 10)})

    def due(when: datetime) -> list[tuple[str, str]]:
        with core.db.read_session() as db:
            return [(r.code, r.kind) for r in appts.reminders_due(db, now=when)]

    assert due(datetime(2026, 11, 24, 15, 59, tzinfo=SHANGHAI)) == []
    assert due(datetime(2026, 11, 24, 16, 0, tzinfo=SHANGHAI)) == [(kept, "day_before")]
    with core.db.begin() as db:
        first = appts.reminders_due(db, now=datetime(2026, 11, 25, 8, tzinfo=SHANGHAI))
        assert [(r.code, r.kind) for r in first] == [(kept, "day_before"), (kept, "soon")]
        assert first[0].phone_hash is None and first[0].id_hash and first[0].hall == "h1"
        assert appts.mark_reminder_sent(db, reminder_id=first[0].id, at=clock.now())
        assert not appts.mark_reminder_sent(db, reminder_id=first[0].id, at=clock.now())
    assert due(datetime(2026, 11, 25, 8, tzinfo=SHANGHAI)) == [(kept, "soon")]
    # Once its slot has ended, an unsent reminder is owed no more; the moved booking is
    # reminded for its new day; the cancelled one never shows.
    assert due(datetime(2026, 11, 25, 9, 31, tzinfo=SHANGHAI)) == []
    assert due(datetime(2026, 11, 25, 16, tzinfo=SHANGHAI)) == [(moved, "day_before")]
    with core.db.read_session() as db:
        states = sorted(db.scalars(select(AppointmentReminder.state)))
    assert states.count("void") == 4  # the cancelled booking's two, the moved booking's two
