"""The dashboard's figures: the day so far, and arrivals by hour against the usual weekday."""

from __future__ import annotations

from datetime import timedelta

from fastapi.testclient import TestClient

from server.clock import ManualClock
from server.core import Core
from server.tickets import flows as ticket_flows
from server.windows import flows as window_flows
from tests.conftest import login
from tests.factories import MONDAY_10
from tests.reports.generator import principals


def test_hourly_against_the_same_weekday(client: TestClient, core: Core,
                                         clock: ManualClock) -> None:
    who = principals(core)
    for weeks_ago, count in ((2, 4), (1, 2)):
        clock.set(MONDAY_10 - timedelta(weeks=weeks_ago, minutes=50))  # 09:10
        for _ in range(count):
            ticket_flows.issue(core, hall="h1", service="SB01", actor=who["op"])
    clock.set(MONDAY_10 - timedelta(weeks=1) + timedelta(days=1))  # a Tuesday: not counted
    ticket_flows.issue(core, hall="h1", service="SB01", actor=who["op"])
    clock.set(MONDAY_10)
    ticket_flows.issue(core, hall="h1", service="SB01", actor=who["op"])
    ticket_flows.issue(core, hall="h1", service="ZX", actor=who["op"])
    body = client.get("/api/v1/halls/h1/monitor", headers=login(client, "op")).json()
    hall = body["halls"][0]
    assert hall["hourly"]["arrivals"][10] == 2 and sum(hall["hourly"]["arrivals"]) == 2
    assert hall["hourly"]["usual_arrivals"][9] == 3.0  # (4 + 2) / 2 Mondays
    assert sum(hall["hourly"]["usual_arrivals"]) == 3.0
    assert hall["today"]["issued"] == 2 and hall["today"]["waiting"] == 2
    assert {s["code"]: s["waiting"] for s in hall["services"]}["ZX"] == 1
    assert [w["state"] for w in hall["windows"]] == ["empty"] * 4
    window_flows.sign_in(core, hall="h1", window="4", post="B", actor=who["s4"])
    clock.advance(minutes=3)
    window_flows.call_next(core, hall="h1", window="4", actor=who["s4"])
    clock.advance(minutes=2)
    hall = client.get("/api/v1/halls/h1/monitor", headers=login(client, "op")).json()["halls"][0]
    assert [c["ticket"] for c in hall["calls"]] == ["Z001"]
    four = hall["windows"][3]
    assert (four["state"], four["ticket"], four["post"], four["for_s"]) == ("called", "Z001",
                                                                            "B", 120)
