"""Every event the core publishes in a scripted day has its type's schema; the counter's
REST waiting list and its stream are the same rows; docs/events.md is the schemas' table."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from pydantic import ValidationError

from server.auth import service as auth
from server.clock import ManualClock
from server.core import Core
from server.devices import status as device_status
from server.evaluations.schemas import EvaluationRead
from server.events import schemas, snapshots
from server.events.bus import RecordingBus
from server.events.router import public
from server.idcards import flows as idcards
from server.monitoring import alerts
from server.windows.schemas import WindowRead
from tests.conftest import login

H = "/api/v1/halls/h1"
KIOSK = "kiosk-token-for-the-schema-day"
DOC = Path(__file__).resolve().parents[2] / "docs" / "events.md"
# What the scripted day below must make the core publish, at the least.
DAY_TYPES = {"ticket_issued", "queue", "print", "window", "call", "ticket", "presence",
             "evaluate", "rating", "case", "hall", "scroll", "window_services", "device",
             "print_result", "idcard"}


def check(schema: type, message: Any) -> None:
    """Validate strictly (no unknown fields, no coercion); fail with the message shown."""
    try:
        schemas.validator(schema)(message)
    except ValidationError as err:
        pytest.fail(f"{schema.__name__} refuses {message!r}: {err}")


def ok(r: Any, status: int = 200) -> Any:
    assert r.status_code == status, r.text
    return r.json() if r.content else None


def scripted_day(client: TestClient, core: Core, clock: ManualClock) -> None:
    """Issue, call, recall, start, finish, rate, no-show, transfer, presence, pause …"""
    auth.register_device(core, hall="h1", name="kiosk-1", kind="kiosk", token=KIOSK)
    kiosk = {"Authorization": f"Bearer {KIOSK}"}
    s1, s2, op = login(client, "s1"), login(client, "s2"), login(client, "op")
    issued = [ok(client.post(f"{H}/tickets", json={"service": code}, headers=kiosk), 201)
              for code in ("SB01", "SB01", "SB02", "YB01", "BDC01")]
    ok(client.put(f"{H}/presence/me", json={"presence": "out", "note": "去档案室"},
                  headers=s2))
    ok(client.put(f"{H}/presence/me", json={"presence": "on_duty"}, headers=s2))
    ok(client.post(f"{H}/windows/1/sign-in", json={"post": "A"}, headers=s1))
    ok(client.post(f"{H}/windows/2/sign-in", json={"post": "A"}, headers=s2))
    clock.advance(seconds=60)
    # Served and rated badly: a rating and a 差评 case; the case moves on a step.
    first = ok(client.post(f"{H}/windows/1/call-next", headers=s1))["ticket"]
    ok(client.post(f"{H}/windows/1/recall", headers=s1))
    ok(client.post(f"{H}/windows/1/start", headers=s1))
    ok(client.post(f"{H}/windows/1/finish", json={"outcome": "completed"}, headers=s1))
    ok(client.post(f"{H}/windows/1/invite-rating", headers=s1), 202)
    key = next(t["rating_key"] for t in issued if t["id"] == first["id"])
    ok(client.post(f"/api/v1/tickets/{first['id']}/rating",
                   json={"level": 1, "reasons": ["1"], "comment": "态度不好", "key": key}), 201)
    case = ok(client.get(f"{H}/cases", headers=op))["cases"][0]["id"]
    ok(client.post(f"{H}/cases/{case}/verify", json={"note": "属实"}, headers=op))
    # A no-show, a transfer to another window, a pause.
    # (a minute between calls: a snapshot orders its last calls by when they were made)
    clock.advance(seconds=60)
    ok(client.post(f"{H}/windows/1/call-next", headers=s1))
    ok(client.post(f"{H}/windows/1/no-show", headers=s1))
    clock.advance(seconds=60)
    ok(client.post(f"{H}/windows/1/call-next", headers=s1))
    ok(client.post(f"{H}/windows/1/transfer", json={"window": "2"}, headers=s1))
    clock.advance(seconds=60)
    ok(client.post(f"{H}/windows/2/call-next", headers=s2))
    ok(client.post(f"{H}/windows/2/finish", json={"outcome": "completed"}, headers=s2))
    ok(client.post(f"{H}/windows/1/pause", json={"reason": "rest"}, headers=s1))
    clock.advance(seconds=120)
    ok(client.post(f"{H}/windows/1/resume", headers=s1))
    # The operator's side: the scrolling line, a window moved for the day and back.
    ok(client.put(f"{H}/monitor/scroll", json={"text": "今日办理延时至18:00"}, headers=op))
    ok(client.put(f"{H}/monitor/windows/3/services", json={"services": ["BDC01", "SB01"]},
                  headers=op))
    ok(client.put(f"{H}/monitor/windows/3/services", json={"services": None}, headers=op))
    alerts.scan(core, "h1")
    # The devices: a printer going offline and a print job's result, an ID card read.
    device_status.set_status(core, "h1", "kiosk-1", "printer", False, {"paper_out": True})
    device_status.record_print(core, "h1", "kiosk-1", "job-1", True)
    idcards.record_read(core, hall="h1", reader="kiosk-1", kiosks=["kiosk-1"],
                        id_number="11010519491231002X", expired=False)
    ok(client.post(f"{H}/windows/2/sign-out", headers=s2))


def test_every_event_of_a_day_validates_against_its_schema(
        client: TestClient, core: Core, clock: ManualClock) -> None:
    scripted_day(client, core, clock)
    assert isinstance(core.bus, RecordingBus)
    published = core.bus.events
    assert {e["type"] for _, e in published} >= DAY_TYPES
    for _, event in published:
        assert event["type"] in schemas.EVENTS, f"no schema for {event!r}"
        check(schemas.EVENTS[event["type"]].schema, event)
    call = core.bus.of_type("call")
    assert [c["recall"] for c in call[:2]] == [False, True]
    assert all(c["status"] == "called" for c in call)


def test_snapshots_and_stream_messages_validate(
        client: TestClient, core: Core, clock: ManualClock) -> None:
    scripted_day(client, core, clock)
    snap = snapshots.hall_snapshot(core, hall="h1")
    check(schemas.HallSnapshot, snap)
    assert snap["calls"], "the day made calls"
    nxt = snapshots.next_tickets(core, hall="h1")["windows"]
    for shown in (snap, snapshots.window_view(snap, "1")):
        assert shown is not None
        check(schemas.HallSnapshot, {**shown, "seq": 1, "next": nxt})
        # What a screen is sent: the same, less the ticket ids (test_screen_privacy.py).
        assert "ticket_id" not in str(public(shown))
    check(schemas.CounterSnapshot, snapshots.counter_snapshot(core, hall="h1", window="2"))
    check(schemas.WaitingMessage, snapshots.counter_waiting(core, hall="h1", window="2"))
    check(schemas.NextMessage, snapshots.next_tickets(core, hall="h1"))
    ticket = snapshots.ticket_view(core, ticket_id=core.bus.of_type("ticket")[0]["ticket_id"])
    check(schemas.TicketSnapshot, schemas.ticket_snapshot(seq=3, ticket=ticket))
    check(schemas.TicketPageMessage, schemas.ticket_page(ticket))


def test_a_snapshots_last_call_is_shaped_like_the_call_event(
        client: TestClient, core: Core, clock: ManualClock) -> None:
    scripted_day(client, core, clock)
    assert isinstance(core.bus, RecordingBus)
    published = core.bus.of_type("call")[-1]
    last = snapshots.hall_snapshot(core, hall="h1")["calls"][0]
    assert last.keys() == published.keys()
    same = ("ticket", "ticket_id", "window", "window_name", "service", "service_name",
            "domain", "priority", "at")
    assert {k: last[k] for k in same} == {k: published[k] for k in same}  # type: ignore[literal-required]


def test_the_desk_view_and_the_counter_stream_have_the_same_waiting_rows(
        client: TestClient, core: Core, clock: ManualClock) -> None:
    kiosk, s2 = {"Authorization": f"Bearer {KIOSK}"}, login(client, "s2")
    auth.register_device(core, hall="h1", name="kiosk-1", kind="kiosk", token=KIOSK)
    for code in ("SB01", "YB01", "SB02", "SB01"):
        ok(client.post(f"{H}/tickets", json={"service": code}, headers=kiosk), 201)
    ok(client.post(f"{H}/windows/1/sign-in", json={"post": "A"}, headers=login(client, "s1")))
    ok(client.post(f"{H}/windows/1/call-next", headers=login(client, "s1")))
    ok(client.post(f"{H}/windows/1/transfer", json={"window": "2", "note": "补材料"},
                   headers=login(client, "s1")))
    ok(client.post(f"{H}/windows/2/sign-in", json={"post": "A"}, headers=s2))
    clock.advance(seconds=95)
    desk = ok(client.get(f"{H}/windows/2/desk", headers=s2))
    stream = snapshots.counter_waiting(core, hall="h1", window="2")
    assert desk["waiting"] == stream["tickets"]
    assert desk["waiting_total"] == stream["count"] == 4
    moved = desk["waiting"][0]
    assert moved["transferred"] and moved["transferred_here"] and moved["note"] == "补材料"
    assert all(row["waited_s"] >= 95 for row in desk["waiting"])
    for row in desk["waiting"]:
        check(schemas.WaitingRow, row)


def test_the_window_and_rating_events_carry_their_views_fields() -> None:
    assert set(schemas.WindowEvent.__annotations__) == {"type", "window",
                                                         *WindowRead.model_fields}
    assert set(schemas.RatingEvent.__annotations__) == {"type", *EvaluationRead.model_fields}


def test_a_schema_refuses_what_is_not_its_event() -> None:
    event = schemas.scan(device="agent-1", code="QR123")
    check(schemas.ScanEvent, event)
    for bad in ({**event, "extra": 1}, {k: v for k, v in event.items() if k != "code"},
                {**event, "code": 123}, {**event, "type": "scanned"}):
        with pytest.raises(ValidationError):
            schemas.validator(schemas.ScanEvent)(bad)


def test_docs_events_md_holds_the_schemas_table() -> None:
    text = DOC.read_text(encoding="utf-8")
    table = schemas.catalogue()
    assert table in text, "docs/events.md is out of date: paste schemas.catalogue() in"
    assert set(schemas.EVENTS) <= {line.split("`")[1] for line in table.splitlines()
                                   if line.startswith("| `")}
