"""`simulators.bench.load`, the bench's counter client: calling only, or serving each
ticket it calls (call, start, finish), against a real server."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest
from sqlalchemy import select

from server.app import create_app
from server.core import Core
from server.tickets.models import Ticket
from simulators.bench import load
from tests.events.live import serve_in_thread
from tests.factories import PASSWORD


@pytest.fixture
def desks(core: Core) -> Iterator[tuple[str, list[list[str]]]]:
    """The test hall served on a free port, five SB01 tickets waiting, windows 1 and 2
    signed in; yields the URL and [number, token] per window."""
    with serve_in_thread(create_app(core)) as url, httpx.Client(base_url=url) as http:
        windows = []
        for number, job_no in (("1", "s1"), ("2", "s2")):
            r = http.post("/api/v1/auth/token", data={"username": job_no, "password": PASSWORD})
            token = r.json()["access_token"]
            r = http.post(f"/api/v1/halls/h1/windows/{number}/sign-in", json={"post": "A"},
                          headers={"Authorization": f"Bearer {token}"})
            assert r.status_code == 200, r.text
            windows.append([number, token])
        for _ in range(5):
            r = http.post("/api/v1/halls/h1/tickets", json={"service": "SB01"},
                          headers={"Authorization": f"Bearer {windows[0][1]}"})
            assert r.status_code == 201, r.text
        yield url, windows


def statuses(core: Core) -> list[tuple[str, str | None]]:
    with core.db.read_session() as db:
        return sorted(tuple(r) for r in db.execute(select(Ticket.status, Ticket.outcome)))


def test_serving_calls_starts_and_finishes_every_ticket(
        core: Core, desks: tuple[str, list[list[str]]]) -> None:
    url, windows = desks
    result = load.run({"kind": "serve", "base": url, "hall": "h1", "windows": windows})
    assert result["failed"] == 0
    assert len(result["latencies"]) == 5 * 3  # every action timed
    assert statuses(core) == [("done", "completed")] * 5


def test_draining_only_calls_each_past_the_last(
        core: Core, desks: tuple[str, list[list[str]]]) -> None:
    url, windows = desks
    result = load.run({"kind": "drain", "base": url, "hall": "h1", "windows": windows})
    assert result["failed"] == 0 and len(result["latencies"]) == 5
    # Each call was confirmed a 过号 by the window's next press, the last one by the press
    # that found nothing more to call.
    assert statuses(core) == [("no_show", None)] * 5
