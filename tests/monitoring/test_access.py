"""Who may watch what: operators only; a centre sees the halls below it (江苏 第五条、第六条)."""

from __future__ import annotations

import json
from typing import Any

import pytest
from fastapi.testclient import TestClient
from websockets.exceptions import InvalidStatus
from websockets.sync.client import connect

from server.auth import service as auth
from server.core import Core
from server.halls import flows as hall_flows
from server.tickets import flows as ticket_flows
from tests.conftest import login
from tests.factories import PASSWORD, PASSWORD_HASH, TEST_HALL, hall_config
from tests.reports.generator import principals
from tests.terminals.conftest import LiveServer


def _op(job_no: str, roles: list[str] | None = None) -> dict[str, Any]:
    return {"job_no": job_no, "name": job_no, "roles": roles or ["operator"],
            "password_hash": PASSWORD_HASH}


@pytest.fixture
def tree(core: Core) -> Core:
    """city ← h1 (the test hall) ← h2 (a sub-centre); city ← h3 (a sibling of h1)."""
    hall_flows.load(core, config=hall_config(
        hall={"code": "city", "name": "市政务服务中心", "level": "city"}, staff=[_op("cityop")]))
    hall_flows.load(core, config=hall_config(hall={**TEST_HALL["hall"], "parent": "city"}))
    hall_flows.load(core, config=hall_config(
        hall={"code": "h2", "name": "社保分中心", "level": "county", "parent": "h1"},
        staff=[_op("op2"), {**_op("s21"), "roles": ["staff"]}]))
    hall_flows.load(core, config=hall_config(
        hall={"code": "h3", "name": "邻县中心", "level": "county", "parent": "city"},
        staff=[_op("op3")]))
    return core


def status(client: TestClient, path: str, who: str | None) -> int:
    headers = login(client, who) if who else {}
    return client.get(path, headers=headers).status_code


@pytest.mark.parametrize("path", [
    "/api/v1/halls/{hall}/monitor", "/api/v1/halls/{hall}/monitor/alerts",
    "/api/v1/halls/{hall}/reports", "/api/v1/halls/{hall}/cases",
    "/api/v1/halls/{hall}/reports/staff/s1",
])
def test_operator_only(client: TestClient, path: str) -> None:
    url = path.format(hall="h1")
    assert status(client, url, None) == 401
    assert status(client, url, "s1") == 403
    assert status(client, url, "op") == 200
    assert status(client, url, "root") == 200


def test_a_centre_sees_below_never_above_or_beside(client: TestClient, tree: Core) -> None:
    m = "/api/v1/halls/{}/monitor"
    assert status(client, m.format("h2"), "op") == 200  # h1's operator watches its sub-centre
    assert status(client, m.format("h1"), "op2") == 403  # never upwards
    assert status(client, m.format("city"), "op") == 403
    assert status(client, m.format("h3"), "op") == 403  # nor a sibling
    assert status(client, m.format("h2"), "op3") == 403
    assert status(client, m.format("h2"), "cityop") == 200  # a city sees every hall below it
    assert status(client, m.format("nope"), "op") == 404


def test_side_by_side_dashboard_and_one_report(client: TestClient, tree: Core) -> None:
    op, city = login(client, "op"), login(client, "cityop")
    client.post("/api/v1/halls/h2/tickets", json={"service": "SB01"}, headers=login(client, "s21"))
    client.post("/api/v1/halls/h1/tickets", json={"service": "SB01"}, headers=login(client, "s1"))
    body = client.get("/api/v1/halls/h1/monitor?below=true", headers=op).json()
    assert [h["hall"] for h in body["halls"]] == ["h1", "h2"]
    assert [h["today"]["issued"] for h in body["halls"]] == [1, 1]
    body = client.get("/api/v1/halls/city/monitor?below=true", headers=city).json()
    assert [h["hall"] for h in body["halls"]] == ["city", "h1", "h3", "h2"]
    report = client.get("/api/v1/halls/h1/reports?period=day&by=hall&below=true",
                        headers=op).json()
    assert report["halls"] == ["h1", "h2"]
    assert {r["label"]: r["issued"] for r in report["rows"]} == {
        "测试县政务服务中心": 1, "社保分中心": 1}
    assert report["total"]["issued"] == 2
    only = client.get("/api/v1/halls/h1/reports?period=day&by=hall", headers=op).json()
    assert only["total"]["issued"] == 1


def test_monitor_stream_checks_the_same_visibility(server: LiveServer, tree: Core) -> None:
    ws_url = server.url.replace("http", "ws")
    token = auth.login(tree, username="op", password=PASSWORD)
    with connect(f"{ws_url}/ws/halls/h2/monitor?token={token}") as ws:
        assert json.loads(ws.recv(timeout=5))["type"] == "snapshot"
        ticket_flows.issue(tree, hall="h2", service="SB01", actor=principals(tree)["op2"])
        kinds = set()
        while "ticket_issued" not in kinds:
            kinds.add(json.loads(ws.recv(timeout=5))["type"])
    other = auth.login(tree, username="op2", password=PASSWORD)
    with pytest.raises(InvalidStatus) as refused:
        connect(f"{ws_url}/ws/halls/h1/monitor?token={other}")
    assert refused.value.response.status_code == 403
    with pytest.raises(InvalidStatus) as refused:
        connect(f"{ws_url}/ws/halls/h1/monitor")
    assert refused.value.response.status_code == 401
