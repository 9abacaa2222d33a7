"""The audit search, presence and AB posts, and a case's second-person appeal on PostgreSQL."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from server.app import create_app
from server.clock import ManualClock
from server.core import Core
from server.halls import flows as hall_flows
from tests.conftest import login
from tests.factories import hall_config
from tests.staffing.conftest import ab_windows

pytestmark = pytest.mark.postgres
H = "/api/v1/halls/h1"


def test_audit_presence_posts_and_appeals_on_postgres(pg_core: Core,
                                                      clock: ManualClock) -> None:
    hall_flows.load(pg_core, config=hall_config(windows=ab_windows()))
    with TestClient(create_app(pg_core)) as client:
        s2, op, root = login(client, "s2"), login(client, "op"), login(client, "root")
        ticket = client.post(f"{H}/tickets", json={"service": "SB01"}, headers=s2).json()
        assert client.post(f"{H}/windows/2/sign-in", json={"post": "B"},
                           headers=login(client, "s4")).status_code == 403
        client.post(f"{H}/windows/2/sign-in", json={"post": "A"}, headers=s2)
        client.post(f"{H}/windows/2/call-next", headers=s2)
        client.post(f"{H}/windows/2/finish", json={"outcome": "completed"}, headers=s2)
        r = client.post(f"/api/v1/tickets/{ticket['id']}/rating",
                        json={"level": 2, "reasons": ["3"], "comment": "慢",
                              "key": ticket["rating_key"]})
        assert r.status_code == 201
        clock.advance(minutes=5)
        r = client.put(f"{H}/presence/me", json={"presence": "out", "note": "取件"}, headers=s2)
        assert r.status_code == 200 and r.json()["window"] is None
        case = client.get(f"{H}/cases", headers=op).json()["cases"][0]
        assert case["reason_names"] == ["办事效率低"] and case["ticket"] == ticket["number"]
        client.post(f"{H}/cases/{case['id']}/appeal", json={"reason": "误评"}, headers=op)
        assert client.post(f"{H}/cases/{case['id']}/appeal/approve", json={"note": "同意"},
                           headers=op).status_code == 403
        assert client.post(f"{H}/cases/{case['id']}/appeal/approve", json={"note": "同意"},
                           headers=root).json()["status"] == "voided"

        found = client.get(f"{H}/audit?staff=s2", headers=op).json()
        actions = [e["action"] for e in found["entries"]]
        assert actions[:2] == ["presence", "sign_out"] and "finish" in actions
        by_number = client.get(f"{H}/audit?ticket={ticket['number']}", headers=op).json()
        assert [e["action"] for e in reversed(by_number["entries"])] == [
            "issue", "call", "finish", "rating", "case_open", "case_appeal", "case_void"]
        history = client.get(f"{H}/audit/tickets/{ticket['number']}", headers=op).json()
        assert history["rating"]["voided"] is True and history["case"]["status"] == "voided"
        report = client.get(f"{H}/reports?period=day&by=staff", headers=op).json()
        assert report["total"]["presence_out"] == 1
        xlsx = client.get(f"{H}/audit?format=xlsx", headers=op)
        assert xlsx.status_code == 200 and xlsx.content[:2] == b"PK"
