"""Where the machine's CPU goes when one core process issues tickets, and when two do.

    python -m simulators.bench.pair [--database URL] [--redis URL] [--seconds 4]
                                    [--kiosks 8] [--rounds 2] [--split]

Two `hallq serve` processes on one fresh PostgreSQL schema and one Redis bus, the bench
hall of `hallq bench core`. Each round runs wrk's kiosks on the first process alone
(`one`), then on both at once (`two`; `--split`: the first six services on one process,
the other six on the other, so that no number counter is shared). Per ticket issued, it
prints the CPU of each core process (in `one`, the second only follows the first's
events), of PostgreSQL's processes, and of everything else on the machine (wrk, Redis,
the kernel's work for them), read from /proc; the share of the machine's CPUs left idle;
and what that share allows a second process at most (`hallq bench core`'s ceiling).

It answers why two processes on this project's 2-CPU machine cannot reach 1.4 times one
(issue 11): one process, bound by its interpreter lock, keeps the machine three quarters
busy on its own (the core, PostgreSQL, wrk and Redis all run on the same two CPUs), and
when two run, each ticket costs every one of them more. Figures are printed, not
asserted.
"""

from __future__ import annotations

import argparse
import os
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from simulators.bench import core, harness, wrk


def named_seconds(prefix: str, proc: Path = Path("/proc")) -> float:
    """CPU seconds used so far by every process whose name (`comm`) starts with `prefix`
    (PostgreSQL's are all `postgres`); processes that end meanwhile are left out."""
    total = 0.0
    for stat in proc.glob("[0-9]*/stat"):
        try:
            text = stat.read_text()
        except OSError:  # gone meanwhile
            continue
        if text[text.index("(") + 1:text.rindex(")")].startswith(prefix):
            total += harness.cpu_seconds_of(stat)
    return total


@dataclass
class Share:
    """One run: tickets issued, and per ticket the CPU of each part of the machine."""

    mode: str
    per_s: float
    first_ms: float
    second_ms: float
    postgres_ms: float
    rest_ms: float
    idle: float

    def line(self) -> str:
        """The run as printed."""
        ceiling = f"; at most ×{1 / (1 - self.idle):.2f}" if self.mode == "one" else ""
        return (f"  {self.mode:3s} {self.per_s:7.0f}/s  CPU per ticket: cores "
                f"{self.first_ms:.3f} + {self.second_ms:.3f}, PostgreSQL "
                f"{self.postgres_ms:.3f}, the rest {self.rest_ms:.3f} ms; "
                f"CPUs idle {self.idle:.0%}{ceiling}")


def _run(mode: str, servers: list[harness.ServerProcess], jobs: list[tuple[str, list[str]]],
         *, kiosks: int, seconds: float, token: str) -> Share:
    cpu0 = [s.cpu() for s in servers]
    pg0, machine0 = named_seconds("postgres"), harness.machine_seconds()
    runs = wrk.post_at_once(jobs, clients=kiosks, seconds=seconds, token=token)
    cores = [s.cpu() - c for s, c in zip(servers, cpu0, strict=True)]
    pg, machine = named_seconds("postgres") - pg0, harness.machine_seconds()
    busy = (machine[0] - machine0[0]) - (machine[1] - machine0[1])
    done = max(sum(r.requests for r in runs), 1)
    per = 1000 / done
    return Share(mode, sum(r.per_s for r in runs), cores[0] * per, cores[1] * per, pg * per,
                 (busy - sum(cores) - pg) * per, harness.idle_share(machine0, machine))


def run(database: str, redis: str, *, seconds: float, kiosks: int, rounds: int,
        split: bool) -> Iterator[Share]:
    """The rounds' runs, one process then two, as they finish."""
    env = {"HALLQ_REDIS_URL": redis}
    with harness.database(database) as scoped:
        token = core.prepare(scoped, 20)
        with harness.hallq_serve(scoped, env=env) as first, \
                harness.hallq_serve(scoped, env=env) as second:
            servers = [first, second]
            urls = [f"{s.url}/api/v1/halls/bench/tickets" for s in servers]
            for url in urls:  # warm-up
                wrk.post(url, services=core.SERVICES, clients=kiosks, seconds=1, token=token)
            halves = ([core.SERVICES[:6], core.SERVICES[6:]] if split
                      else [core.SERVICES, core.SERVICES])
            for _ in range(rounds):
                yield _run("one", servers, [(urls[0], core.SERVICES)], kiosks=kiosks,
                           seconds=seconds, token=token)
                yield _run("two", servers, list(zip(urls, halves, strict=True)),
                           kiosks=kiosks, seconds=seconds, token=token)


def main(argv: list[str] | None = None) -> int:
    """Print the runs."""
    parser = argparse.ArgumentParser(prog="python -m simulators.bench.pair",
                                     description=__doc__.split("\n\n")[0])
    parser.add_argument("--database", default=os.environ.get(
        "HALLQ_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/hallq_test"))
    parser.add_argument("--redis", default=os.environ.get("HALLQ_TEST_REDIS_URL")
                        or "redis://127.0.0.1:6379/5")
    parser.add_argument("--seconds", type=float, default=4)
    parser.add_argument("--kiosks", type=int, default=core.KIOSKS, help="wrk's per process")
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--split", action="store_true",
                        help="two: the first six services on one process, the rest on the other")
    args = parser.parse_args(argv)
    if not wrk.available():
        print("wrk is not installed (scripts/setup.sh installs it)")
        return 2
    print(f"two core processes on one PostgreSQL and one Redis; {args.kiosks} kiosks (wrk) "
          f"per loaded process, {args.seconds:g} s per run"
          f"{'; services split between them' if args.split else ''}")
    for share in run(args.database, args.redis, seconds=args.seconds, kiosks=args.kiosks,
                     rounds=args.rounds, split=args.split):
        print(share.line(), flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
