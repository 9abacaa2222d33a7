"""The alert log over real flows with a controlled clock: raised once, resolved, published."""

from __future__ import annotations

from fastapi.testclient import TestClient

from server.clock import ManualClock
from server.core import Core
from server.events.bus import RecordingBus
from server.monitoring import alerts
from tests.conftest import login

H = "/api/v1/halls/h1"


def active(client: TestClient, headers: dict[str, str]) -> list[dict[str, object]]:
    r = client.get(f"{H}/monitor/alerts", headers=headers)
    assert r.status_code == 200, r.text
    return [a for a in r.json()["alerts"] if a["active"]]


def test_long_wait_and_empty_window_raised_once_then_resolved(
        client: TestClient, core: Core, clock: ManualClock) -> None:
    staff = login(client, "s1")
    op = login(client, "op")
    client.post(f"{H}/tickets", json={"service": "SB01"}, headers=staff)  # 10:00, rollover
    assert alerts.scan(core, "h1") == []
    clock.advance(minutes=20)
    raised = alerts.scan(core, "h1")
    assert sorted(str(e["kind"]) for e in raised) == ["long_wait"] + ["window_empty"] * 4
    assert alerts.scan(core, "h1") == []  # the same episode is not logged twice
    assert isinstance(core.bus, RecordingBus)
    assert any(e.get("type") == "alert" for _, e in core.bus.events)
    # window 1's B post takes over and calls the ticket: both conditions end
    client.post(f"{H}/windows/1/sign-in", json={"post": "B"}, headers=staff)
    client.post(f"{H}/windows/1/call-next", headers=staff)
    resolved = alerts.scan(core, "h1")
    assert sorted((str(e["kind"]), str(e["subject"])) for e in resolved) == [
        ("long_wait", "A001"), ("window_empty", "1")]
    assert all(e["resolved_at"] for e in resolved)
    left = active(client, op)
    assert sorted(str(a["subject"]) for a in left) == ["2", "3", "4"]
    r = client.post(f"{H}/monitor/alerts/{left[0]['id']}/ack", headers=op)
    assert r.status_code == 200 and r.json()["acknowledged_at"] and r.json()["active"]
    assert client.post(f"{H}/monitor/alerts/99999/ack", headers=op).status_code == 404


def test_bad_rating_raises_an_alert_until_verified(
        client: TestClient, core: Core, clock: ManualClock) -> None:
    staff = login(client, "s2")
    op = login(client, "op")
    ticket = client.post(f"{H}/tickets", json={"service": "SB01"}, headers=staff).json()
    tid = ticket["id"]
    for w in ("1", "3", "4"):
        client.post(f"{H}/windows/{w}/close", headers=op)
    client.post(f"{H}/windows/2/sign-in", json={"post": "A"}, headers=staff)
    client.post(f"{H}/windows/2/call-next", headers=staff)
    client.post(f"{H}/windows/2/finish", json={"outcome": "completed"}, headers=staff)
    assert client.post(f"/api/v1/tickets/{tid}/rating",
                       json={"level": 1, "key": ticket["rating_key"]}).status_code == 201
    [alert] = alerts.scan(core, "h1")
    assert alert["kind"] == "bad_review" and alert["detail"]["window"] == "2"
    case = alert["detail"]["case"]
    r = client.post(f"{H}/cases/{case}/verify", json={"note": "查看录像属实"}, headers=op)
    assert r.status_code == 200, r.text
    [done] = alerts.scan(core, "h1")
    assert done["kind"] == "bad_review" and done["active"] is False
