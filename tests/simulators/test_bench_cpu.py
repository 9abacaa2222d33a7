"""The CPU figures of `hallq bench core`: a process's, and its main thread's (the loop)."""

from __future__ import annotations

import os
import threading
import time

from simulators.bench import harness
from simulators.bench.core import PairRow, Row


def _spin(seconds: float) -> None:
    end = time.thread_time() + seconds  # this thread's own CPU time
    while time.thread_time() < end:
        pass


def test_the_main_threads_share_is_told_apart_from_the_other_threads() -> None:
    pid = os.getpid()
    total0, main0 = harness.cpu_seconds(pid), harness.main_thread_seconds(pid)
    _spin(0.3)  # here, on the main thread
    worker = threading.Thread(target=_spin, args=(0.6,))
    worker.start()
    worker.join()
    total = harness.cpu_seconds(pid) - total0
    main = harness.main_thread_seconds(pid) - main0
    assert 0.2 <= main <= 0.6, main  # the main thread's spin, not the worker's
    assert total >= main + 0.3, (total, main)  # the worker's 0.6 s counts in the total


def test_a_row_prints_the_loops_part() -> None:
    row = Row("sqlite: issue, 8 kiosks", 900.0, 8.0, 14.0, 1.2, 0, 0.35)
    assert row.line(0.2).endswith("×  6.0  (loop 0.35)")
    assert "(loop" not in Row("two processes", 1.0, 1.0, 1.0, 1.0).line(1.0)


# /proc/stat's first line: user nice system idle iowait irq softirq steal guest guest_nice
_STAT = "cpu  700 100 200 800 200 0 0 0 50 0\ncpu0 350 50 100 400 100 0 0 0 25 0\n"


def test_the_machines_idle_time_counts_iowait_and_leaves_guest_time_out() -> None:
    total, idle = harness.machine_seconds(_STAT)
    ticks = harness.CLOCK_TICKS
    assert (total, idle) == (2000 / ticks, 1000 / ticks)  # guest is within user already
    later = harness.machine_seconds(_STAT.replace("cpu  700 100 200 800", "cpu  1700 100 200 1050"))
    assert harness.idle_share((total, idle), later) == 0.2  # 250 idle of 1,250 ticks
    assert harness.idle_share(later, later) == 0.0


def test_the_machine_is_read_live() -> None:
    before = harness.machine_seconds()
    _spin(0.2)
    after = harness.machine_seconds()
    assert after[0] - before[0] >= 0.15  # this process's 0.2 s are in the machine's time
    assert 0.0 <= harness.idle_share(before, after) < 1.0


def test_the_pair_row_tells_the_ceiling_one_process_leaves() -> None:
    row = PairRow("postgresql: issue, 8 kiosks, 2 processes", 1400.0, 11.0, 35.0, 0.9,
                  idle=0.01, vs_one=1.04, one_idle=0.25)
    assert row.line(0.2).endswith(
        "rate ×1.04 one process  (CPUs idle: one process 25%, both 1%; at most ×1.33)")
