"""The public contract through HTTP, including the errors integrators rely on."""

from __future__ import annotations

import re

import pytest
from fastapi.testclient import TestClient

from server.auth import service as auth
from server.core import Core
from tests.conftest import login

H = "/api/v1/halls/h1"


@pytest.fixture
def kiosk(core: Core) -> dict[str, str]:
    _, token = auth.register_device(core, hall="h1", name="kiosk-a", kind="kiosk")
    return {"Authorization": f"Bearer {token}"}


def test_health(client: TestClient) -> None:
    assert client.get("/api/v1/health").json() == {"status": "ok"}


def test_token_flow(client: TestClient) -> None:
    r = client.post("/api/v1/auth/token", data={"username": "s1", "password": "s3cret-test"})
    assert r.status_code == 200 and r.json()["token_type"] == "bearer"
    r = client.post("/api/v1/auth/token", data={"username": "s1", "password": "wrong"})
    assert r.status_code == 401 and "detail" in r.json()
    r = client.post("/api/v1/auth/token", data={"username": "nobody", "password": "x"})
    assert r.status_code == 401
    r = client.post("/api/v1/auth/token", data={"username": "s1"})
    assert r.status_code == 422


def test_services_list_shape(client: TestClient) -> None:
    r = client.get(f"{H}/services")
    assert r.status_code == 200
    first = r.json()[0]
    assert set(first) == {"code", "name", "prefix", "domain"}
    assert {"code": "SB01", "name": "社保卡", "prefix": "A", "domain": "SB"} in r.json()
    assert client.get("/api/v1/halls/nope/services").status_code == 404


def test_issue_by_kiosk_device(client: TestClient, kiosk: dict[str, str]) -> None:
    r = client.post(f"{H}/tickets", json={"service": "SB01", "priority": "normal",
                                          "channel": "kiosk"}, headers=kiosk)
    assert r.status_code == 201
    body = r.json()
    assert {"id", "number", "service", "status", "ahead", "issued_at"} <= set(body)
    assert body["status"] == "waiting" and body["service"] == "SB01"
    assert re.fullmatch(r"A\d{3}", body["number"])
    assert re.search(r"\+08:00$", body["issued_at"])
    assert len(body["id"]) >= 20  # unguessable
    assert body["hall_name"] == "测试县政务服务中心"
    # A kiosk device's ticket becomes a print job for the hall's agent.
    assert r.headers["X-Print-Job"] and r.headers["X-Print-State"] == "failed"  # no printer
    got = client.get(f"/api/v1/tickets/{body['id']}")
    assert got.status_code == 200 and got.json()["ahead"] == 0


@pytest.mark.parametrize(("body", "status"), [
    ({"service": "SB01", "priority": "vip"}, 422),
    ({"priority": "normal"}, 422),
    ({"service": "NOPE"}, 404),
    ({"service": "SB01", "channel": "carrier-pigeon"}, 422),
])
def test_issue_bad_requests(client: TestClient, kiosk: dict[str, str],
                            body: dict[str, str], status: int) -> None:
    r = client.post(f"{H}/tickets", json=body, headers=kiosk)
    assert r.status_code == status and "detail" in r.json()


def test_issue_needs_a_token(client: TestClient) -> None:
    r = client.post(f"{H}/tickets", json={"service": "SB01"})
    assert r.status_code == 401
    r = client.post(f"{H}/tickets", json={"service": "SB01"},
                    headers={"Authorization": "Bearer not-a-token"})
    assert r.status_code == 401


def test_malformed_body_is_a_4xx_not_a_500(client: TestClient, kiosk: dict[str, str]) -> None:
    r = client.post(f"{H}/tickets", content=b"\xff\xfe{not json",
                    headers={**kiosk, "Content-Type": "application/json"})
    assert r.status_code == 400 and "detail" in r.json()
    r = client.post(f"{H}/tickets", content=b'{"service": "SB01"',
                    headers={**kiosk, "Content-Type": "application/json"})
    assert r.status_code == 422 and "detail" in r.json()


def test_unknown_ticket_is_404(client: TestClient) -> None:
    assert client.get("/api/v1/tickets/doesnotexist").status_code == 404


def test_counter_actions_need_the_signed_in_staff(client: TestClient,
                                                  kiosk: dict[str, str]) -> None:
    s1, s2 = login(client, "s1"), login(client, "s2")
    assert client.post(f"{H}/windows/1/call-next").status_code == 401
    assert client.post(f"{H}/windows/1/call-next", headers=s1).status_code == 403
    assert client.post(f"{H}/windows/1/call-next", headers=kiosk).status_code == 403
    assert client.post(f"{H}/windows/1/sign-in", json={"post": "A"},
                       headers=s1).status_code == 200
    assert client.post(f"{H}/windows/1/call-next", headers=s2).status_code == 403
    assert client.post(f"{H}/windows/1/sign-in", json={"post": "C"},
                       headers=s2).status_code == 422
    assert client.post(f"{H}/windows/99/sign-in", json={"post": "A"},
                       headers=s2).status_code == 404
    for action in ("recall", "no-show", "start"):
        r = client.post(f"{H}/windows/1/{action}", headers=s1)
        assert r.status_code == 409, action
    r = client.post(f"{H}/windows/1/finish", json={"outcome": "magic"}, headers=s1)
    assert r.status_code == 422
    r = client.post(f"{H}/windows/1/transfer", json={}, headers=s1)
    assert r.status_code == 422
    r = client.post(f"{H}/windows/1/pause", json={}, headers=s1)
    assert r.status_code == 422


def test_full_counter_sequence(client: TestClient, kiosk: dict[str, str]) -> None:
    s1 = login(client, "s1")
    ids = [client.post(f"{H}/tickets", json={"service": "SB01"}, headers=kiosk).json()["id"]
           for _ in range(3)]
    client.post(f"{H}/windows/2/sign-in", json={"post": "A"}, headers=s1)
    r = client.post(f"{H}/windows/2/call-next", headers=s1)
    assert r.json()["ticket"]["status"] == "called"
    assert client.get(f"/api/v1/tickets/{ids[1]}").json()["ahead"] == 0
    r = client.post(f"{H}/windows/2/recall", headers=s1)
    assert r.status_code == 200 and r.json()["ticket"]["recalls"] == 1
    r = client.post(f"{H}/windows/2/no-show", headers=s1)
    assert r.json()["ticket"]["status"] == "no_show"
    client.post(f"{H}/windows/2/call-next", headers=s1)
    r = client.post(f"{H}/windows/2/transfer", json={"service": "BDC01"}, headers=s1)
    assert r.json()["ticket"]["status"] == "waiting"
    assert r.json()["ticket"]["service"] == "BDC01"
    client.post(f"{H}/windows/2/call-next", headers=s1)
    client.post(f"{H}/windows/2/start", headers=s1)
    r = client.post(f"{H}/windows/2/finish", json={"outcome": "accepted"}, headers=s1)
    assert r.json()["ticket"]["outcome"] == "accepted"
    r = client.post(f"{H}/windows/2/pause", json={"reason": "会议"}, headers=s1)
    assert r.json()["window"]["state"] == "paused"
    assert client.post(f"{H}/windows/2/call-next", headers=s1).status_code == 409
    assert client.post(f"{H}/windows/2/resume", headers=s1).json()["window"]["state"] == "idle"
    assert client.post(f"{H}/windows/2/call-next", headers=s1).status_code == 204
    assert client.post(f"{H}/windows/2/sign-out", headers=s1).status_code == 200
    assert client.post(f"{H}/windows/2/call-next", headers=s1).status_code == 403
    statuses = [client.get(f"/api/v1/tickets/{i}").json()["status"] for i in ids]
    assert statuses == ["no_show", "waiting", "done"]


def test_queue_is_for_operators(client: TestClient, kiosk: dict[str, str]) -> None:
    client.post(f"{H}/tickets", json={"service": "SB01"}, headers=kiosk)
    assert client.get(f"{H}/queue").status_code == 401
    assert client.get(f"{H}/queue", headers=login(client, "s1")).status_code == 403
    r = client.get(f"{H}/queue", headers=login(client, "op"))
    assert r.status_code == 200
    body = r.json()
    sb01 = next(s for s in body["services"] if s["code"] == "SB01")
    assert sb01["waiting"] == 1 and sb01["longest_wait_s"] == 0
    assert {"number", "state", "ticket", "staff"} <= set(body["windows"][0])
    assert body["windows"][0]["state"] == "empty"


def test_admin_config_round_trip(client: TestClient) -> None:
    admin = login(client, "root")
    assert client.get("/api/v1/admin/halls/h1/config",
                      headers=login(client, "op")).status_code == 403
    cfg = client.get("/api/v1/admin/halls/h1/config", headers=admin).json()
    cfg["windows"].append({"number": "5", "name": "新窗口", "kind": "any"})
    r = client.put("/api/v1/admin/halls/h1/config", json=cfg, headers=admin)
    assert r.status_code == 200 and any(w["number"] == "5" for w in r.json()["windows"])
    cfg["windows"].append({"number": "6", "name": "坏", "kind": "domain", "domains": ["XX"]})
    assert client.put("/api/v1/admin/halls/h1/config", json=cfg,
                      headers=admin).status_code == 422
    r = client.post("/api/v1/admin/halls/h1/devices", json={"name": "kiosk-9", "kind": "kiosk"},
                    headers=admin)
    assert r.status_code == 201
    token = r.json()["token"]
    r = client.post(f"{H}/tickets", json={"service": "YB01"},
                    headers={"Authorization": f"Bearer {token}"})
    assert r.status_code == 201 and r.json()["number"] == "B001"


def test_staff_tokens_expire(client: TestClient, core: Core) -> None:
    from server.clock import ManualClock

    s1 = login(client, "s1")
    assert client.post(f"{H}/windows/1/sign-in", json={"post": "A"},
                       headers=s1).status_code == 200
    assert isinstance(core.clock, ManualClock)
    core.clock.advance(hours=13)  # HALLQ_TOKEN_TTL_HOURS defaults to 12
    r = client.post(f"{H}/windows/1/sign-out", headers=s1)
    assert r.status_code == 401 and r.headers["WWW-Authenticate"] == "Bearer"


def test_operator_closes_and_opens_a_window(client: TestClient) -> None:
    op, s1 = login(client, "op"), login(client, "s1")
    assert client.post(f"{H}/windows/3/close", headers=s1).status_code == 403
    r = client.post(f"{H}/windows/3/close", headers=op)
    assert r.status_code == 200 and r.json()["window"]["state"] == "closed"
    r = client.post(f"{H}/windows/3/sign-in", json={"post": "A"}, headers=s1)
    assert r.status_code == 409 and r.json()["code"] == "window_closed"
    assert client.post(f"{H}/windows/3/open", headers=op).json()["window"]["state"] == "empty"


def test_cancel_with_a_reason(client: TestClient, kiosk: dict[str, str]) -> None:
    t = client.post(f"{H}/tickets", json={"service": "SB01"}, headers=kiosk).json()
    op = login(client, "op")
    assert client.post(f"{H}/tickets/{t['id']}/cancel", json={}, headers=op).status_code == 422
    r = client.post(f"{H}/tickets/{t['id']}/cancel", json={"reason": "群众自行离开"},
                    headers=op)
    assert r.status_code == 200
    assert r.json()["status"] == "cancelled" and r.json()["close_reason"] == "群众自行离开"
    r = client.post(f"{H}/tickets/{t['id']}/cancel", json={"reason": "again"}, headers=op)
    assert r.status_code == 409
