"""`hallq bench core`: the core's cost per ticket and per call against the floor of the stack.

In one run: the floor (FastAPI + uvicorn + one SQLite INSERT, `simulators.bench.floor`),
then a real `hallq serve` process on each database. Clients are separate processes: wrk
for the issue runs (the same client as the floor's), `simulators.bench.load` for the
windows' call-next, their whole cycle (call, start, finish) and the queue fills. CPU per
request is read from /proc for the server process only, so a busy machine blurs the
latencies more than the CPU figures.
Figures are printed, not asserted.

On PostgreSQL with Redis given (`--redis`, default HALLQ_TEST_REDIS_URL) the cores share
the bus, so they hold the hall's picture as a production deployment of several processes
does, and one more row runs two `hallq serve` processes on the one database, wrk on each,
with the ratio of their rate to one process's. Beside it, the share of the machine's CPUs
left idle while one process ran (and while both did), and the ceiling that share sets:
two processes cannot go beyond the machine's CPUs over what one process's run kept busy
(the core, PostgreSQL, Redis and wrk all share this machine).
"""

from __future__ import annotations

import json
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx

from server.app import build_core
from server.auth import service as auth
from server.auth.security import hash_password
from server.halls import flows as hall_flows
from server.halls.schemas import HallConfig
from server.settings import Settings
from simulators.bench import harness, wrk

PASSWORD = "bench-password"
KIOSKS = 8
SERVICES = [f"S{i:02d}" for i in range(12)]


def bench_config(windows: int) -> HallConfig:
    """A hall open around the clock with `windows` any-matter windows and their staff."""
    digest = hash_password(PASSWORD)
    services = [{"code": code, "name": f"事项{i}", "prefix": chr(ord("A") + i % 8),
                 "domain": "D"} for i, code in enumerate(SERVICES)]
    return HallConfig.model_validate({
        "hall": {"code": "bench", "name": "基准测试大厅", "level": "city"},
        "hours": {d: ["00:00-24:00"] for d in ("mon", "tue", "wed", "thu", "fri", "sat",
                                               "sun")},
        "domains": [{"code": "D", "name": "综合"}],
        "services": services,
        "rules": {"daily_limit_per_person": 0, "issue_cutoff_min": 0},
        "windows": [{"number": str(i), "name": f"综合{i}", "kind": "any"}
                    for i in range(1, windows + 1)],
        "staff": [{"job_no": f"b{i}", "name": f"员工{i}", "roles": ["staff"],
                   "password_hash": digest} for i in range(1, windows + 1)],
    })


def prepare(url: str, windows: int) -> str:
    """Load the bench hall into the database at `url`; returns a kiosk device's token."""
    core = build_core(Settings(database_url=url, pepper="bench-pepper-0123456"))
    try:
        hall_flows.load(core, config=bench_config(windows))
        _, token = auth.register_device(core, hall="bench", name="kiosk", kind="kiosk")
    finally:
        core.db.dispose()
    return token


def load_client(job: dict[str, Any]) -> dict[str, Any]:
    """Run one job of `simulators.bench.load` in its own process."""
    done = subprocess.run([sys.executable, "-m", "simulators.bench.load"],
                          input=json.dumps(job), capture_output=True, text=True,
                          cwd=harness.ROOT, check=True)
    result: dict[str, Any] = json.loads(done.stdout)
    return result


@dataclass
class Row:
    """One line of the table: what was measured and its figures."""

    what: str
    per_s: float
    p50_ms: float
    p99_ms: float
    cpu_ms: float
    failed: int = 0
    # Of `cpu_ms`, the main thread's: the event loop (the rest is the writer's and the
    # other threads'). None where it is not measured (two processes).
    loop_ms: float | None = None
    # The share of the machine's CPUs (all of them: the core's, the database's, the
    # clients') left idle during the run; None where it is not measured.
    idle: float | None = None

    def line(self, floor_cpu_ms: float) -> str:
        """The line as printed, with the CPU ratio to the floor."""
        ratio = self.cpu_ms / floor_cpu_ms if floor_cpu_ms else 0.0
        failed = f"  ({self.failed} failed)" if self.failed else ""
        loop = f"  (loop {self.loop_ms:.2f})" if self.loop_ms is not None else ""
        return (f"  {self.what:44s} {self.per_s:8.0f}/s  p50 {self.p50_ms:7.2f} ms  "
                f"p99 {self.p99_ms:8.2f} ms  CPU {self.cpu_ms:6.2f} ms/op  "
                f"×{ratio:5.1f}{failed}{loop}")


def _wrk_row(what: str, server: harness.ServerProcess, url: str, *, clients: int,
             seconds: float, services: list[str], token: str | None = None) -> Row:
    cpu0, loop0, machine0 = server.cpu(), server.loop_cpu(), harness.machine_seconds()
    r = wrk.post(url, services=services, clients=clients, seconds=seconds, token=token)
    cpu, loop = server.cpu() - cpu0, server.loop_cpu() - loop0
    done = max(r.requests, 1)
    return Row(what, r.per_s, r.p50_ms, r.p99_ms, cpu * 1000 / done, r.errors,
               loop * 1000 / done, harness.idle_share(machine0, harness.machine_seconds()))


def floor_rows(seconds: float) -> list[Row]:
    """The floor app with one client and with eight."""
    with tempfile.TemporaryDirectory(prefix="hallq-floor-") as tmp:
        port = harness.free_port()
        with harness.server_process(
            ["-m", "uvicorn", "simulators.bench.floor:app", "--port", str(port),
             "--log-level", "warning", "--no-access-log"],
            {"HALLQ_FLOOR_DB": str(Path(tmp) / "floor.db")}, port,
        ) as server:
            url = f"{server.url}/insert"
            _wrk_row("warm-up", server, url, clients=1, seconds=1, services=SERVICES)
            return [_wrk_row("floor: one INSERT, 1 client", server, url, clients=1,
                             seconds=seconds, services=SERVICES),
                     _wrk_row(f"floor: one INSERT, {KIOSKS} clients", server, url,
                              clients=KIOSKS, seconds=seconds, services=SERVICES)]


def _sign_in(base: str, windows: int) -> list[list[str]]:
    out = []
    with httpx.Client(base_url=base, timeout=60) as http:
        for i in range(1, windows + 1):
            r = http.post("/api/v1/auth/token", data={"username": f"b{i}", "password": PASSWORD})
            r.raise_for_status()
            token = r.json()["access_token"]
            http.post(f"/api/v1/halls/bench/windows/{i}/sign-in", json={"post": "A"},
                      headers={"Authorization": f"Bearer {token}"}).raise_for_status()
            out.append([str(i), token])
    return out


def _load_row(what: str, server: harness.ServerProcess, job: dict[str, Any]) -> Row:
    cpu0, loop0 = server.cpu(), server.loop_cpu()
    r = load_client(job)
    cpu, loop = server.cpu() - cpu0, server.loop_cpu() - loop0
    lat = r["latencies"]
    done = max(len(lat), 1)
    return Row(what, len(lat) / r["seconds"], harness.median(lat) * 1000,
               harness.percentile(lat, 99) * 1000 if lat else 0.0,
               cpu * 1000 / done, r["failed"], loop * 1000 / done)


def core_rows(name: str, url: str, *, seconds: float, windows: int, deep: int,
              extra: list[str] | None = None, redis_url: str | None = None) -> Iterator[Row]:
    """Issue and call on one database: 1 and 8 kiosks, `windows` windows, a deep queue;
    with `redis_url` also 8 kiosks on each of two processes sharing the database."""
    env = {"HALLQ_REDIS_URL": redis_url} if redis_url else {}
    with harness.database(url) as database:
        token = prepare(database, windows)
        with harness.hallq_serve(database, env=env, extra=extra or []) as server:
            issue = f"{server.url}/api/v1/halls/bench/tickets"
            _wrk_row("warm-up", server, issue, clients=1, seconds=1, services=SERVICES,
                     token=token)
            yield (_wrk_row(f"{name}: issue, 1 kiosk", server, issue, clients=1,
                                 seconds=seconds, services=SERVICES, token=token))
            one = _wrk_row(f"{name}: issue, {KIOSKS} kiosks", server, issue,
                           clients=KIOSKS, seconds=seconds, services=SERVICES, token=token)
            yield one
            if redis_url:
                yield _two_processes(name, server, database, env, extra or [], token,
                                     seconds, one)
            desks = _sign_in(server.url, windows)
            yield (_load_row(f"{name}: call-next, {windows} windows", server,
                                  {"kind": "drain", "base": server.url, "hall": "bench",
                                   "windows": desks}))
            one_fill = {"kind": "fill", "base": server.url, "hall": "bench", "token": token,
                        "service": SERVICES[0], "count": 200, "clients": 1}
            yield (_load_row(f"{name}: issue, 1 kiosk, empty queue", server, one_fill))
            load_client({**one_fill, "count": deep, "clients": KIOSKS})
            yield (_load_row(f"{name}: issue, 1 kiosk, {deep:,} waiting", server, one_fill))
            # The counter's whole cycle on what waits now: call, start, finish (CPU and
            # latencies per action).
            yield (_load_row(f"{name}: call, start, finish, {windows} windows", server,
                             {"kind": "serve", "base": server.url, "hall": "bench",
                              "windows": desks}))


@dataclass
class PairRow(Row):
    """Two processes' row: also their rate's ratio to one process's."""

    vs_one: float = 0.0
    one_idle: float = 0.0  # the share of the CPUs one process's row left idle

    def line(self, floor_cpu_ms: float) -> str:
        """The row, the ratio of the rates, and the most two processes could reach on this
        machine: its CPUs over the share one process's row kept busy (the core, the
        database and the clients together), if nothing cost more per ticket."""
        ceiling = 1 / (1 - self.one_idle) if self.one_idle < 1 else float("inf")
        both = f", both {self.idle:.0%}" if self.idle is not None else ""
        return (f"{super().line(floor_cpu_ms)}  rate ×{self.vs_one:.2f} one process  "
                f"(CPUs idle: one process {self.one_idle:.0%}{both}; at most ×{ceiling:.2f})")


def _two_processes(name: str, first: harness.ServerProcess, database: str,
                   env: dict[str, str], extra: list[str], token: str, seconds: float,
                   one: Row) -> Row:
    """`KIOSKS` kiosks on each of two processes at once (the second started here, on the
    same database and bus); tickets spread over every service."""
    with harness.hallq_serve(database, env=env, extra=extra) as second:
        servers = [first, second]
        urls = [f"{s.url}/api/v1/halls/bench/tickets" for s in servers]
        wrk.post(urls[1], services=SERVICES, clients=1, seconds=1, token=token)  # warm-up
        cpu0, machine0 = [s.cpu() for s in servers], harness.machine_seconds()
        runs = wrk.post_at_once([(u, SERVICES) for u in urls], clients=KIOSKS,
                                seconds=seconds, token=token)
        cpu = sum(s.cpu() - c for s, c in zip(servers, cpu0, strict=True))
        idle = harness.idle_share(machine0, harness.machine_seconds())
    requests = sum(r.requests for r in runs)
    per_s = sum(r.per_s for r in runs)
    return PairRow(f"{name}: issue, {KIOSKS} kiosks, 2 processes", per_s,
                   max(r.p50_ms for r in runs), max(r.p99_ms for r in runs),
                   cpu * 1000 / max(requests, 1), sum(r.errors for r in runs), idle=idle,
                   vs_one=per_s / one.per_s if one.per_s else 0.0, one_idle=one.idle or 0.0)


def run_core_bench(urls: list[str], *, seconds: float, windows: int, deep: int,
                   redis_url: str | None = None) -> int:
    """Print the floor and, for every database, the core's figures and ratios."""
    if not wrk.available():
        print("hallq bench core: wrk is not installed (scripts/setup.sh installs it)",
              file=sys.stderr)
        return 2
    print(f"hallq bench core: one core process; clients in separate processes (wrk for "
          f"issue, {seconds:g} s per run; Python for the counters and the fills); CPU of the "
          "server process per request, its ratio to the floor's, and (loop …) the part of "
          "it spent on the process's main thread, the event loop")
    floor = floor_rows(seconds)
    for row in floor:
        print(row.line(floor[0].cpu_ms))
    for url in urls:
        name = "sqlite" if url.startswith("sqlite") else "postgresql"
        # Redis only where several processes share a database (SQLite: one process).
        shared = redis_url if name == "postgresql" else None
        for row in core_rows(name, url, seconds=seconds, windows=windows, deep=deep,
                             redis_url=shared):
            print(row.line(floor[0].cpu_ms), flush=True)
    return 0
