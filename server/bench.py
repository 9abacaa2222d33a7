"""`hallq bench core`: tickets issued per second and call-next latency, over HTTP.

A real core process (uvicorn) on the given database; concurrent kiosks issue tickets,
then every window calls until the queue is empty. Figures are printed, not asserted.
"""

from __future__ import annotations

import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import httpx
from sqlalchemy import create_engine, text

from server.app import build_core
from server.auth import service as auth
from server.auth.security import hash_password
from server.halls import flows as hall_flows
from server.halls.schemas import HallConfig
from server.settings import Settings

PASSWORD = "bench-password"
KIOSKS = 8


def bench_config(windows: int) -> HallConfig:
    """A hall open around the clock with `windows` any-matter windows and their staff."""
    digest = hash_password(PASSWORD)
    services = [{"code": f"S{i:02d}", "name": f"事项{i}", "prefix": chr(ord("A") + i % 8),
                 "domain": "D"} for i in range(12)]
    return HallConfig.model_validate({
        "hall": {"code": "bench", "name": "基准测试大厅", "level": "city"},
        "hours": {d: ["00:00-24:00"] for d in ("mon", "tue", "wed", "thu", "fri", "sat",
                                               "sun")},
        "domains": [{"code": "D", "name": "综合"}],
        "services": services,
        "windows": [{"number": str(i), "name": f"综合{i}", "kind": "any"}
                    for i in range(1, windows + 1)],
        "staff": [{"job_no": f"b{i}", "name": f"员工{i}", "roles": ["staff"],
                   "password_hash": digest} for i in range(1, windows + 1)],
    })


def _prepare(url: str, windows: int) -> tuple[str, str, Any]:
    """A fresh database at `url` with the bench hall; returns (url, kiosk token, cleanup)."""
    cleanup: Any = lambda: None  # noqa: E731
    if url == "sqlite":
        folder = tempfile.mkdtemp(prefix="hallq-bench-")
        url = f"sqlite:///{Path(folder) / 'bench.db'}"
    else:
        schema = f"bench_{uuid.uuid4().hex[:10]}"
        admin = create_engine(url)
        with admin.begin() as conn:
            conn.execute(text(f"CREATE SCHEMA {schema}"))

        def cleanup() -> None:
            with admin.begin() as conn:
                conn.execute(text(f"DROP SCHEMA {schema} CASCADE"))
            admin.dispose()

        url = f"{url}{'&' if '?' in url else '?'}options=-csearch_path%3D{schema}"
    core = build_core(Settings(database_url=url, pepper="bench-pepper"))
    hall_flows.load(core, config=bench_config(windows))
    _, token = auth.register_device(core, hall="bench", name="kiosk", kind="kiosk")
    core.db.dispose()
    return url, token, cleanup


def _pct(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1)))]


def _start_server(url: str) -> tuple[subprocess.Popen[bytes], str]:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    env = {**os.environ, "HALLQ_DATABASE_URL": url, "HALLQ_PEPPER": "bench-pepper"}
    env.pop("HALLQ_REDIS_URL", None)
    proc = subprocess.Popen([sys.executable, "-m", "uvicorn", "server.asgi:app", "--port",
                             str(port), "--log-level", "warning"], env=env)
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"{base}/api/v1/health", timeout=1).status_code == 200:
                return proc, base
        except httpx.HTTPError:
            time.sleep(0.2)
    proc.terminate()
    raise RuntimeError("the core did not start")


def bench_one(url: str, *, tickets: int, windows: int) -> dict[str, float]:
    """Run the benchmark on one database and return its figures."""
    url, kiosk_token, cleanup = _prepare(url, windows)
    proc, base = _start_server(url)
    try:
        kiosk = {"Authorization": f"Bearer {kiosk_token}"}
        clients = [httpx.Client(base_url=base, timeout=30) for _ in range(max(KIOSKS, windows))]

        def issue(i: int) -> float:
            t0 = time.perf_counter()
            r = clients[i % KIOSKS].post("/api/v1/halls/bench/tickets",
                                         json={"service": f"S{i % 12:02d}"}, headers=kiosk)
            if r.status_code != 201:
                raise RuntimeError(f"issue failed: {r.status_code} {r.text}")
            return time.perf_counter() - t0

        start = time.perf_counter()
        with ThreadPoolExecutor(KIOSKS) as pool:
            issue_lat = list(pool.map(issue, range(tickets)))
        issue_s = time.perf_counter() - start

        headers = []
        for i in range(1, windows + 1):
            r = clients[0].post("/api/v1/auth/token",
                                data={"username": f"b{i}", "password": PASSWORD})
            h = {"Authorization": f"Bearer {r.json()['access_token']}"}
            clients[0].post(f"/api/v1/halls/bench/windows/{i}/sign-in", json={"post": "A"},
                            headers=h)
            headers.append(h)

        def drain(i: int) -> list[float]:
            lat = []
            while True:
                t0 = time.perf_counter()
                r = clients[i - 1].post(f"/api/v1/halls/bench/windows/{i}/call-next",
                                        headers=headers[i - 1])
                lat.append(time.perf_counter() - t0)
                if r.status_code == 204:
                    return lat[:-1]
                if r.status_code != 200:
                    raise RuntimeError(f"call failed: {r.status_code} {r.text}")

        start = time.perf_counter()
        with ThreadPoolExecutor(windows) as pool:
            call_lat = [x for lat in pool.map(drain, range(1, windows + 1)) for x in lat]
        call_s = time.perf_counter() - start
        for c in clients:
            c.close()
    finally:
        proc.terminate()
        proc.wait(timeout=10)
        cleanup()
    return {
        "issued_per_s": tickets / issue_s,
        "issue_p50_ms": statistics.median(issue_lat) * 1000,
        "issue_p99_ms": _pct(issue_lat, 99) * 1000,
        "calls": len(call_lat),
        "calls_per_s": len(call_lat) / call_s,
        "call_p50_ms": statistics.median(call_lat) * 1000,
        "call_p99_ms": _pct(call_lat, 99) * 1000,
    }


def run_core_bench(urls: list[str], *, tickets: int, windows: int) -> int:
    """Print the figures for every database URL."""
    print(f"hallq bench core: {tickets} tickets from {KIOSKS} concurrent kiosks, then "
          f"{windows} windows calling concurrently (one core process, HTTP on loopback)")
    for url in urls:
        name = "sqlite" if url == "sqlite" or url.startswith("sqlite") else "postgresql"
        r = bench_one(url, tickets=tickets, windows=windows)
        print(f"  {name:10s} issue {r['issued_per_s']:7.1f} tickets/s "
              f"(p50 {r['issue_p50_ms']:.1f} ms, p99 {r['issue_p99_ms']:.1f} ms) | "
              f"call-next p50 {r['call_p50_ms']:.1f} ms, p99 {r['call_p99_ms']:.1f} ms, "
              f"{r['calls_per_s']:.1f} calls/s over {int(r['calls'])} calls")
    return 0
