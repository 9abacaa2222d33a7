"""Reports, cases, the dashboard and /metrics on a real PostgreSQL."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from server.app import create_app
from server.clock import ManualClock
from server.core import Core
from tests.conftest import login

pytestmark = pytest.mark.postgres
H = "/api/v1/halls/h1"


def test_the_monitoring_queries_on_postgres(pg_core: Core, clock: ManualClock) -> None:
    with TestClient(create_app(pg_core)) as client:
        s2, op = login(client, "s2"), login(client, "op")
        issued = client.post(f"{H}/tickets", json={"service": "SB01"}, headers=s2).json()
        first = issued["id"]
        client.post(f"{H}/tickets", json={"service": "SB02"}, headers=s2)
        client.post(f"{H}/windows/2/sign-in", json={"post": "A"}, headers=s2)
        clock.advance(minutes=4)
        client.post(f"{H}/windows/2/call-next", headers=s2)
        client.post(f"{H}/windows/2/start", headers=s2)
        clock.advance(minutes=6)
        client.post(f"{H}/windows/2/finish", json={"outcome": "correction_notice"}, headers=s2)
        client.post(f"/api/v1/tickets/{first}/rating",
                    json={"level": 1, "key": issued["rating_key"]})
        client.post(f"{H}/windows/2/call-next", headers=s2)
        client.post(f"{H}/windows/2/no-show", headers=s2)
        client.post(f"{H}/windows/2/pause", json={"reason": "rest"}, headers=s2)
        clock.advance(minutes=3)
        client.post(f"{H}/windows/2/resume", headers=s2)
        total = client.get(f"{H}/reports?period=day&by=staff", headers=op).json()["total"]
        assert (total["issued"], total["served"], total["no_show"]) == (2, 1, 1)
        assert total["wait_avg_s"] == (240 + 600) / 2 and total["handle_avg_s"] == 360
        assert total["one_time_notice"] == 1 and total["ratings"]["1"] == 1
        assert total["cases"] == 1 and total["pause_s"] == 180
        cases = client.get(f"{H}/cases", headers=op).json()
        assert cases["cases"][0]["deadline"] == "2026-11-29"
        dash = client.get(f"{H}/monitor", headers=op).json()["halls"][0]
        assert dash["today"]["served"] == 1 and dash["cases"]["open"] == 1
        assert any(a["kind"] == "bad_review" for a in dash["alerts"])
        pg_core.settings.metrics_allow = ["testclient"]  # the scraper's address
        assert 'hallq_calls_today{hall="h1"} 2' in client.get("/metrics").text
