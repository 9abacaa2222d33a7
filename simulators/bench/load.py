"""A load client in its own process: fill a queue, or drain it from many windows at once
(calling only, or serving each ticket called).

`python -m simulators.bench.load` reads one JSON job on stdin and writes its figures as
JSON on stdout, so the benchmark's clients never share a process (or the GIL) with the
core. Plain `http.client` on keep-alive connections: the cheapest Python client.
"""

from __future__ import annotations

import http.client
import json
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from typing import Any
from urllib.parse import urlsplit


def _connection(base: str) -> http.client.HTTPConnection:
    parts = urlsplit(base)
    return http.client.HTTPConnection(parts.hostname or "127.0.0.1", parts.port, timeout=60)


def _post(conn: http.client.HTTPConnection, path: str, token: str,
          body: dict[str, Any] | None = None) -> tuple[int, bytes]:
    data = json.dumps(body).encode() if body is not None else b""
    conn.request("POST", path, body=data, headers={
        "Authorization": f"Bearer {token}", "Content-Type": "application/json"})
    response = conn.getresponse()
    return response.status, response.read()


def fill(base: str, *, hall: str, token: str, service: str, count: int,
         clients: int) -> dict[str, Any]:
    """Issue `count` tickets for one service from `clients` kiosks."""
    def kiosk(n: int) -> tuple[list[float], int]:
        conn, lat, failed = _connection(base), [], 0
        for _ in range(n):
            t0 = time.perf_counter()
            status, _body = _post(conn, f"/api/v1/halls/{hall}/tickets", token,
                                  {"service": service})
            if status == 201:
                lat.append(time.perf_counter() - t0)
            else:
                failed += 1
        conn.close()
        return lat, failed

    shares = [count // clients + (i < count % clients) for i in range(clients)]
    t0 = time.perf_counter()
    with ThreadPoolExecutor(clients) as pool:
        results = list(pool.map(kiosk, shares))
    return {"latencies": [x for lat, _ in results for x in lat],
            "failed": sum(f for _, f in results), "seconds": time.perf_counter() - t0}


def drain(base: str, *, hall: str, windows: list[list[str]],
          serve: bool = False) -> dict[str, Any]:
    """Every window ([number, token]) calls next until nothing waits; the latencies in s.

    Without `serve` a window calls on past its last call (confirming its 过号), and only
    the calls are timed; with it, each ticket called is served (start, then finish) and
    every action is timed."""
    def window(entry: list[str]) -> tuple[list[float], int]:
        number, token = entry
        at = f"/api/v1/halls/{hall}/windows/{number}"
        conn, lat, failed = _connection(base), [], 0
        while failed <= 50:
            t0 = time.perf_counter()
            # Calling on without answering the last call confirms its 过号.
            status, _body = _post(conn, f"{at}/call-next", token, {"confirm_no_show": True})
            if status == 204:
                break
            if status != 200:
                failed += 1
                continue
            lat.append(time.perf_counter() - t0)
            for action, body in (("start", None), ("finish", {"outcome": "completed"})
                                 ) if serve else ():
                t0 = time.perf_counter()
                status, _body = _post(conn, f"{at}/{action}", token, body)
                if status == 200:
                    lat.append(time.perf_counter() - t0)
                else:
                    failed += 1
        conn.close()
        return lat, failed

    t0 = time.perf_counter()
    with ThreadPoolExecutor(len(windows)) as pool:
        results = list(pool.map(window, windows))
    seconds = time.perf_counter() - t0
    return {"latencies": [x for lat, _ in results for x in lat],
            "failed": sum(f for _, f in results), "seconds": seconds}


def run(job: dict[str, Any]) -> dict[str, Any]:
    """Run one job: {"kind": "fill" | "drain" | "serve", …}."""
    kind = job.pop("kind")
    return fill(**job) if kind == "fill" else drain(**job, serve=kind == "serve")


if __name__ == "__main__":
    json.dump(run(json.load(sys.stdin)), sys.stdout)
