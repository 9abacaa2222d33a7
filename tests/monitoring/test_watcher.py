"""The background watcher logs alerts with no dashboard open."""

from __future__ import annotations

import time

from fastapi.testclient import TestClient
from sqlalchemy import select

from server.app import create_app
from server.clock import ManualClock
from server.core import Core
from server.monitoring.models import AlertEntry
from tests.conftest import login


def logged(core: Core) -> list[str]:
    with core.db.read_session() as db:
        return [a.kind for a in db.scalars(select(AlertEntry))]


def test_watcher_logs_a_long_wait_by_itself(core: Core, clock: ManualClock) -> None:
    app = create_app(core)
    app.state.alert_watcher.interval = 0.05
    with TestClient(app) as client:
        client.post("/api/v1/halls/h1/tickets", json={"service": "SB01"},
                    headers=login(client, "s1"))
        deadline = time.monotonic() + 5
        while app.state.alert_watcher.scans == 0 and time.monotonic() < deadline:
            time.sleep(0.05)
        assert logged(core) == []
        clock.advance(minutes=20)
        while "long_wait" not in logged(core) and time.monotonic() < deadline + 10:
            time.sleep(0.05)
        assert "long_wait" in logged(core)
    assert app.state.alert_watcher._task is None  # stopped with the app


def test_zero_interval_turns_the_watcher_off(core: Core) -> None:
    app = create_app(core)
    app.state.alert_watcher.interval = 0
    with TestClient(app):
        assert app.state.alert_watcher._task is None
