"""Virtual screens: websocket clients of `WS /ws/halls/{hall}/display` that note every call.

A screen records the `call` events it gets (ticket id, window, recall flag, seq) and every
snapshot (a fresh snapshot after a drop means events may have been skipped); at the end each
screen's record is checked against the calls the counters made.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from websockets.asyncio.client import connect
from websockets.exceptions import WebSocketException

CallKey = tuple[str, str, int]  # ticket id, window, how many times announced before
Listener = Callable[[dict[str, Any]], None]


@dataclass
class Screen:
    """One screen's connection and what it received."""

    name: str
    window: str | None
    calls: list[dict[str, Any]] = field(default_factory=list)
    snapshots: int = 0
    reconnects: int = 0
    seq_backwards: int = 0
    last_seq: int = 0


class Screens:
    """Many screens of one hall, connected at once and kept connected."""

    def __init__(self, ws_base: str, hall: str, token: str) -> None:
        self.url = f"{ws_base}/ws/halls/{hall}/display?token={token}"
        self.screens: list[Screen] = []
        self.listeners: list[Listener] = []
        self._tasks: list[asyncio.Task[None]] = []
        self._stopping = False

    async def open(self, windows: list[str | None], batch: int = 25) -> None:
        """Connect one screen per entry (a window number, or None for a hall screen)."""
        for start in range(0, len(windows), batch):
            ready = []
            for window in windows[start:start + batch]:
                screen = Screen(f"screen-{len(self.screens) + 1}", window)
                self.screens.append(screen)
                connected: asyncio.Future[None] = asyncio.get_running_loop().create_future()
                self._tasks.append(asyncio.create_task(self._run(screen, connected)))
                ready.append(connected)
            await asyncio.gather(*ready)

    async def _run(self, screen: Screen, connected: asyncio.Future[None]) -> None:
        url = self.url + (f"&window={screen.window}" if screen.window else "")
        while not self._stopping:
            try:
                async with connect(url, max_size=None, open_timeout=60,
                                   ping_interval=None) as ws:
                    async for raw in ws:
                        self._receive(screen, raw)
                        if not connected.done():
                            connected.set_result(None)
            except (OSError, WebSocketException, TimeoutError):
                if self._stopping:
                    return
            if not self._stopping:
                screen.reconnects += 1
                await asyncio.sleep(0.2)

    def _receive(self, screen: Screen, raw: str | bytes) -> None:
        text = raw if isinstance(raw, str) else raw.decode()
        if '"type":"call"' not in text and '"type":"snapshot"' not in text:
            return  # window and queue events: not checked, not parsed
        message = json.loads(text)
        seq = message.get("seq")
        if isinstance(seq, int):
            if seq < screen.last_seq and message["type"] != "snapshot":
                screen.seq_backwards += 1
            screen.last_seq = max(screen.last_seq, seq)
        if message["type"] == "snapshot":
            screen.snapshots += 1
            return
        screen.calls.append({"ticket": message.get("ticket"),
                             "window": str(message.get("window")),
                             "recall": bool(message.get("recall")), "seq": seq})
        for listener in self.listeners:
            listener(message)

    async def close(self) -> None:
        """Disconnect every screen."""
        self._stopping = True
        for task in self._tasks:
            task.cancel()
        with contextlib.suppress(Exception):
            await asyncio.gather(*self._tasks, return_exceptions=True)


def coverage(screens: list[Screen], calls: list[dict[str, Any]]) -> dict[str, Any]:
    """How many of the calls made reached every screen that should show them.

    A hall screen shows every call and recall; a window's screen those of its window.
    Calls are compared on number + window + recall: a screen is never sent the ticket id
    (the citizen's credential), and a number is unique in a hall for the day.
    """
    expected_all = [(c["ticket"], c["window"], c["recall"]) for c in calls]
    missing = 0
    worst: tuple[str, int] = ("", 0)
    duplicates = 0
    for screen in screens:
        got: dict[tuple[str, str, bool], int] = {}
        for c in screen.calls:
            key = (c["ticket"], c["window"], c["recall"])
            got[key] = got.get(key, 0) + 1
        want: dict[tuple[str, str, bool], int] = {}
        for key in expected_all:
            if screen.window is None or key[1] == screen.window:
                want[key] = want.get(key, 0) + 1
        lost = sum(max(0, n - got.get(k, 0)) for k, n in want.items())
        duplicates += sum(max(0, n - want.get(k, 0)) for k, n in got.items())
        missing += lost
        if lost > worst[1]:
            worst = (screen.name, lost)
    return {"screens": len(screens), "calls": len(calls), "missing": missing,
            "extra": duplicates, "worst_screen": worst[0], "worst_missing": worst[1],
            "deliveries": sum(len(s.calls) for s in screens),
            "reconnects": sum(s.reconnects for s in screens),
            "resyncs": sum(max(0, s.snapshots - 1 - s.reconnects) for s in screens),
            "seq_backwards": sum(s.seq_backwards for s in screens)}
