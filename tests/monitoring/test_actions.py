"""The operator's actions from the dashboard: each does its work and is audited."""

from __future__ import annotations

from fastapi.testclient import TestClient
from sqlalchemy import select

from server.audit.models import AuditEntry
from server.clock import ManualClock
from server.core import Core
from server.devices import status as devices
from server.events.bus import RecordingBus
from tests.conftest import login

H = "/api/v1/halls/h1"
M = H + "/monitor"


def actions(core: Core) -> list[str]:
    with core.db.read_session() as db:
        return [a.action for a in db.scalars(select(AuditEntry).order_by(AuditEntry.id))]


def test_scroll_line_reaches_the_screens_and_is_audited(client: TestClient, core: Core) -> None:
    op = login(client, "op")
    r = client.put(f"{M}/scroll", json={"text": " 今日下午三点系统维护 "}, headers=op)
    assert r.status_code == 200 and r.json() == {"scroll_text": "今日下午三点系统维护"}
    assert isinstance(core.bus, RecordingBus)
    assert core.bus.of_type("scroll")[-1]["text"] == "今日下午三点系统维护"
    assert core.bus.of_type("hall")[-1]["scroll_text"] == "今日下午三点系统维护"
    assert "scroll_text" in actions(core)
    assert client.put(f"{M}/scroll", json={"text": "x"},
                      headers=login(client, "s1")).status_code == 403


def test_moving_a_window_to_other_services_for_the_day(
        client: TestClient, core: Core, clock: ManualClock) -> None:
    op, s3 = login(client, "op"), login(client, "s3")
    client.post(f"{H}/tickets", json={"service": "SB01"}, headers=s3)
    client.post(f"{H}/windows/3/sign-in", json={"post": "A"}, headers=s3)
    assert client.post(f"{H}/windows/3/call-next", headers=s3).status_code == 204
    r = client.put(f"{M}/windows/3/services", json={"services": ["SB01", "SB02"]}, headers=op)
    assert r.status_code == 200, r.text
    # The counter's live list and its desk view follow the move before anyone calls.
    from server.events import snapshots

    assert [t["ticket"] for t in snapshots.counter_waiting(core, hall="h1", window="3")[
        "tickets"]] == ["A001"]
    desk = client.get(f"{H}/windows/3/desk", headers=s3).json()
    assert [t["ticket"] for t in desk["waiting"]] == ["A001"]
    called = client.post(f"{H}/windows/3/call-next", headers=s3)
    assert called.status_code == 200 and called.json()["ticket"]["number"] == "A001"
    client.post(f"{H}/windows/3/finish", json={"outcome": "completed"}, headers=s3)
    dash = client.get(M, headers=op).json()["halls"][0]
    assert next(w for w in dash["windows"] if w["number"] == "3")["moved_to"] == ["SB01", "SB02"]
    # back to normal by hand
    client.put(f"{M}/windows/3/services", json={"services": None}, headers=op)
    client.post(f"{H}/tickets", json={"service": "SB01"}, headers=s3)
    assert client.post(f"{H}/windows/3/call-next", headers=s3).status_code == 204
    # and by itself the next day
    client.put(f"{M}/windows/3/services", json={"services": ["SB01"]}, headers=op)
    clock.advance(days=1)
    s3 = login(client, "s3")
    client.post(f"{H}/tickets", json={"service": "SB01"}, headers=s3)
    client.post(f"{H}/windows/3/sign-in", json={"post": "A"}, headers=s3)
    assert client.post(f"{H}/windows/3/call-next", headers=s3).status_code == 204
    assert actions(core).count("window_services") == 3
    bad = client.put(f"{M}/windows/3/services", json={"services": ["NOPE"]}, headers=login(
        client, "op"))
    assert bad.status_code == 404


def test_cancel_reissue_open_and_close(client: TestClient, core: Core) -> None:
    op, s2 = login(client, "op"), login(client, "s2")
    first = client.post(f"{H}/tickets", json={"service": "SB01", "priority": "green"},
                        headers=s2).json()
    second = client.post(f"{H}/tickets", json={"service": "SB02"}, headers=s2).json()
    found = client.get(f"{M}/tickets/by-number/a001", headers=op).json()["id"]
    assert found == first["id"]
    r = client.post(f"{M}/tickets/{second['id']}/cancel", json={"reason": "重复取号"},
                    headers=op)
    assert r.status_code == 200 and r.json()["status"] == "cancelled"
    r = client.post(f"{M}/tickets/{first['id']}/reissue", json={}, headers=op)
    assert r.status_code == 201, r.text
    new = r.json()["ticket"]
    assert new["number"] == "A003" and new["priority"] == "green" and new["status"] == "waiting"
    old = client.get(f"/api/v1/tickets/{first['id']}").json()
    assert old["status"] == "cancelled" and old["close_reason"] == "reissued"
    r = client.post(f"{M}/windows/1/close", headers=op)
    assert r.status_code == 200 and r.json()["state"] == "closed"
    assert client.post(f"{M}/windows/1/open", headers=op).json()["state"] == "empty"
    done = actions(core)
    for action in ("cancel", "reissue", "close", "open"):
        assert action in done
    assert client.post(f"{M}/windows/1/close", headers=s2).status_code == 403


def test_metrics_in_prometheus_text(client: TestClient, core: Core) -> None:
    s2 = login(client, "s2")
    for _ in range(3):
        client.post(f"{H}/tickets", json={"service": "SB01"}, headers=s2)
    client.post(f"{H}/windows/2/sign-in", json={"post": "A"}, headers=s2)
    client.post(f"{H}/windows/2/call-next", headers=s2)
    devices.set_status(core, "h1", "agent-1", "printer", False, "paper_out")
    devices.set_status(core, "h1", "agent-1", "evaluator", True)
    core.settings.metrics_token = "scraper-token-0123456789"
    r = client.get("/metrics", headers={"Authorization": "Bearer scraper-token-0123456789"})
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/plain")
    lines = set(r.text.splitlines())
    assert 'hallq_waiting_tickets{hall="h1",service="SB01"} 2' in lines
    assert 'hallq_waiting_tickets{hall="h1",service="BDC01"} 0' in lines
    assert 'hallq_calls_today{hall="h1"} 1' in lines
    assert 'hallq_tickets_today{hall="h1",status="waiting"} 2' in lines
    assert 'hallq_windows{hall="h1",state="called"} 1' in lines
    assert 'hallq_devices_online{hall="h1",kind="evaluator"} 1' in lines
    assert 'hallq_devices_offline{hall="h1",kind="printer"} 1' in lines
    assert "# TYPE hallq_waiting_tickets gauge" in lines
    # every sample line is NAME{labels} VALUE
    for line in r.text.splitlines():
        if not line.startswith("#"):
            name, value = line.rsplit(" ", 1)
            float(value)
            assert name.startswith("hallq_") and name.endswith("}")
