"""What the benchmarks share: free ports, server processes, CPU time, PostgreSQL schemas."""

from __future__ import annotations

import contextlib
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

import httpx
from sqlalchemy import create_engine, text

ROOT = Path(__file__).resolve().parents[2]
CLOCK_TICKS = os.sysconf("SC_CLK_TCK")


def free_port() -> int:
    """A TCP port nobody listens on now."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def cpu_seconds(pid: int) -> float:
    """User plus system CPU time a process has used so far, from /proc."""
    return cpu_seconds_of(Path(f"/proc/{pid}/stat"))


def main_thread_seconds(pid: int) -> float:
    """CPU time of a process's main thread (a core's event loop) so far, from /proc."""
    return cpu_seconds_of(Path(f"/proc/{pid}/task/{pid}/stat"))


def cpu_seconds_of(stat: Path) -> float:
    """User plus system CPU time from a /proc `stat` file (of a process or a thread)."""
    fields = stat.read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / CLOCK_TICKS


def machine_seconds(stat: str | None = None) -> tuple[float, float]:
    """CPU seconds the whole machine has had so far, over all its CPUs, and of them the
    idle ones (idle and iowait), from /proc/stat's first line (or `stat`, its text).
    Guest time is left out: the kernel counts it in user time already."""
    if stat is None:
        stat = Path("/proc/stat").read_text()
    fields = [int(f) for f in stat.split("\n", 1)[0].split()[1:9]]
    # user nice system idle iowait irq softirq steal
    return sum(fields) / CLOCK_TICKS, (fields[3] + fields[4]) / CLOCK_TICKS


def idle_share(before: tuple[float, float], after: tuple[float, float]) -> float:
    """The share of the machine's CPU time that went idle between two readings of
    `machine_seconds`."""
    total = after[0] - before[0]
    return (after[1] - before[1]) / total if total > 0 else 0.0


def percentile(values: Sequence[float], p: float) -> float:
    """The p-th percentile (nearest rank) of some values."""
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1)))]


def median(values: Sequence[float]) -> float:
    """The median, 0 for no values."""
    return statistics.median(values) if values else 0.0


@dataclass
class ServerProcess:
    """A server started by a benchmark: its URL and process."""

    url: str
    proc: subprocess.Popen[bytes]

    def cpu(self) -> float:
        """CPU seconds the server process has used so far."""
        return cpu_seconds(self.proc.pid)

    def loop_cpu(self) -> float:
        """CPU seconds its main thread (the event loop) has used so far; the rest is the
        writer's and the other threads'."""
        return main_thread_seconds(self.proc.pid)


@contextlib.contextmanager
def server_process(argv: list[str], env: dict[str, str], port: int,
                   health: str = "/api/v1/health") -> Iterator[ServerProcess]:
    """Run `python argv…` (listening on `port`) until the block ends."""
    url = f"http://127.0.0.1:{port}"
    with tempfile.TemporaryFile() as errors:
        proc = subprocess.Popen([sys.executable, *argv], cwd=ROOT, env={**os.environ, **env},
                                stdout=subprocess.DEVNULL, stderr=errors)
        try:
            deadline = time.monotonic() + 180  # a loaded machine starts a core slowly
            while True:
                with contextlib.suppress(httpx.HTTPError):
                    if httpx.get(f"{url}{health}", timeout=1).status_code == 200:
                        break
                if proc.poll() is not None or time.monotonic() > deadline:
                    errors.seek(0)
                    tail = errors.read().decode(errors="replace")[-1500:]
                    raise RuntimeError(f"{' '.join(argv)} did not start:\n{tail}")
                time.sleep(0.1)
            yield ServerProcess(url, proc)
        finally:
            proc.terminate()
            try:
                proc.wait(15)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait(5)


@contextlib.contextmanager
def hallq_serve(database: str, env: dict[str, str] | None = None,
                extra: Sequence[str] = ()) -> Iterator[ServerProcess]:
    """A `hallq serve` process on `database`."""
    port = free_port()
    with server_process(
        ["-m", "server.cli", "serve", "--port", str(port), "--database", database,
         "--log-level", os.environ.get("BENCH_LOG", "warning"), *extra],
        {"HALLQ_PEPPER": "bench-pepper-0123456", "HALLQ_REDIS_URL": "", **(env or {})}, port,
    ) as server:
        yield server


@contextlib.contextmanager
def postgres_schema(base: str) -> Iterator[str]:
    """A fresh schema in the PostgreSQL database at `base`; yields a URL that uses it."""
    schema = f"bench_{uuid.uuid4().hex[:10]}"
    admin = create_engine(base)
    with admin.begin() as conn:
        conn.execute(text(f"CREATE SCHEMA {schema}"))
    sep = "&" if "?" in base else "?"
    try:
        yield f"{base}{sep}options=-csearch_path%3D{schema}"
    finally:
        with admin.begin() as conn:
            conn.execute(text(f"DROP SCHEMA {schema} CASCADE"))
        admin.dispose()


@contextlib.contextmanager
def database(url: str) -> Iterator[str]:
    """`sqlite` (a temporary file) or a PostgreSQL URL (a temporary schema in it)."""
    if url == "sqlite":
        with tempfile.TemporaryDirectory(prefix="hallq-bench-") as folder:
            yield f"sqlite:///{Path(folder) / 'bench.db'}"
    else:
        with postgres_schema(url) as scoped:
            yield scoped
