"""What the reads every terminal repeats on each change of the queue cost, from the hall's
picture and from the database, in the same run.

`python -m simulators.bench.reads [--waiting 3000] [--windows 20] [--repeat 40]` loads the
bench hall of `hallq bench core` into a fresh SQLite file twice, once with each hall's
queue held in memory (`HALLQ_QUEUE_IN_MEMORY=on`) and once without (`off`: what several
PostgreSQL processes without Redis do, and what every core did before the pictures served
these reads), signs every window in, issues `--waiting` tickets over its 12 services, and
then times:

- `counter list`: one counter's waiting list (`snapshots.counter_waiting`: its first 50
  tickets and how many there are), re-read by every counter on each `queue` event;
- `next tickets`: every staffed window's next ticket (`snapshots.next_tickets`), the
  screens' 请 X 号准备 after every call;
- `kiosk`: the kiosk's service list with its waiting counts (`kiosk.service.overview`).

Each is run `--repeat` times under cProfile (Python calls per read) and as many again for
CPU. Both modes must answer the same; the figures are printed, not asserted. In-process
and single-threaded: a measure of the reads alone.
"""

from __future__ import annotations

import argparse
import cProfile
import pstats
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from server.app import build_core
from server.auth import service as auth
from server.core import Core
from server.events import snapshots
from server.halls import flows as hall_flows
from server.kiosk import service as kiosk
from server.settings import Settings
from server.tickets import flows as tickets
from server.windows import flows as windows
from simulators.bench.core import PASSWORD, SERVICES, bench_config

HALL = "bench"


def _core(folder: str, mode: str, waiting: int, window_count: int) -> Core:
    core = build_core(Settings(database_url=f"sqlite:///{Path(folder) / f'{mode}.db'}",
                               queue_in_memory=mode))
    hall_flows.load(core, config=bench_config(window_count))
    _, token = auth.register_device(core, hall=HALL, name="kiosk", kind="kiosk")
    device = auth.resolve(core, token)
    for i in range(1, window_count + 1):
        staff = auth.resolve(core, auth.login(core, username=f"b{i}", password=PASSWORD))
        windows.sign_in(core, hall=HALL, window=str(i), post="", actor=staff)
    for i in range(waiting):
        tickets.issue(core, hall=HALL, service=SERVICES[i % len(SERVICES)], actor=device)
    return core


def _reads(core: Core, window_count: int) -> dict[str, Callable[[int], Any]]:
    # Each returns what must agree between the two cores (their ticket ids and clocks
    # differ): the numbers in order, the counts.
    def counter_list(i: int) -> Any:
        out = snapshots.counter_waiting(core, hall=HALL, window=str(i % window_count + 1))
        return out["count"], [(t["ticket"], t["service"]) for t in out["tickets"]]

    def next_tickets(i: int) -> Any:
        return snapshots.next_tickets(core, hall=HALL)["windows"]

    def kiosk_list(i: int) -> Any:
        out = kiosk.overview(core, hall=HALL)
        return [(s["code"], s["waiting"]) for d in out["domains"] for s in d["services"]]

    return {"counter list": counter_list, "next tickets": next_tickets, "kiosk": kiosk_list}


def _time(read: Callable[[int], Any], repeat: int) -> tuple[float, float]:
    """Python calls and CPU milliseconds per read."""
    profile = cProfile.Profile()
    profile.enable()
    for i in range(repeat):
        read(i)
    profile.disable()
    calls = pstats.Stats(profile).total_calls / repeat
    start = time.process_time()
    for i in range(repeat):
        read(i)
    return calls, (time.process_time() - start) * 1000 / repeat


def run(waiting: int, window_count: int, repeat: int) -> dict[str, dict[str, tuple[float,
                                                                                  float]]]:
    """Per read and per mode ("picture", "database"): calls and CPU ms per read. Raises
    when the two modes answer differently."""
    out: dict[str, dict[str, tuple[float, float]]] = {}
    with tempfile.TemporaryDirectory(prefix="hallq-reads-") as folder:
        cores = {"picture": _core(folder, "on", waiting, window_count),
                 "database": _core(folder, "off", waiting, window_count)}
        try:
            reads = {mode: _reads(core, window_count) for mode, core in cores.items()}
            for name in reads["picture"]:
                for i in range(window_count):
                    a, b = reads["picture"][name](i), reads["database"][name](i)
                    if a != b:
                        raise AssertionError(f"{name}: the picture and the database differ")
                out[name] = {mode: _time(reads[mode][name], repeat) for mode in cores}
        finally:
            for core in cores.values():
                core.db.dispose()
    return out


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m simulators.bench.reads")
    p.add_argument("--waiting", type=int, default=3000)
    p.add_argument("--windows", type=int, default=20)
    p.add_argument("--repeat", type=int, default=40)
    args = p.parse_args(argv)
    figures = run(args.waiting, args.windows, args.repeat)
    print(f"reads repeated on each change of the queue, {args.waiting} waiting over "
          f"{len(SERVICES)} services, {args.windows} windows signed in (per read)")
    for name, modes in figures.items():
        (pc, pt), (dc, dt) = modes["picture"], modes["database"]
        print(f"  {name:13s} picture {pc:9.0f} calls {pt:8.2f} ms CPU   "
              f"database {dc:9.0f} calls {dt:8.2f} ms CPU")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
