"""去向牌: presence set at the counter or by an operator, shown with the window, counted."""

from __future__ import annotations

from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import select

from server.audit.models import AuditEntry
from server.clock import ManualClock
from server.core import Core
from server.events.bus import RecordingBus
from tests.conftest import login

H = "/api/v1/halls/h1"


def window(client: TestClient, number: str) -> dict[str, Any]:
    """A window's live view as the operator's queue shows it."""
    rows = client.get(f"{H}/queue", headers=login(client, "op")).json()["windows"]
    return dict(next(w for w in rows if w["number"] == number))


def test_going_out_at_the_counter_leaves_the_window_and_shows_the_sign(
        ab_core: Core, client: TestClient) -> None:
    s2 = login(client, "s2")
    assert client.post(f"{H}/windows/2/sign-in", json={"post": "A"}, headers=s2).status_code == 200
    assert window(client, "2")["presence"] is None
    r = client.put(f"{H}/presence/me", json={"presence": "out", "note": "去档案室"}, headers=s2)
    assert r.status_code == 200 and r.json()["presence"] == "out"
    assert r.json()["window"] is None and r.json()["a_of"] == ["2"]
    w2 = window(client, "2")
    assert w2["state"] == "empty" and w2["presence"] == "out"
    assert w2["presence_staff"] == "员工2" and w2["presence_note"] == "去档案室"
    bus = ab_core.bus
    assert isinstance(bus, RecordingBus)
    shown = [e for e in bus.of_type("window") if e["number"] == "2"]
    assert shown[-1]["presence"] == "out" and shown[-1]["state"] == "empty"
    assert bus.of_type("presence")[-1]["job_no"] == "s2"
    # signing in again turns the sign back to 在岗
    client.post(f"{H}/windows/2/sign-in", json={"post": "A"}, headers=s2)
    assert window(client, "2")["presence"] is None
    board = client.get(f"{H}/presence", headers=login(client, "op")).json()
    me = next(p for p in board["staff"] if p["job_no"] == "s2")
    assert me["presence"] == "on_duty" and me["window"] == "2" and me["post"] == "A"


def test_an_empty_window_shows_its_a_post_away(ab_core: Core, client: TestClient) -> None:
    op = login(client, "op")
    r = client.put(f"{H}/staff/s4/presence", json={"presence": "leave", "note": "年休假"},
                   headers=op)
    assert r.status_code == 200
    w3 = window(client, "3")
    assert w3["presence"] == "leave" and w3["presence_staff"] == "员工4"
    # the B post at work hides nobody's sign: the one at the window is here
    client.post(f"{H}/windows/3/sign-in", json={"post": "B"}, headers=login(client, "s6"))
    assert window(client, "3")["presence"] is None


def test_going_away_with_a_ticket_in_hand_is_refused(ab_core: Core,
                                                     client: TestClient) -> None:
    s2 = login(client, "s2")
    client.post(f"{H}/tickets", json={"service": "SB01"}, headers=s2)
    client.post(f"{H}/windows/2/sign-in", json={"post": "A"}, headers=s2)
    client.post(f"{H}/windows/2/call-next", headers=s2)
    r = client.put(f"{H}/presence/me", json={"presence": "meeting"}, headers=s2)
    assert r.status_code == 409 and r.json()["code"] == "ticket_in_hand"
    assert window(client, "2")["state"] == "called"
    board = client.get(f"{H}/presence", headers=login(client, "op")).json()
    assert next(p for p in board["staff"] if p["job_no"] == "s2")["presence"] == "on_duty"


def test_who_may_set_what(ab_core: Core, client: TestClient) -> None:
    s1, op = login(client, "s1"), login(client, "op")
    assert client.put(f"{H}/staff/s2/presence", json={"presence": "out"},
                      headers=s1).status_code == 403
    assert client.put(f"{H}/presence/me", json={"presence": "out"}).status_code == 401
    assert client.put(f"{H}/presence/me", json={"presence": "away"},
                      headers=s1).status_code == 422
    assert client.put(f"{H}/presence/me", json={"presence": "out", "note": "x" * 201},
                      headers=s1).status_code == 422
    assert client.put(f"{H}/staff/nobody/presence", json={"presence": "out"},
                      headers=op).status_code == 404
    assert client.get(f"{H}/presence", headers=s1).status_code == 403
    assert client.put("/api/v1/halls/nope/presence/me", json={"presence": "out"},
                      headers=s1).status_code == 404


def test_the_board_counts_and_every_change_is_audited(ab_core: Core, client: TestClient) -> None:
    op = login(client, "op")
    client.put(f"{H}/staff/s1/presence", json={"presence": "leave"}, headers=op)
    client.put(f"{H}/staff/s3/presence", json={"presence": "meeting", "note": "党支部会"},
               headers=op)
    client.put(f"{H}/presence/me", json={"presence": "out"}, headers=login(client, "s5"))
    board = client.get(f"{H}/presence", headers=op).json()
    assert board["counts"] == {"on_duty": 3, "leave": 1, "out": 1, "meeting": 1}
    assert [p["job_no"] for p in board["staff"]] == [f"s{i}" for i in range(1, 7)]
    rows = {w["number"]: w for w in board["windows"]}
    assert rows["2"]["a_staff"] == "员工2" and rows["2"]["b_staff"] == "员工3"
    with ab_core.db.read_session() as db:
        entries = list(db.scalars(select(AuditEntry).where(AuditEntry.action == "presence")))
    assert [(e.detail["job_no"], e.detail["presence"]) for e in entries] == [
        ("s1", "leave"), ("s3", "meeting"), ("s5", "out")]
    # setting the same sign again changes nothing and logs nothing
    client.put(f"{H}/staff/s1/presence", json={"presence": "leave"}, headers=op)
    with ab_core.db.read_session() as db:
        assert len(list(db.scalars(select(AuditEntry).where(
            AuditEntry.action == "presence")))) == 3


def test_reports_count_presence_by_staff(ab_core: Core, client: TestClient,
                                         clock: ManualClock) -> None:
    op = login(client, "op")
    for presence in ("out", "on_duty", "out", "on_duty", "meeting"):
        client.put(f"{H}/staff/s2/presence", json={"presence": presence}, headers=op)
        clock.advance(minutes=10)
    client.put(f"{H}/staff/s3/presence", json={"presence": "leave"}, headers=op)
    report = client.get(f"{H}/reports?period=day&by=staff", headers=op).json()
    rows = {r["label"]: r for r in report["rows"]}
    assert (rows["员工2 (s2)"]["presence_out"], rows["员工2 (s2)"]["presence_meeting"]) == (2, 1)
    assert rows["员工3 (s3)"]["presence_leave"] == 1
    assert (report["total"]["presence_out"], report["total"]["presence_leave"]) == (2, 1)
    by_window = client.get(f"{H}/reports?period=day&by=window", headers=op).json()
    assert by_window["total"]["presence_out"] == 2
    csv = client.get(f"{H}/reports?period=day&by=staff&format=csv", headers=op).text
    head = csv.splitlines()[0]
    assert "外出(次)" in head and "会议(次)" in head and "休假(次)" in head
    # the next day counts its own
    clock.advance(days=1)
    op = login(client, "op")
    assert client.get(f"{H}/reports?period=day&by=staff",
                      headers=op).json()["total"]["presence_out"] == 0
