"""`python -m simulators.bench.pair`: where the machine's CPU goes with one core process
and with two (issue 11's ×1.4)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from simulators.bench import harness, pair, wrk
from tests.conftest import postgres_base_url, redis_url


def _stat(pid: int, name: str, utime: int, stime: int) -> str:
    # pid (comm) state ppid … : utime and stime are the 12th and 13th fields after ")"
    after = ["S", *["0"] * 10, str(utime), str(stime), *["0"] * 7]
    return f"{pid} ({name}) {' '.join(after)}\n"


def test_processes_are_counted_by_name(tmp_path: Path) -> None:
    for pid, name, utime, stime in [(11, "postgres", 300, 100), (12, "postgres: walwriter", 50, 50),
                                    (13, "python3", 900, 0), (14, "wrk", 70, 0)]:
        (tmp_path / str(pid)).mkdir()
        (tmp_path / str(pid) / "stat").write_text(_stat(pid, name, utime, stime))
    (tmp_path / "self").mkdir()  # not a process number: not read
    ticks = harness.CLOCK_TICKS
    assert pair.named_seconds("postgres", tmp_path) == 500 / ticks
    assert pair.named_seconds("wrk", tmp_path) == 70 / ticks
    assert pair.named_seconds("redis", tmp_path) == 0.0


def test_this_process_is_among_those_of_its_name() -> None:
    name = Path("/proc/self/comm").read_text().strip()
    own = harness.cpu_seconds(os.getpid())
    assert pair.named_seconds(name) >= own > 0


def test_a_run_is_printed_with_its_ceiling() -> None:
    one = pair.Share("one", 1900.0, 0.475, 0.039, 0.209, 0.057, 0.23)
    assert one.line() == ("  one    1900/s  CPU per ticket: cores 0.475 + 0.039, PostgreSQL "
                          "0.209, the rest 0.057 ms; CPUs idle 23%; at most ×1.30")
    two = pair.Share("two", 2100.0, 0.315, 0.293, 0.248, 0.095, 0.0)
    assert two.line().endswith("CPUs idle 0%")


def test_one_process_then_two_on_postgres_and_redis() -> None:
    if not wrk.available():
        pytest.fail("wrk is not installed: run `make test` (scripts/setup.sh --test installs it)")
    shares = list(pair.run(postgres_base_url(), redis_url(), seconds=0.5, kiosks=2, rounds=1,
                           split=True))
    assert [s.mode for s in shares] == ["one", "two"]
    one, two = shares
    assert one.per_s > 0 and two.per_s > 0
    assert one.first_ms > 0 and one.postgres_ms > 0  # the first issued, PostgreSQL wrote
    assert two.first_ms > 0 and two.second_ms > 0  # both issued
    assert all(0.0 <= s.idle <= 1.0 for s in shares)
