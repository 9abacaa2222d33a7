"""`hallq bench day`: the soak test — a city-hall day at high speed with 200 screens.

Checks, printed at the end: every ticket issued is accounted for (served, no-show or
cancelled with a reason, as the core itself says), every call reached every screen that
shows it, no 5xx answer, no exception in the core's log, and the core's memory stays flat.
"""

from __future__ import annotations

import asyncio
import re
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

from simulators.crowd.core_process import CoreProcess, provision, running_core, with_passwords
from simulators.crowd.report import accounted, text_report
from simulators.crowd.runner import Options
from simulators.crowd.scenario import load_scenario
from simulators.crowd.simulate import play, progress_bar, start_of

HALL_SCREEN_SHARE = 0.1
TRACEBACK = re.compile(r"Traceback|^ERROR|Exception in ASGI", re.MULTILINE)


class MemorySampler:
    """Samples a process's RSS from /proc every `every` seconds, on a thread."""

    def __init__(self, core: CoreProcess, every: float = 2.0) -> None:
        self.core, self.every = core, every
        self.samples: list[tuple[float, int]] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def __enter__(self) -> MemorySampler:
        self._thread.start()
        return self

    def __exit__(self, *_: object) -> None:
        self._stop.set()
        self._thread.join()

    def _run(self) -> None:
        t0 = time.monotonic()
        while not self._stop.wait(self.every):
            rss = self.core.rss_kb()
            if rss is not None:
                self.samples.append((time.monotonic() - t0, rss))


def memory_verdict(samples: list[tuple[float, int]], tolerance: float = 0.25) -> dict[str, Any]:
    """Flat: the last quarter's median RSS within `tolerance` of the second quarter's.

    The first quarter is the warm-up (caches, connection pools, screens connecting).
    """
    values = [kb for _, kb in samples]
    if len(values) < 8:
        return {"flat": False, "reason": "too few samples", "samples": len(values)}
    q = len(values) // 4
    early = sorted(values[q:2 * q])[len(values[q:2 * q]) // 2]
    late = sorted(values[-q:])[len(values[-q:]) // 2]
    growth = (late - early) / early
    return {"flat": growth <= tolerance, "early_mb": early / 1024, "late_mb": late / 1024,
            "max_mb": max(values) / 1024, "growth": growth, "samples": len(values)}


def run_day_bench(*, scenario: str = "city", speed: float = 80, screens: int = 200,
                  database: str | None = None, citizens: int | None = None) -> int:
    """Run the soak and print its checks; 0 when every check passes."""
    sc = load_scenario(scenario, citizens=citizens)
    hall_screens = max(1, round(screens * HALL_SCREEN_SHARE))
    options = Options(speed=speed, hall_screens=hall_screens,
                      window_screens=screens - hall_screens, progress=progress_bar(),
                      max_wall_s=6 * 3600)
    print(f"hallq bench day: scenario {sc.name} ({sc.tickets} citizens, "
          f"{len(sc.hall_config().windows)} windows) at ×{speed:g}, {screens} screens "
          f"({hall_screens} hall screens, {screens - hall_screens} window screens)", flush=True)
    folder = Path(tempfile.mkdtemp(prefix="hallq-bench-day-"))
    database = database or f"sqlite:///{folder / 'day.db'}"
    provision(database, with_passwords(sc.hall_config(), sc.password))
    t0 = time.monotonic()
    with running_core(database, speed=speed, start=start_of(sc, None), log_dir=folder) as core:
        with MemorySampler(core) as memory:
            run = asyncio.run(play(sc, core.url, options))
        log = core.log_text()
    wall = time.monotonic() - t0
    s = run.summary
    screens_c = s["screens"]
    mem = memory_verdict(memory.samples)
    errors_in_log = TRACEBACK.findall(log)
    http_5xx = len(re.findall(r'" 5\d\d ', log))
    checks = {
        "every ticket accounted for": accounted(s),
        "every call reached every screen": screens_c["missing"] == 0,
        "no 5xx": s["http"]["server_errors"] == 0 and http_5xx == 0,
        "no exception in the core's log": not errors_in_log,
        "memory flat": bool(mem["flat"]),
    }
    print(text_report(s))
    print(f"wall time {wall:.0f} s (day played in {s['wall_s']:.0f} s); core log {core.log_path}")
    print(f"screens: {screens_c['screens']} connected, {screens_c['calls']} calls and recalls, "
          f"{screens_c['deliveries']} deliveries, {screens_c['missing']} missing, "
          f"{screens_c['extra']} extra, {screens_c['reconnects']} reconnects, "
          f"{screens_c['resyncs']} resyncs")
    if "early_mb" in mem:
        print(f"core RSS: {mem['early_mb']:.0f} MB after warm-up, {mem['late_mb']:.0f} MB at "
              f"the end (max {mem['max_mb']:.0f} MB, {mem['growth']:+.1%}, "
              f"{mem['samples']} samples)")
    for name, ok in checks.items():
        print(f"  [{'ok' if ok else 'FAIL'}] {name}")
    if errors_in_log:
        print(f"  first log errors: {errors_in_log[:3]}")
    return 0 if all(checks.values()) else 1
