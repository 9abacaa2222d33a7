"""The demo hall's hardware, simulated: every device simulator and one device agent.

Runs in a background thread of `hallq demo` with its own event loop, so the core is
exactly the production core and the agent exactly the production agent; only the bytes'
other ends are simulators. Printed tickets are decoded and saved as PNG images.
"""

from __future__ import annotations

import asyncio
import logging
import threading
from pathlib import Path

from drivers import Agent
from simulators import start_all

log = logging.getLogger(__name__)
WINDOWS = [str(i) for i in range(1, 7)]
# Mostly satisfied, with a realistic share of 差评 so the bad-review workflow has work.
RATINGS = (5, 5, 5, 5, 5, 5, 4, 4, 3, 2, 1)


def start(*, server: str, token: str, state_dir: Path) -> threading.Thread:
    """Start the simulators and the agent in a daemon thread; returns the thread."""
    thread = threading.Thread(target=lambda: asyncio.run(_run(server, token, state_dir)),
                              name="hallq-demo-devices", daemon=True)
    thread.start()
    return thread


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
                  scanner=urls["scanner"], led=urls["led"])
    try:
        await agent.run()
    finally:
        await sims.stop()
