"""The demo hall's hardware, simulated: every device simulator and one device agent.

`hallq demo` runs this as its own process (`python -m simulators.demo_hall`), so the core
is exactly the production core, measured alone, and the agent exactly the production
agent; only the bytes' other ends are simulators. Printed tickets are decoded and saved as
PNG images here, never in the core's process.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import logging
import os
import sys
import threading
from collections.abc import Sequence
from pathlib import Path

from drivers import Agent
from simulators import start_all
from simulators.cli import execute
from simulators.devices import DeviceSimulators

__all__ = ["main"]

log = logging.getLogger(__name__)
WINDOWS = [str(i) for i in range(1, 7)]
# Mostly satisfied, with a realistic share of 差评 so the bad-review workflow has work.
RATINGS = (5, 5, 5, 5, 5, 5, 4, 4, 3, 2, 1)


async def _run(server: str, token: str, state_dir: Path) -> None:
    state_dir.mkdir(parents=True, exist_ok=True)
    sims = await start_all(windows=WINDOWS, image_dir=state_dir / "printed")
    sims.evaluator.auto_levels = RATINGS
    listed = ", ".join(f"{kind} {url}" for kind, url in sims.urls.items())
    print(f"  simulated devices: {listed}; printed tickets in {state_dir / 'printed'}",
          flush=True)
    urls = sims.urls
    agent = Agent(server=server, hall="demo", name="agent-1", token=token,
                  kiosks=["kiosk-1"], led_map=sims.led_map, state_dir=state_dir / "agent",
                  printer=urls["printer"], evaluator=urls["evaluator"],
                  scanner=urls["scanner"], led=urls["led"], idcard=urls["idcard"])
    # Typed into the demo's terminal: `card 11010519491231002X` puts an ID card on the
    # kiosk's reader, `scan CODE` scans a booking (python -m simulators lists them all).
    _read_commands(sims, asyncio.get_running_loop())
    try:
        await agent.run()
    finally:
        await sims.stop()


def _read_commands(sims: DeviceSimulators, loop: asyncio.AbstractEventLoop) -> None:
    """Run the simulators' control commands typed on stdin, in the simulators' loop.

    A daemon thread reads stdin, so a blocked read never holds up the process's exit.
    """
    def run(line: str) -> None:
        reply = execute(sims, line)
        if reply:
            print(reply, flush=True)

    def read() -> None:
        for line in sys.stdin:  # ends at once when there is no terminal
            loop.call_soon_threadsafe(run, line)

    threading.Thread(target=read, name="demo-commands", daemon=True).start()


def main(argv: Sequence[str] | None = None) -> int:
    """Run the simulators and the agent until interrupted."""
    parser = argparse.ArgumentParser(prog="python -m simulators.demo_hall")
    parser.add_argument("--server", required=True, help="the core's URL")
    parser.add_argument("--token", default=os.environ.get("HALLQ_DEVICE_TOKEN"),
                        help="the demo agent's device token (HALLQ_DEVICE_TOKEN)")
    parser.add_argument("--state-dir", type=Path, default=Path("hallq-demo-devices"))
    args = parser.parse_args(argv)
    if not args.token:
        parser.error("give --token or set HALLQ_DEVICE_TOKEN")
    logging.basicConfig(level=logging.WARNING)
    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(_run(args.server, args.token, args.state_dir))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
