"""Start a real core (`hallq serve`) on its own database with a scaled clock, like the benches."""

from __future__ import annotations

import contextlib
import os
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

import httpx
from argon2 import PasswordHasher

from server.app import build_core
from server.halls import flows as hall_flows
from server.halls.schemas import HallConfig
from server.settings import Settings

ROOT = Path(__file__).resolve().parents[2]
PEPPER = "crowd-sim-pepper"


@dataclass
class CoreProcess:
    """A running core: its URL, process and the file its stderr goes to."""

    url: str
    proc: subprocess.Popen[bytes]
    log_path: Path

    def rss_kb(self) -> int | None:
        """The core process's resident memory in kB, from /proc (None when gone)."""
        try:
            for line in Path(f"/proc/{self.proc.pid}/status").read_text().splitlines():
                if line.startswith("VmRSS:"):
                    return int(line.split()[1])
        except OSError:
            return None
        return None

    def log_text(self) -> str:
        """Everything the core wrote to stderr so far."""
        return self.log_path.read_text(encoding="utf-8", errors="replace")


def with_passwords(config: HallConfig, password: str) -> HallConfig:
    """The configuration with `password` for every account that has none (hashed once).

    A cheap argon2 hash: simulation accounts log in by the hundred on a loaded machine.
    """
    digest = PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1).hash(password)
    staff = [s if (s.password or s.password_hash)
             else s.model_copy(update={"password_hash": digest}) for s in config.staff]
    return config.model_copy(update={"staff": staff})


def provision(database: str, config: HallConfig) -> None:
    """`hallq load` the hall into the database before the core starts (the install step)."""
    core = build_core(Settings(database_url=database, pepper=PEPPER))
    try:
        hall_flows.load(core, config=config)
    finally:
        core.db.dispose()


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextlib.contextmanager
def running_core(database: str, *, speed: float, start: datetime,
                 log_dir: Path | None = None,
                 env: dict[str, str] | None = None) -> Iterator[CoreProcess]:
    """Run `hallq serve --speed --start` on `database` until the block ends (with `env`)."""
    port = _free_port()
    folder = log_dir or Path(tempfile.mkdtemp(prefix="hallq-sim-"))
    log_path = folder / "core.log"
    env = {**os.environ, "HALLQ_PEPPER": PEPPER, "HALLQ_REDIS_URL": "", **(env or {})}
    with log_path.open("wb") as log:
        proc = subprocess.Popen(
            [sys.executable, "-m", "server.cli", "serve", "--port", str(port), "--database",
             database, "--speed", str(speed), "--start", start.isoformat()],
            cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)
        core = CoreProcess(f"http://127.0.0.1:{port}", proc, log_path)
        try:
            deadline = time.monotonic() + 120  # a loaded machine imports slowly
            while True:
                with contextlib.suppress(httpx.HTTPError):
                    if httpx.get(f"{core.url}/api/v1/health", timeout=1).status_code == 200:
                        break
                if proc.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError(f"hallq serve did not start:\n{core.log_text()[-1500:]}")
                time.sleep(0.1)
            yield core
        finally:
            proc.terminate()
            try:
                proc.wait(15)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait(5)
