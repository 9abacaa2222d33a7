"""Badge-scan login at a registered counter PC."""

from __future__ import annotations

from fastapi.testclient import TestClient
from sqlalchemy import select

from server.auth import service as auth
from server.auth.models import Staff
from server.core import Core
from server.halls import flows as hall_flows
from tests.factories import TEST_HALL, hall_config


def test_badge_login_only_at_a_counter_pc_of_the_hall(client: TestClient, core: Core) -> None:
    staff = [dict(p) for p in TEST_HALL["staff"]]
    staff[0]["badge"] = "BADGE-0001"
    hall_flows.load(core, config=hall_config(staff=staff))
    with core.db.read_session() as db:
        stored = db.scalar(select(Staff.badge_hash).where(Staff.job_no == "s1"))
    assert stored and "BADGE" not in stored  # kept only as an HMAC
    _, counter = auth.register_device(core, hall="h1", name="pc-3", kind="counter")
    _, kiosk = auth.register_device(core, hall="h1", name="k", kind="kiosk")
    at = {"Authorization": f"Bearer {counter}"}
    r = client.post("/api/v1/auth/badge", json={"badge": " BADGE-0001 "}, headers=at)
    assert r.status_code == 200, r.text
    me = client.get("/api/v1/auth/me",
                    headers={"Authorization": f"Bearer {r.json()['access_token']}"})
    assert me.json()["job_no"] == "s1"
    assert client.post("/api/v1/auth/badge", json={"badge": "BADGE-9999"},
                       headers=at).status_code == 401
    assert client.post("/api/v1/auth/badge", json={"badge": "BADGE-0001"},
                       headers={"Authorization": f"Bearer {kiosk}"}).status_code == 403
    assert client.post("/api/v1/auth/badge", json={"badge": "BADGE-0001"}).status_code == 401
    assert client.post("/api/v1/auth/badge", json={"badge": ""},
                       headers=at).status_code == 422
