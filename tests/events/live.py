"""Real servers for websocket tests: uvicorn in a thread, or `hallq serve` in a process."""

from __future__ import annotations

import asyncio
import json
import os
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx
import uvicorn
from starlette.types import ASGIApp
from websockets.asyncio.client import ClientConnection

from server import serving
from server.auth import service as auth
from server.core import Core
from server.halls import flows as hall_flows
from tests.factories import hall_config

ROOT = Path(__file__).resolve().parent.parent.parent
# Open all day, every day: processes started by tests run on the wall clock.
ALL_DAY = {d: ["00:00-23:59"] for d in ("mon", "tue", "wed", "thu", "fri", "sat", "sun")}
SCREEN_TOKEN = "test-screen-token"


def free_port() -> int:
    """A TCP port nobody listens on right now."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextmanager
def serve_in_thread(app: ASGIApp, ws: str = "auto",
                    http: Any = serving.HTTP_PROTOCOL) -> Iterator[str]:
    """Run `app` on uvicorn (websocket protocol `ws`, HTTP protocol `http`: as `hallq
    serve` runs it) in a thread; yields its base URL."""
    port = free_port()
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, ws=ws, http=http,
                                           log_level="warning", ws_ping_interval=None))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started:
        if time.monotonic() > deadline or not thread.is_alive():
            raise RuntimeError("uvicorn did not start")
        time.sleep(0.02)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(10)


def all_day_hall(core: Core) -> None:
    """Load the test hall open around the clock and register a screen token."""
    hall_flows.load(core, config=hall_config(hours=ALL_DAY, calendar=[],
                                             rules={"issue_cutoff_min": 0}))
    auth.register_device(core, hall="h1", name="screen", kind="screen", token=SCREEN_TOKEN)


class ServerProcess:
    """`hallq serve` in a subprocess, stoppable and restartable on the same port."""

    def __init__(self, database: str, *, port: int | None = None,
                 env: dict[str, str] | None = None, workers: int = 1) -> None:
        self.database = database
        self.workers = workers
        self.port = port or free_port()
        self.env = {**os.environ, "HALLQ_PEPPER": "test-pepper-not-secret", **(env or {})}
        self.proc: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        """Base HTTP URL."""
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> ServerProcess:
        """Start and wait until /api/v1/health answers."""
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "server.cli", "serve", "--port", str(self.port),
             "--database", self.database, "--workers", str(self.workers)], cwd=ROOT,
            env=self.env,
            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        deadline = time.monotonic() + 120  # readiness on a loaded machine
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                err = self.proc.stderr.read().decode() if self.proc.stderr else ""
                raise RuntimeError(f"hallq serve exited: {err[-2000:]}")
            try:
                if httpx.get(f"{self.url}/api/v1/health", timeout=1).status_code == 200:
                    return self
            except httpx.HTTPError:
                pass
            time.sleep(0.1)
        raise RuntimeError("hallq serve did not answer within 120 s")

    def stop(self) -> None:
        """Stop the process (SIGTERM, then SIGKILL)."""
        if self.proc is None:
            return
        self.proc.terminate()
        try:
            self.proc.wait(10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait(5)
        self.proc = None


def ws_url(base: str, path: str) -> str:
    """ws:// URL for a path on a server."""
    return base.replace("http://", "ws://", 1) + path


async def next_message(ws: ClientConnection, kind: str, timeout: float = 5.0,
                       **match: Any) -> dict[str, Any]:
    """The next message of a type (and matching fields), skipping others; fails on timeout."""
    async def find() -> dict[str, Any]:
        while True:
            message: dict[str, Any] = json.loads(await ws.recv())
            if message.get("type") == kind and all(message.get(k) == v
                                                    for k, v in match.items()):
                return message
    return await asyncio.wait_for(find(), timeout)


async def login(http: httpx.AsyncClient, job_no: str, password: str) -> dict[str, str]:
    """Log in; returns the Authorization header."""
    r = await http.post("/api/v1/auth/token", data={"username": job_no, "password": password})
    assert r.status_code == 200, r.text
    return {"Authorization": f"Bearer {r.json()['access_token']}"}
