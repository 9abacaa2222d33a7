"""Bad input never answers 500 (issue 10): dates, ids and numbers out of range, odd text."""

from __future__ import annotations

import json

import pytest
from fastapi.testclient import TestClient
from websockets.sync.client import connect

from server.app import create_app
from server.auth import service as auth
from tests.conftest import login
from tests.terminals.conftest import LiveServer


@pytest.mark.parametrize("path", [
    "/api/v1/halls/h1/reports?day=9999-12-31", "/api/v1/halls/h1/reports?day=0001-01-01",
    "/api/v1/halls/h1/reports?period=year&day=9999-12-31",
    "/api/v1/halls/h1/reports/staff/s1?month=9999-12-31",
    "/api/v1/halls/h1/reports/staff/s1?month=0001-01-01&period=year",
])
def test_dates_beyond_the_calendar_are_refused(client: TestClient, path: str) -> None:
    answer = client.get(path, headers=login(client, "op"))
    assert answer.status_code == 422, answer.text
    assert answer.json()["detail"]


@pytest.mark.parametrize("path", [
    f"/api/v1/halls/h1/monitor/alerts/{2**64}/ack", f"/api/v1/halls/h1/cases/{2**64}/void",
    f"/api/v1/halls/h1/cases/{2**63}/verify", "/api/v1/halls/h1/cases/-1/verify",
])
def test_ids_beyond_64_bits_are_refused(client: TestClient, path: str) -> None:
    answer = client.post(path, headers=login(client, "op"),
                         json={"note": "x", "reason": "x", "approver": "x"})
    assert answer.status_code == 422, answer.text


def test_a_config_that_would_break_later_reads_is_refused(client: TestClient) -> None:
    root = login(client, "root")
    doc = client.get("/api/v1/admin/halls/h1/config", headers=root).json()
    bad_day = {**doc, "calendar": [{"date": "2026-12-05", "kind": "workday",
                                    "as_weekday": "zzz"}]}
    assert client.put("/api/v1/admin/halls/h1/config", headers=root,
                      json=bad_day).status_code == 422
    tiny = {**doc, "services": [{**s, "avg_handle_min": 1e-300} if s["code"] == "SB01" else s
                                for s in doc["services"]]}
    assert client.put("/api/v1/admin/halls/h1/config", headers=root,
                      json=tiny).status_code == 422
    assert client.get("/api/v1/admin/halls/h1/config", headers=root).status_code == 200


def test_odd_text_from_an_agent_never_closes_an_operators_monitor(server: LiveServer) -> None:
    """Over a real port: a lone surrogate and Infinity from an agent stay with that agent."""
    core = server.core
    _, agent = auth.register_device(core, hall="h1", name="pc-1", kind="agent")
    ws_url = server.url.replace("http", "ws", 1)
    with TestClient(create_app(core)) as api:
        op = login(api, "op")["Authorization"].split()[1]
    with connect(f"{ws_url}/ws/halls/h1/monitor?token={op}") as monitor, \
            connect(f"{ws_url}/ws/halls/h1/agent?token={agent}") as ws:
        assert json.loads(monitor.recv(timeout=10))["type"] == "snapshot"
        # A lone surrogate, as an agent with a broken serial decoder might send it.
        ws.send('{"type": "device_status", "kind": "printer", "online": false, '
                '"detail": "\\ud800 paper"}')
        ws.send('{"type": "device_status", "kind": "printer", "online": Infinity}')
        error = json.loads(ws.recv(timeout=10))
        while error.get("type") != "error":
            error = json.loads(ws.recv(timeout=10))
        assert "non-finite" in error["detail"]
        seen = json.loads(monitor.recv(timeout=10))
        while seen.get("type") != "device":
            seen = json.loads(monitor.recv(timeout=10))
        assert "paper" in json.dumps(seen, ensure_ascii=False)
        monitor.send('{"type": "resync"}')
        seen = json.loads(monitor.recv(timeout=10))
        while seen.get("type") != "snapshot":
            seen = json.loads(monitor.recv(timeout=10))


def test_every_422_fits_the_documented_error(client: TestClient) -> None:
    """Found by schemathesis: a rule's 422 (one sentence) did not fit the schema's
    HTTPValidationError (a list); a list item lacked `type`; files were documented as JSON."""
    doc = client.get("/openapi.json").json()
    error = doc["components"]["schemas"]["HTTPValidationError"]["properties"]
    kinds = {k.get("type") for k in error["detail"]["anyOf"]}
    assert kinds == {"array", "string"} and error["code"] == {"type": "string"}
    by_rule = client.post("/api/v1/halls/h1/phone/tickets",
                          json={"service": "SB01", "phone": "1234567890123"})
    assert by_rule.status_code == 422 and isinstance(by_rule.json()["detail"], str)
    by_schema = client.post("/api/v1/halls/h1/phone/tickets", json={"phone": 1})
    assert by_schema.status_code == 422
    assert all(set(e) == {"loc", "msg", "type"} for e in by_schema.json()["detail"])
    wav = doc["paths"]["/api/v1/halls/{hall}/announcement.wav"]["get"]["responses"]["200"]
    assert list(wav["content"]) == ["audio/wav"]
    qr = doc["paths"]["/api/v1/tickets/{ticket_id}/qr.svg"]["get"]["responses"]["200"]
    assert list(qr["content"]) == ["image/svg+xml"]
