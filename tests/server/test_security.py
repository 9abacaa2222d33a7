"""Every hall its own (issue 10): the cross-hall scenarios, accounts, devices and secrets."""

from __future__ import annotations

import subprocess
import sys
from typing import Any

import pytest
from fastapi.testclient import TestClient
from websockets.exceptions import InvalidStatus
from websockets.sync.client import connect

from server.auth import service as auth
from server.auth.throttle import LoginThrottle, TooManyAttempts
from server.core import Core
from server.halls import flows as hall_flows
from server.settings import DEMO_PEPPER, Settings, weak_secrets
from tests.conftest import login
from tests.factories import PASSWORD, PASSWORD_HASH, hall_config
from tests.terminals.conftest import LiveServer


@pytest.fixture
def two_halls(core: Core) -> Core:
    """h1 (the test hall) and hb beside it, each with its own administrator and operator."""
    hall_flows.load(core, config=hall_config(
        hall={"code": "hb", "name": "B 县政务服务中心", "level": "county"},
        staff=[{"job_no": "bop", "name": "B 值班长", "roles": ["operator"],
                "password_hash": PASSWORD_HASH},
               {"job_no": "badm", "name": "B 管理员", "roles": ["admin", "operator"],
                "password_hash": PASSWORD_HASH}]))
    return core


def _issue(client: TestClient, headers: dict[str, str], hall: str = "h1") -> dict[str, Any]:
    answer = client.post(f"/api/v1/halls/{hall}/tickets", headers=headers,
                         json={"service": "SB01", "priority": "normal", "channel": "kiosk"})
    assert answer.status_code == 201, answer.text
    body: dict[str, Any] = answer.json()
    return body


def test_another_halls_admin_cannot_read_or_rewrite_the_config(
        two_halls: Core, client: TestClient) -> None:
    badm = login(client, "badm")
    assert client.get("/api/v1/admin/halls/h1/config", headers=badm).status_code == 403
    doc = client.get("/api/v1/admin/halls/hb/config", headers=badm).json()
    assert client.put("/api/v1/admin/halls/h1/config", headers=badm,
                      json={**doc, "hall": {**doc["hall"], "code": "h1"}}).status_code == 403
    assert client.post("/api/v1/admin/halls/h1/devices", headers=badm,
                       json={"name": "evil", "kind": "kiosk"}).status_code == 403


def test_config_read_has_no_password_hashes(two_halls: Core, client: TestClient) -> None:
    doc = client.get("/api/v1/admin/halls/hb/config", headers=login(client, "badm")).json()
    assert all(s["password_hash"] is None and s["badge_hash"] is None for s in doc["staff"])
    assert "$argon2" not in str(doc)


def test_config_cannot_take_over_another_halls_account(two_halls: Core,
                                                       client: TestClient) -> None:
    badm = login(client, "badm")
    doc = client.get("/api/v1/admin/halls/hb/config", headers=badm).json()
    doc["staff"].append({"job_no": "root", "name": "x", "roles": ["admin"],
                         "password": "taken-over-1234"})
    answer = client.put("/api/v1/admin/halls/hb/config", headers=badm, json=doc)
    assert answer.status_code == 409 and answer.json()["code"] == "account_elsewhere"
    assert client.post("/api/v1/auth/token", data={"username": "root",
                                                   "password": "taken-over-1234"}
                       ).status_code == 401
    login(client, "root")  # the real password still works


def test_config_cannot_rekey_its_own_accounts_or_give_device_roles(
        two_halls: Core, client: TestClient) -> None:
    badm = login(client, "badm")
    doc = client.get("/api/v1/admin/halls/hb/config", headers=badm).json()
    rekey = {**doc, "staff": [{**s, "password": "new-password-123"} if s["job_no"] == "bop"
                              else s for s in doc["staff"]]}
    assert client.put("/api/v1/admin/halls/hb/config", headers=badm,
                      json=rekey).status_code == 422
    device_role = {**doc, "staff": [*doc["staff"], {"job_no": "k", "name": "k",
                                                    "roles": ["kiosk"], "password": "x" * 12}]}
    assert client.put("/api/v1/admin/halls/hb/config", headers=badm,
                      json=device_role).status_code == 422
    # The round trip of the read document (no hashes) keeps everyone's password.
    assert client.put("/api/v1/admin/halls/hb/config", headers=badm, json=doc).status_code == 200
    login(client, "bop")


def test_reparenting_and_creating_halls_is_the_deployment_admins(
        two_halls: Core, client: TestClient) -> None:
    badm, root = login(client, "badm"), login(client, "root")
    doc = client.get("/api/v1/admin/halls/h1/config", headers=root).json()
    moved = {**doc, "hall": {**doc["hall"], "parent": "hb"}}
    assert client.put("/api/v1/admin/halls/h1/config", headers=root,
                      json=moved).status_code == 403
    new = {**doc, "hall": {"code": "hc", "name": "C", "level": "county"}, "staff": []}
    assert client.post("/api/v1/admin/halls", headers=badm, json=new).status_code == 403
    auth.create_deployment_admin(two_halls, job_no="deploy", name="部署", password=PASSWORD)
    deploy = login(client, "deploy")
    assert client.post("/api/v1/admin/halls", headers=deploy, json=new).status_code == 201
    assert client.post("/api/v1/admin/halls", headers=deploy, json=new).status_code == 409
    assert client.put("/api/v1/admin/halls/h1/config", headers=deploy,
                      json=moved).status_code == 200
    # A hall cannot be put below itself.
    hb = client.get("/api/v1/admin/halls/hb/config", headers=deploy).json()
    cycle = {**hb, "hall": {**hb["hall"], "parent": "h1"}}
    assert client.put("/api/v1/admin/halls/hb/config", headers=deploy,
                      json=cycle).status_code == 422


def test_another_halls_operator_cannot_act_here(two_halls: Core, client: TestClient) -> None:
    bop = login(client, "bop")
    for path in ("/api/v1/halls/h1/windows/1/open", "/api/v1/halls/h1/windows/1/close",
                 "/api/v1/halls/h1/monitor/windows/1/close"):
        assert client.post(path, headers=bop).status_code == 403, path
    assert client.post("/api/v1/halls/h1/appointments", headers=bop,
                       json={"service": "SB01", "code": "BOOK1", "slot_start": "x",
                             "slot_end": "y"}).status_code == 403


def test_another_halls_kiosk_cannot_touch_this_halls_tickets(
        two_halls: Core, client: TestClient) -> None:
    _, mine = auth.register_device(two_halls, hall="h1", name="k1", kind="kiosk")
    _, theirs = auth.register_device(two_halls, hall="hb", name="kb", kind="kiosk")
    ticket = _issue(client, {"Authorization": f"Bearer {mine}"})
    hb = {"Authorization": f"Bearer {theirs}"}
    assert client.post(f"/api/v1/halls/h1/tickets/{ticket['id']}/cancel", headers=hb,
                       json={"reason": "x"}).status_code == 403
    assert client.post("/api/v1/halls/h1/tickets/requeue", headers=hb,
                       json={"number": ticket["number"]}).status_code == 403
    # Naming its own hall does not reach another hall's ticket either.
    assert client.post(f"/api/v1/halls/hb/tickets/{ticket['id']}/cancel", headers=hb,
                       json={"reason": "x"}).status_code == 404


def test_an_agent_speaks_only_for_itself(server: LiveServer) -> None:
    _, token = auth.register_device(server.core, hall="h1", name="pc-2", kind="agent")
    ws_url = server.url.replace("http", "ws", 1)
    with pytest.raises(InvalidStatus) as denied:
        connect(f"{ws_url}/ws/halls/h1/agent?name=kiosk-1&token={token}")
    assert denied.value.response.status_code == 403
    with connect(f"{ws_url}/ws/halls/h1/agent?name=pc-2&token={token}") as ws:
        ws.send('{"type": "ping"}')


def test_login_is_throttled_per_account(core: Core, client: TestClient) -> None:
    for _ in range(5):
        assert client.post("/api/v1/auth/token", data={"username": "s1",
                                                       "password": "wrong"}).status_code == 401
    answer = client.post("/api/v1/auth/token", data={"username": "s1", "password": PASSWORD})
    assert answer.status_code == 429
    assert int(answer.headers["Retry-After"]) > 0
    assert answer.json()["code"] == "too_many_attempts"
    login(client, "s2")  # another account from the same address still signs in


def test_throttle_window_slides() -> None:
    now = [0.0]
    throttle = LoginThrottle(lambda: now[0], account_limit=2, address_limit=3, window_s=60)
    for _ in range(2):
        throttle.failed(account="a", address="x")
    with pytest.raises(TooManyAttempts) as err:
        throttle.check(account="a", address="y")
    assert err.value.retry_after == 60
    throttle.check(account="b", address="y")
    throttle.failed(account="b", address="x")
    with pytest.raises(TooManyAttempts):
        throttle.check(account="c", address="x")  # three failures from one address
    now[0] = 61.0
    throttle.check(account="a", address="x")
    throttle.failed(account="a", address="x")
    throttle.succeeded(account="a")
    throttle.check(account="a", address="z")


def test_logout_revokes_the_token(core: Core, client: TestClient) -> None:
    headers = login(client, "op")
    assert client.get("/api/v1/auth/me", headers=headers).status_code == 200
    assert client.post("/api/v1/auth/logout", headers=headers).status_code == 204
    assert client.get("/api/v1/auth/me", headers=headers).status_code == 401


def test_device_tokens_are_listed_rotated_and_revoked(core: Core, client: TestClient) -> None:
    root = login(client, "root")
    first = client.post("/api/v1/admin/halls/h1/devices", headers=root,
                        json={"name": "kiosk-9", "kind": "kiosk"}).json()["token"]
    assert client.post("/api/v1/admin/halls/h1/devices", headers=root,
                       json={"name": "kiosk-9", "kind": "kiosk"}).status_code == 409
    listed = client.get("/api/v1/admin/halls/h1/devices", headers=root).json()
    row = next(d for d in listed if d["name"] == "kiosk-9")
    assert row["tokens"] == 1 and row["expires_at"] and first not in str(listed)
    second = client.post("/api/v1/admin/halls/h1/devices/kiosk-9/rotate",
                         headers=root).json()["token"]
    kiosk = "/api/v1/halls/h1/kiosk"
    assert client.get(kiosk, headers={"Authorization": f"Bearer {first}"}).status_code == 401
    assert client.get(kiosk, headers={"Authorization": f"Bearer {second}"}).status_code == 200
    assert client.delete("/api/v1/admin/halls/h1/devices/kiosk-9",
                         headers=root).status_code == 204
    assert client.get(kiosk, headers={"Authorization": f"Bearer {second}"}).status_code == 401


def test_device_tokens_expire(core: Core, client: TestClient, clock: Any) -> None:
    _, token = auth.register_device(core, hall="h1", name="k-old", kind="kiosk")
    headers = {"Authorization": f"Bearer {token}"}
    assert client.get("/api/v1/halls/h1/kiosk", headers=headers).status_code == 200
    clock.advance(days=core.settings.device_token_days + 1)
    assert client.get("/api/v1/halls/h1/kiosk", headers=headers).status_code == 401


def test_weak_secrets_are_named() -> None:
    assert weak_secrets(Settings(pepper=DEMO_PEPPER, demo=False))
    assert weak_secrets(Settings(pepper="short", demo=False))
    assert not weak_secrets(Settings(pepper="x" * 32, demo=False))
    assert not weak_secrets(Settings(pepper=DEMO_PEPPER, demo=True))


def test_serve_refuses_the_default_pepper(tmp_path: Any) -> None:
    env = {"PATH": "/usr/bin:/bin", "HALLQ_PEPPER": DEMO_PEPPER}
    done = subprocess.run([sys.executable, "-m", "server.cli", "serve", "--database",
                           f"sqlite:///{tmp_path / 'x.db'}", "--port", "1"],
                          capture_output=True, text=True, env=env, timeout=60)
    assert done.returncode == 2
    assert "HALLQ_PEPPER" in done.stderr and "docs/security.md" in done.stderr
    assert not (tmp_path / "x.db").exists()


def test_metrics_needs_the_scrapers_token(tmp_path: Any, clock: Any) -> None:
    from server.app import build_core, create_app
    from tests.conftest import RecordingBus
    settings = Settings(database_url=f"sqlite:///{tmp_path / 'm.db'}", pepper="p" * 20,
                        metrics_token="scrape-token-0123456789")
    core = build_core(settings, clock=clock, bus=RecordingBus())
    hall_flows.load(core, config=hall_config())
    with TestClient(create_app(core)) as client:
        assert client.get("/metrics").status_code == 401
        assert client.get("/metrics", headers={"Authorization": "Bearer nope"}
                          ).status_code == 401
        ok = client.get("/metrics", headers={"Authorization": "Bearer scrape-token-0123456789"})
        assert ok.status_code == 200 and 'hall="h1"' in ok.text


def test_metrics_off_without_a_setting(client: TestClient) -> None:
    answer = client.get("/metrics")
    assert answer.status_code == 403 and answer.json()["code"] == "metrics_off"


@pytest.mark.parametrize("path", ["/api/v1/health", "/kiosk/h1", "/api/v1/halls/h1/services",
                                  "/api/v1/halls/h1/queue"])
def test_security_headers_everywhere(client: TestClient, path: str) -> None:
    headers = client.get(path).headers
    csp = headers["content-security-policy"]
    assert "default-src 'self'" in csp and "frame-ancestors 'none'" in csp
    assert "unsafe-inline" not in csp.split("script-src")[1].split(";")[0]
    assert headers["x-content-type-options"] == "nosniff"
    assert headers["x-frame-options"] == "DENY"
    assert headers["referrer-policy"] == "no-referrer"
