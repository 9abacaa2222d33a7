"""Each core process on a CPU of its own (`server.cpu`, HALLQ_CPU)."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest
from pydantic import ValidationError

from server import cpu
from server.settings import Settings
from tests.events.live import free_port

ROOT = Path(__file__).resolve().parents[2]
ALLOWED = sorted(os.sched_getaffinity(0))
# These tests bind processes of their own, never pytest's.
needs_two = pytest.mark.skipif(len(ALLOWED) < 2, reason="binding needs at least two CPUs")

# A child that starts a thread, applies HALLQ_CPU, starts another, and reports the CPUs
# each of its threads may run on; it keeps its claim until told to go (stdin closes).
_CHILD = """
import json, os, sys, threading
from pathlib import Path
from server import cpu
stop = threading.Event()
early = threading.Thread(target=stop.wait); early.start()
chosen = cpu.pin(sys.argv[1], Path(sys.argv[2]))
late = threading.Thread(target=stop.wait); late.start()
masks = {t: sorted(os.sched_getaffinity(int(t))) for t in os.listdir("/proc/self/task")}
print(json.dumps({"cpu": chosen, "masks": sorted(masks.values())}), flush=True)
sys.stdin.read()
stop.set()
"""


def _child(setting: str, folder: Path) -> tuple[subprocess.Popen[str], dict[str, object]]:
    proc = subprocess.Popen([sys.executable, "-c", _CHILD, setting, str(folder)], cwd=ROOT,
                            stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    assert proc.stdout is not None
    line = proc.stdout.readline()
    assert line, "the child said nothing"
    return proc, json.loads(line)


def _end(proc: subprocess.Popen[str]) -> None:
    assert proc.stdin is not None
    proc.stdin.close()
    proc.wait(10)


def test_the_setting_is_auto_off_or_a_cpu_number() -> None:
    assert cpu.parse("auto") == "auto" and cpu.parse(" OFF ") == "off"
    assert cpu.parse("3") == 3
    for bad in ("", "-1", "1,2", "fast"):
        with pytest.raises(ValueError, match="HALLQ_CPU"):
            cpu.parse(bad)
    with pytest.raises(ValidationError, match="HALLQ_CPU"):
        Settings(cpu="all")


@needs_two
def test_every_thread_runs_on_the_cpu_claimed_and_the_next_process_gets_another(
        tmp_path: Path) -> None:
    first, seen = _child("auto", tmp_path)
    try:
        assert seen["cpu"] == ALLOWED[0]
        # The thread started before the binding and the one started after it alike.
        assert seen["masks"] == [[ALLOWED[0]]] * 3
        second, other = _child("auto", tmp_path)
        _end(second)
        assert other["cpu"] == ALLOWED[1] and other["masks"] == [[ALLOWED[1]]] * 3
    finally:
        _end(first)


@needs_two
def test_a_claim_ends_with_its_process_even_killed(tmp_path: Path) -> None:
    holders = [_child("auto", tmp_path) for _ in ALLOWED]
    try:
        assert sorted(seen["cpu"] for _, seen in holders) == ALLOWED  # type: ignore[type-var]
        extra, seen = _child("auto", tmp_path)  # every CPU held: this one runs anywhere
        _end(extra)
        assert seen["cpu"] is None and seen["masks"] == [ALLOWED] * 3
        killed, killed_seen = holders.pop(0)
        killed.send_signal(signal.SIGKILL)
        killed.wait(10)
        again, seen = _child("auto", tmp_path)
        _end(again)
        assert seen["cpu"] == killed_seen["cpu"]
    finally:
        for proc, _ in holders:
            _end(proc)


@needs_two
def test_off_leaves_the_process_anywhere_and_a_number_names_the_cpu(tmp_path: Path) -> None:
    off, seen = _child("off", tmp_path)
    _end(off)
    assert seen["cpu"] is None and seen["masks"] == [ALLOWED] * 3
    named, seen = _child(str(ALLOWED[-1]), tmp_path)
    try:
        assert seen["cpu"] == ALLOWED[-1] and seen["masks"] == [[ALLOWED[-1]]] * 3
        # A CPU named is claimed too: an `auto` process keeps off it.
        auto, seen = _child("auto", tmp_path)
        _end(auto)
        assert seen["cpu"] == ALLOWED[0]
    finally:
        _end(named)
    with pytest.raises(ValueError, match="may use CPUs"):
        cpu.pin(str(max(ALLOWED) + 1000), tmp_path)


def _threads_cpus(pid: int) -> set[str]:
    out = set()
    for task in Path(f"/proc/{pid}/task").iterdir():
        for line in (task / "status").read_text().splitlines():
            if line.startswith("Cpus_allowed_list:"):
                out.add(line.split(":", 1)[1].strip())
    return out


@needs_two
def test_two_hallq_serve_processes_run_on_two_cpus(tmp_path: Path) -> None:
    """The real entry point: each `hallq serve` binds itself, all its threads, apart."""
    env = {**os.environ, "TMPDIR": str(tmp_path), "HALLQ_REDIS_URL": "", "HALLQ_CPU": "auto",
           "HALLQ_PEPPER": "cpu-test-pepper-0123456789"}
    ports = [free_port(), free_port()]
    procs = [subprocess.Popen([sys.executable, "-m", "server.cli", "serve", "--port", str(p),
                               "--database", f"sqlite:///{tmp_path / f'{p}.db'}",
                               "--log-level", "warning"], cwd=ROOT, env=env)
             for p in ports]
    try:
        for port in ports:
            deadline = time.monotonic() + 60
            while True:
                try:
                    if httpx.get(f"http://127.0.0.1:{port}/api/v1/health").status_code == 200:
                        break
                except httpx.TransportError:
                    pass
                assert time.monotonic() < deadline, "hallq serve did not start"
                time.sleep(0.2)
        cpus = [_threads_cpus(p.pid) for p in procs]
        assert all(len(c) == 1 for c in cpus), cpus
        assert cpus[0] != cpus[1] and cpus[0] | cpus[1] <= {str(c) for c in ALLOWED}
    finally:
        for proc in procs:
            proc.terminate()
            proc.wait(20)


def test_hallq_serve_refuses_a_cpu_that_is_not_one(capsys: pytest.CaptureFixture[str]) -> None:
    from server.cli import main

    assert main(["serve", "--cpu", "fast"]) == 2
    assert "HALLQ_CPU must be auto, off or a CPU number" in capsys.readouterr().err
    assert main(["serve", "--cpu", str(max(ALLOWED) + 1000)]) == 2
    assert "this process may use CPUs" in capsys.readouterr().err
