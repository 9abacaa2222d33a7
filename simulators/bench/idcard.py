"""``python -m simulators.bench.idcard``: how long from a card placed to the driver's read.

The production driver against the reader simulator on a real pseudo-tty, with the
driver's default polling (0.3 s): prints the median and the worst of N placings.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import time
from collections.abc import Sequence

from drivers import CardEvent, IdCardDriver
from simulators.idcard import IdCardSimulator, sample_card, with_check_digit

__all__ = ["main", "measure"]


async def measure(placings: int, poll_interval: float = 0.3) -> list[float]:
    """Seconds from each placing to the driver's CardEvent."""
    sim = IdCardSimulator()
    await sim.start()
    arrived: asyncio.Queue[float] = asyncio.Queue()

    def on_card(_: CardEvent) -> None:
        arrived.put_nowait(time.perf_counter())

    driver = IdCardDriver(sim.url, on_card=on_card, poll_interval=poll_interval)
    await driver.start()
    seconds: list[float] = []
    try:
        await driver.wait_connected(5)
        for i in range(placings):
            placed = time.perf_counter()
            sim.put_card(sample_card(with_check_digit(f"{45010319900307000 + i}")))
            seconds.append(await asyncio.wait_for(arrived.get(), 10) - placed)
            sim.take_card()
            await asyncio.sleep(poll_interval + 0.1)  # the driver sees it gone
    finally:
        await driver.stop()
        await sim.stop()
    return seconds


def main(argv: Sequence[str] | None = None) -> int:
    """Print the figures."""
    parser = argparse.ArgumentParser(prog="python -m simulators.bench.idcard")
    parser.add_argument("--placings", type=int, default=30)
    parser.add_argument("--poll", type=float, default=0.3, help="driver poll interval, s")
    args = parser.parse_args(argv)
    seconds = asyncio.run(measure(args.placings, args.poll))
    print(f"card placed → read by the driver (pty, poll {args.poll} s): n={len(seconds)}, "
          f"median {statistics.median(seconds) * 1000:.0f} ms, "
          f"max {max(seconds) * 1000:.0f} ms")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
