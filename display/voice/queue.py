"""The announcement queue: calls that arrive together are spoken one after another."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from types import TracebackType

from display.voice.announcer import Announcer, Call
from display.voice.errors import VoiceError
from display.voice.player import Player

__all__ = ["AnnouncementQueue"]

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class _Pending:
    call: Call
    queued_at: float


class AnnouncementQueue:
    """Plays calls strictly one at a time, in arrival order, on one player.

    A call already waiting for the same ticket and window is not queued twice (a recall
    pressed while the call is still waiting to be spoken). When more than ``max_pending``
    wait, the oldest is dropped; a call that waited longer than ``max_age_s`` is skipped:
    the screens already show it, and a call spoken minutes late only confuses the hall.
    """

    def __init__(
        self,
        announcer: Announcer,
        player: Player,
        *,
        max_pending: int = 30,
        max_age_s: float = 90.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.announcer = announcer
        self.player = player
        self.max_pending = max_pending
        self.max_age_s = max_age_s
        self._clock = clock
        self._pending: deque[_Pending] = deque()
        self._wakeup = asyncio.Event()
        self._idle = asyncio.Event()
        self._idle.set()
        self._worker: asyncio.Task[None] | None = None
        self.played: list[Call] = []
        self.dropped: list[Call] = []

    @property
    def pending(self) -> list[Call]:
        """Calls waiting to be spoken, oldest first."""
        return [item.call for item in self._pending]

    def submit(self, call: Call) -> bool:
        """Queue a call to be announced; False if it was already waiting."""
        if any(
            item.call.ticket == call.ticket and item.call.window == call.window
            for item in self._pending
        ):
            return False
        self._pending.append(_Pending(call, self._clock()))
        while len(self._pending) > self.max_pending:
            dropped = self._pending.popleft().call
            self.dropped.append(dropped)
            log.warning("voice queue full: dropped %s to window %s", dropped.ticket, dropped.window)
        self._idle.clear()
        self._wakeup.set()
        return True

    async def join(self) -> None:
        """Wait until every queued call has been played (or skipped)."""
        await self._idle.wait()

    async def run(self) -> None:
        """Play queued calls forever (cancel the task to stop)."""
        while True:
            if not self._pending:
                self._idle.set()
                self._wakeup.clear()
                await self._wakeup.wait()
                continue
            item = self._pending.popleft()
            await self._play(item)

    async def _play(self, item: _Pending) -> None:
        call = item.call
        if self._clock() - item.queued_at > self.max_age_s:
            self.dropped.append(call)
            log.warning("voice: skipped stale call %s to window %s", call.ticket, call.window)
            return
        try:
            rendering = self.announcer.render(call)
            await self.player.play(rendering.wav, label=f"{call.ticket}-{call.window}")
        except (VoiceError, OSError) as err:
            # One bad call or a speaker hiccup must not silence every later call.
            log.error("voice: cannot announce %s to window %s: %s", call.ticket, call.window, err)
            self.dropped.append(call)
            return
        self.played.append(call)

    async def __aenter__(self) -> AnnouncementQueue:
        self._worker = asyncio.create_task(self.run(), name="voice-announcements")
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        if self._worker is not None:
            self._worker.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._worker
            self._worker = None
