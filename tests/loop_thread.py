"""An asyncio loop in a thread: where the Redis buses of in-process test cores subscribe,
as they would on a real core's event loop."""

from __future__ import annotations

import asyncio
import threading
from typing import Any


class LoopThread:
    """A running event loop on a daemon thread; `run` a coroutine on it and wait."""

    def __init__(self) -> None:
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self.loop.run_forever, daemon=True)
        self.thread.start()

    def run(self, coro: Any) -> Any:
        return asyncio.run_coroutine_threadsafe(coro, self.loop).result(30)

    def close(self) -> None:
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(10)
