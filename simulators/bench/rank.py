"""What a window's call-next costs to choose its ticket from the hall's picture.

`python -m simulators.bench.rank [--services 12] [--waiting 250] [--calls 16]
[--special 12]` fills a picture (`server.tickets.picture.HallPicture`) with ordinary
tickets spread over the services and a few green, booked and sent-to-the-window ones,
then times, for one window serving every service (half of them as primary):

- `best`: the picture's lazy merge of its services' sorted heads (what call-next runs);
- `rank heads`: the engine's sort of every service's first `calls` heads (what call-next
  ran before `best`);
- `rank all`: the engine's full ranking of every waiting ticket (the reference).

All three must give the same first `calls` tickets; the figures are printed, not
asserted. In-process and single-threaded: a measure of the choice alone, not of a flow.
"""

from __future__ import annotations

import argparse
import random
import timeit
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

from server.tickets import engine
from server.tickets.picture import Change, HallPicture


def fill(services: int, waiting: int, special: int,
         seed: int = 7) -> tuple[HallPicture, list[engine.QueuedTicket]]:
    """A hall picture with `waiting` tickets per service, `special` of them in all green,
    booked or sent to window 1 (few wait at once in a hall: they are called first)."""
    rng = random.Random(seed)
    t0 = datetime(2026, 12, 7, 1, 0, tzinfo=UTC)
    total = services * waiting
    odd = set(rng.sample(range(total), min(special, total)))
    tickets = []
    for i in range(total):
        at = t0 + timedelta(seconds=i * 3 + rng.random())
        kind = rng.choice(["green", "appointment", "target"]) if i in odd else "normal"
        priority = "normal" if kind == "target" else kind
        slot = at + timedelta(minutes=rng.randint(-30, 60)) if priority == "appointment" \
            else None
        tickets.append(engine.QueuedTicket(
            id=f"t{i}", number=f"{chr(65 + i % 8)}{i:05d}", service_id=i % services,
            priority=priority, issued_at=at, queued_at=at, slot_start=slot,
            slot_end=slot + timedelta(minutes=30) if slot else None,
            target_window_id=1 if kind == "target" else None))
    pic = HallPicture(1, "bench", None, None, shared=False)
    pic.apply([Change(1, "bench", t.id, 0, t) for t in tickets])
    return pic, tickets


def _per_call_us(fn: Callable[[], object], number: int = 500) -> float:
    return min(timeit.repeat(fn, number=number, repeat=5)) / number * 1e6


def run(services: int, waiting: int, calls: int, special: int = 12) -> dict[str, float]:
    """Microseconds per choice for `best`, `rank heads` and `rank all`."""
    pic, tickets = fill(services, waiting, special)
    scope = engine.WindowScope(1, frozenset(range(services)),
                               frozenset(range(services // 2)))
    rules = engine.RankRules()
    now = tickets[len(tickets) // 2].issued_at

    def heads() -> list[engine.QueuedTicket]:
        out = list(pic._targeted.get(1, {}).values())
        for sid in scope.services:
            out += pic._special.get(sid, {}).values()
            out += [t for k in pic._normal.get(sid, [])[:calls]
                    if (t := pic._state[k[3]][1]) is not None]
        return out

    def best() -> list[engine.QueuedTicket]:
        return pic.best(scope, now, rules, calls)

    def rank_heads() -> list[engine.QueuedTicket]:
        return engine.rank(heads(), scope, now, rules)[:calls]

    def rank_all() -> list[engine.QueuedTicket]:
        return engine.rank(tickets, scope, now, rules)[:calls]

    if not best() == rank_heads() == rank_all():
        raise AssertionError("the three choices differ")
    return {"best": _per_call_us(best), "rank heads": _per_call_us(rank_heads),
            "rank all": _per_call_us(rank_all, number=20)}


def main() -> None:
    """Print the figures."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--services", type=int, default=12)
    parser.add_argument("--waiting", type=int, default=250, help="tickets per service")
    parser.add_argument("--calls", type=int, default=16, help="tickets a call may try")
    parser.add_argument("--special", type=int, default=12,
                        help="green, booked and sent-to-the-window tickets among them")
    args = parser.parse_args()
    figures = run(args.services, args.waiting, args.calls, args.special)
    print(f"choosing a window's next {args.calls} tickets, {args.services} services x "
          f"{args.waiting} waiting, {args.special} of them special:")
    for what, us in figures.items():
        print(f"  {what:12s} {us:10.1f} µs per call")


if __name__ == "__main__":
    main()
