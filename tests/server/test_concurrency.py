"""Two windows calling at the same instant never get the same ticket.

On SQLite (one process, many threads) and on real PostgreSQL (threads, and two core
processes sharing one database): every ticket is called exactly once, and concurrent
issuing gives numbers with no gaps and no duplicates.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import select

from server.auth.models import Staff
from server.auth.principal import Principal
from server.clock import ManualClock
from server.core import Core
from server.halls import flows as hall_flows
from server.tickets import flows as tickets
from server.windows import flows as windows
from tests.conftest import make_core
from tests.factories import PASSWORD, PASSWORD_HASH, hall_config

WINDOWS = 10
TICKETS = 300
KIOSK = Principal(roles=frozenset({"device", "kiosk"}))


def busy_hall_config() -> Any:
    """The test hall with ten any-matter windows and ten staff, open all day."""
    return hall_config(
        hours={d: ["00:00-24:00"] for d in ("mon", "tue", "wed", "thu", "fri", "sat", "sun")},
        windows=[{"number": str(i), "name": f"综合{i}", "kind": "any"}
                 for i in range(1, WINDOWS + 1)],
        staff=[{"job_no": f"c{i}", "name": f"员工{i}", "roles": ["staff"],
                "password_hash": PASSWORD_HASH} for i in range(1, WINDOWS + 1)]
        + [{"job_no": "op", "name": "值班长", "roles": ["operator"],
            "password_hash": PASSWORD_HASH}],
        # These windows drain the queue: call-next moves on from an unanswered call at once
        # (no recall or wait first), as a hall may set it (no_show_min_* = 0). The processes
        # run on the wall clock: no cut-off before midnight (Beijing time), no holidays.
        calendar=[],
        rules={"daily_limit_per_person": 0, "no_show_min_recalls": 0, "no_show_min_wait_s": 0,
               "issue_cutoff_min": 0},
    )


def _staff(core: Core) -> list[Principal]:
    with core.db.read_session() as db:
        rows = db.scalars(select(Staff).where(Staff.job_no.like("c%")).order_by(Staff.id)).all()
        return [Principal(roles=frozenset(s.roles), staff_id=s.id, hall_id=s.hall_id)
                for s in rows]


def _run_in_threads(core: Core) -> None:
    hall_flows.load(core, config=busy_hall_config())
    services = ["SB01", "SB02", "BDC01", "YB01"]
    with ThreadPoolExecutor(8) as pool:
        issued = list(pool.map(
            lambda i: tickets.issue(core, hall="h1", service=services[i % 4], actor=KIOSK),
            range(TICKETS)))
    _assert_gapless([t.number for t in issued])
    people = _staff(core)
    for n, who in enumerate(people, start=1):
        windows.sign_in(core, hall="h1", window=str(n), post="A", actor=who)

    def drain(n: int) -> list[str]:
        got = []
        while True:
            out = windows.call_next(core, hall="h1", window=str(n), actor=people[n - 1])
            if out.ticket is None:
                return got
            got.append(out.ticket.id)

    with ThreadPoolExecutor(WINDOWS) as pool:
        results = list(pool.map(drain, range(1, WINDOWS + 1)))
    _assert_each_called_once(results, {t.id for t in issued})


def _assert_gapless(numbers: list[str]) -> None:
    assert len(numbers) == len(set(numbers)), "duplicate ticket numbers"
    by_prefix: dict[str, list[int]] = {}
    for number in numbers:
        by_prefix.setdefault(number[0], []).append(int(number[1:]))
    for seqs in by_prefix.values():
        assert sorted(seqs) == list(range(1, len(seqs) + 1)), "gap in ticket numbers"


def _assert_each_called_once(results: list[list[str]], issued: set[str]) -> None:
    calls = Counter(i for got in results for i in got)
    twice = [i for i, c in calls.items() if c > 1]
    assert not twice, f"{len(twice)} tickets called twice"
    assert set(calls) == issued, f"{len(issued - set(calls))} tickets never called"
    assert sum(1 for got in results if got) > 1, "only one window got tickets"


def test_concurrent_issue_and_call_on_sqlite(tmp_path: Path, clock: ManualClock) -> None:
    core = make_core(f"sqlite:///{tmp_path / 'c.db'}", clock)
    try:
        _run_in_threads(core)
    finally:
        core.db.dispose()


@pytest.mark.postgres
def test_concurrent_issue_and_call_on_postgres(pg_url: str, clock: ManualClock) -> None:
    core = make_core(pg_url, clock)
    try:
        _run_in_threads(core)
    finally:
        core.db.dispose()


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture
def two_cores(pg_url: str, clock: ManualClock) -> Iterator[list[str]]:
    """Two `uvicorn server.asgi:app` processes on one PostgreSQL, with the busy hall."""
    core = make_core(pg_url, clock)
    hall_flows.load(core, config=busy_hall_config())
    core.db.dispose()
    env = {**os.environ, "HALLQ_DATABASE_URL": pg_url, "HALLQ_PEPPER": "test-pepper-not-secret"}
    env.pop("HALLQ_REDIS_URL", None)
    procs, urls = [], []
    for _ in range(2):
        port = _free_port()
        procs.append(subprocess.Popen(
            [sys.executable, "-m", "uvicorn", "server.asgi:app", "--port", str(port),
             "--log-level", "warning"], env=env))
        urls.append(f"http://127.0.0.1:{port}")
    try:
        for url in urls:
            _wait_up(url)
        yield urls
    finally:
        for p in procs:
            p.terminate()
        for p in procs:
            p.wait(timeout=10)


def _wait_up(url: str) -> None:
    # Readiness, not speed: a loaded 2-core machine can take half a minute to import.
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"{url}/api/v1/health", timeout=1).status_code == 200:
                return
        except httpx.HTTPError:
            time.sleep(0.2)
    pytest.fail(f"core at {url} did not start")


@pytest.mark.postgres
def test_two_core_processes_never_call_a_ticket_twice(two_cores: list[str]) -> None:
    admin = httpx.post(f"{two_cores[0]}/api/v1/auth/token",
                       data={"username": "c1", "password": PASSWORD})
    assert admin.status_code == 200
    tokens = []
    for i in range(1, WINDOWS + 1):
        base = two_cores[i % 2]
        r = httpx.post(f"{base}/api/v1/auth/token",
                       data={"username": f"c{i}", "password": PASSWORD})
        tokens.append({"Authorization": f"Bearer {r.json()['access_token']}"})
        r = httpx.post(f"{base}/api/v1/halls/h1/windows/{i}/sign-in", json={"post": "A"},
                       headers=tokens[-1])
        assert r.status_code == 200, r.text

    def issue(i: int) -> str:
        r = httpx.post(f"{two_cores[i % 2]}/api/v1/halls/h1/tickets",
                       json={"service": "SB01"}, headers=tokens[0], timeout=30)
        assert r.status_code == 201, r.text
        return str(r.json()["id"]) + " " + str(r.json()["number"])

    with ThreadPoolExecutor(8) as pool:
        issued = list(pool.map(issue, range(200)))
    _assert_gapless([x.split()[1] for x in issued])

    def drain(i: int) -> list[str]:
        got = []
        with httpx.Client(base_url=two_cores[i % 2], timeout=30) as http:
            while True:
                r = http.post(f"/api/v1/halls/h1/windows/{i}/call-next",
                              headers=tokens[i - 1])
                if r.status_code == 204:
                    return got
                assert r.status_code == 200, r.text
                got.append(r.json()["ticket"]["id"])

    with ThreadPoolExecutor(WINDOWS) as pool:
        results = list(pool.map(drain, range(1, WINDOWS + 1)))
    _assert_each_called_once(results, {x.split()[0] for x in issued})
