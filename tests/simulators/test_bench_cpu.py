"""The CPU figures of `hallq bench core`: a process's, and its main thread's (the loop)."""

from __future__ import annotations

import os
import threading
import time

from simulators.bench import harness
from simulators.bench.core import Row


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
