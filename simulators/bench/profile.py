"""Profile the core under load: py-spy on a real `hallq serve` while separate clients drive it.

    python -m simulators.bench.profile issue [--clients 1] [--database sqlite|URL]
    python -m simulators.bench.profile call-next [--database URL] [--redis URL]

The bench hall of `hallq bench core` is loaded; wrk issues tickets (`issue`), or a queue is
filled and 20 windows drain it (`call-next`). py-spy samples the server process (never
the clients) and writes its raw stacks to `--out`; the functions of the project with
their inclusive share of the samples are printed. Waiting threads are sampled too
(`--nonblocking` without `--idle` still shows a thread blocked in a C call), so read the
shares as where the requests spend their time, and the bench's CPU ms/op as the cost.
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Iterable

from simulators.bench import core, harness, wrk

PROJECT = ("server/", "simulators/", "drivers/")


def frame_name(frame: str) -> str:
    """`function (path/to/file.py:12)` → `function path/to/file.py`, without the line."""
    name, _, where = frame.partition(" (")
    path = where.rsplit(":", 1)[0] if where else ""
    for root in PROJECT:
        if root in path:
            path = root + path.split(root, 1)[1]
            break
    return f"{name} {path}".strip()


def inclusive(lines: Iterable[str]) -> tuple[int, Counter[str]]:
    """Samples in all, and per function the samples whose stack contains it (py-spy's raw
    format: `frame;frame;… count` per line)."""
    total, counts = 0, Counter[str]()
    for line in lines:
        stack, _, n = line.rstrip().rpartition(" ")
        if not stack or not n.isdigit():
            continue
        total += int(n)
        for name in {frame_name(f) for f in stack.split(";")}:
            counts[name] += int(n)
    return total, counts


def report(path: str, top: int) -> None:
    """Print the project's functions by inclusive share of the samples."""
    with open(path, encoding="utf-8") as raw:
        total, counts = inclusive(raw)
    print(f"{total} samples; functions of the project by inclusive share:")
    mine = [(n, c) for n, c in counts.most_common() if any(r in n for r in PROJECT)]
    for name, count in mine[:top]:
        print(f"  {100 * count / max(total, 1):5.1f} %  {name}")


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m simulators.bench.profile")
    p.add_argument("what", choices=["issue", "call-next"])
    p.add_argument("--database", default="sqlite")
    p.add_argument("--redis", default="", help="the core's HALLQ_REDIS_URL (pictures shared)")
    p.add_argument("--clients", type=int, default=1, help="issue: wrk connections")
    p.add_argument("--seconds", type=float, default=6)
    p.add_argument("--rate", type=int, default=200, help="py-spy samples per second")
    p.add_argument("--out", default="hallq-profile.txt")
    p.add_argument("--top", type=int, default=40)
    args = p.parse_args(argv)
    if shutil.which("py-spy") is None or (args.what == "issue" and not wrk.available()):
        print("needs py-spy and wrk (scripts/setup.sh --test installs them)", file=sys.stderr)
        return 2
    with harness.database(args.database) as db:
        token = core.prepare(db, 20)
        env = {"HALLQ_REDIS_URL": args.redis} if args.redis else None
        with harness.hallq_serve(db, env=env) as server:
            if args.what == "call-next":
                core.load_client({"kind": "fill", "base": server.url, "hall": "bench",
                                  "token": token, "service": core.SERVICES[0],
                                  "count": 400, "clients": 8})
                desks = core._sign_in(server.url, 20)
            spy = subprocess.Popen(
                ["py-spy", "record", "-r", str(args.rate), "-f", "raw", "-o", args.out,
                 "--pid", str(server.proc.pid), "-d", str(int(args.seconds) + 1),
                 "--nonblocking"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            time.sleep(0.5)
            if args.what == "issue":
                url = f"{server.url}/api/v1/halls/bench/tickets"
                row = core._wrk_row(f"issue, {args.clients} kiosks", server, url,
                                    clients=args.clients, seconds=args.seconds,
                                    services=core.SERVICES, token=token)
            else:
                row = core._load_row("call-next, 20 windows", server, {
                    "kind": "drain", "base": server.url, "hall": "bench", "windows": desks})
            spy.wait()
    print(f"{row.what}: {row.per_s:.0f}/s  p50 {row.p50_ms:.2f} ms  CPU {row.cpu_ms:.2f} ms/op "
          f"(py-spy attached at {args.rate} Hz)")
    report(args.out, args.top)
    return 0


if __name__ == "__main__":
    sys.exit(main())
