"""`hallq bench` and `hallq simulate`: run by the `hallq` command as their own process.

The core (`server/`) never imports the simulators; `hallq` hands these two commands to
`python -m simulators.commands` with the rest of the command line.
"""

from __future__ import annotations

import argparse
import os
from collections.abc import Sequence
from datetime import date
from pathlib import Path

__all__ = ["main"]


def _bench_parser(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    bench = sub.add_parser("bench", help="benchmarks")
    bench.add_argument("what", choices=["core", "display", "day"])
    bench.add_argument("--database", action="append", default=None,
                       help="database URL (repeatable); default SQLite and, if set, "
                            "HALLQ_TEST_POSTGRES_URL")
    bench.add_argument("--seconds", type=float, default=5,
                       help="core: seconds of each wrk run")
    bench.add_argument("--deep", type=int, default=3000,
                       help="core: tickets waiting for one service in the deep-queue run")
    bench.add_argument("--windows", type=int, default=20)
    bench.add_argument("--screens", type=int, default=None,
                       help="screens connected (display: 1000, day: 200)")
    bench.add_argument("--speed", type=float, default=80,
                       help="day: clock speed (80: the city day in under ten minutes)")
    bench.add_argument("--scenario", default="city", help="day: the scenario played")
    bench.add_argument("--citizens", type=int, default=None,
                       help="day: visitors of the day (default the scenario's)")
    bench.add_argument("--calls", type=int, default=200,
                       help="display: calls to time (200: a p99 not made by one slow call)")
    bench.add_argument("--redis", default=None,
                       help="display, and core on PostgreSQL: also across two processes "
                            "over this Redis (default HALLQ_TEST_REDIS_URL)")


def _simulate_parser(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    simulate = sub.add_parser("simulate", help="play a hall day against the core (crowd sim)")
    simulate.add_argument("--scenario", required=True,
                          help="a name in simulators/scenarios, or a path")
    simulate.add_argument("--speed", type=float, default=60,
                          help="clock speed (60: a day in about ten minutes)")
    simulate.add_argument("--server", default=None, help="a running core's URL (started with "
                                                         "the same --speed); default: start one")
    simulate.add_argument("--database", default=None, help="database of the core started here "
                                                           "(default a temporary SQLite)")
    simulate.add_argument("--date", default=None, help="the day played (default the scenario's)")
    simulate.add_argument("--citizens", type=int, default=None,
                          help="visitors of the day (default the scenario's)")
    simulate.add_argument("--hall-screens", type=int, default=1)
    simulate.add_argument("--window-screens", type=int, default=None,
                          help="window screens (default one per window)")
    simulate.add_argument("--out", type=Path, default=None, help="HTML report path")
    simulate.add_argument("--admin", default=None,
                          help="with --server: load the scenario's hall as this admin account")
    simulate.add_argument("--password", default=None, help="the --admin account's password")


def _bench(args: argparse.Namespace) -> int:
    if args.what == "day":
        from simulators.crowd.bench_day import run_day_bench

        # `--database sqlite` (as for `bench core`) is the default: a fresh SQLite file.
        database = (args.database or [None])[0]
        return run_day_bench(scenario=args.scenario, speed=args.speed,
                             screens=args.screens or 200, citizens=args.citizens,
                             database=None if database == "sqlite" else database)
    if args.what == "display":
        from simulators.bench.display import run_display_bench

        return run_display_bench(screens=args.screens or 1000, calls=args.calls,
                                 redis_url=args.redis or os.environ.get("HALLQ_TEST_REDIS_URL"),
                                 postgres_url=os.environ.get("HALLQ_TEST_POSTGRES_URL"))
    from simulators.bench.core import run_core_bench

    urls = args.database or ["sqlite"] + (
        [os.environ["HALLQ_TEST_POSTGRES_URL"]] if os.environ.get("HALLQ_TEST_POSTGRES_URL")
        else [])
    return run_core_bench(urls, seconds=args.seconds, windows=args.windows, deep=args.deep,
                          redis_url=args.redis or os.environ.get("HALLQ_TEST_REDIS_URL"))


def _simulate(args: argparse.Namespace) -> int:
    from simulators.crowd.simulate import main as simulate_main

    return simulate_main(scenario=args.scenario, speed=args.speed, server=args.server,
                         database=args.database, hall_screens=args.hall_screens,
                         window_screens=args.window_screens, out=args.out,
                         day=date.fromisoformat(args.date) if args.date else None,
                         admin=args.admin, password=args.password, citizens=args.citizens)


def main(argv: Sequence[str] | None = None) -> int:
    """`hallq bench …` or `hallq simulate …`."""
    parser = argparse.ArgumentParser(prog="hallq")
    sub = parser.add_subparsers(dest="command", required=True)
    _bench_parser(sub)
    _simulate_parser(sub)
    args = parser.parse_args(argv)
    return _bench(args) if args.command == "bench" else _simulate(args)


if __name__ == "__main__":
    raise SystemExit(main())
