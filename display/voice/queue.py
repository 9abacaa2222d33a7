"""The announcement queue: calls are spoken one announcement at a time, never over each other.

When calls arrive faster than they can be spoken, what waited is merged into the next
announcement (``display.voice.backlog``), so the newest call is at most one announcement
behind.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Callable
from dataclasses import replace
from types import TracebackType

from display.voice.announcer import Announcer, Call
from display.voice.backlog import Announcement, Backlog, Waiting
from display.voice.errors import VoiceError
from display.voice.player import Player

__all__ = ["AnnouncementQueue"]

log = logging.getLogger(__name__)


class AnnouncementQueue:
    """Plays calls on one player, one announcement at a time, merging calls that waited.

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
        max_merge: int = 4,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.announcer = announcer
        self.player = player
        self.max_pending = max_pending
        self.max_age_s = max_age_s
        self._clock = clock
        config = announcer.config
        self._backlog = Backlog(repeat=config.repeat, chime=config.chime, max_merge=max_merge)
        self._queued_at: dict[tuple[str, str], float] = {}
        self._busy = False
        self._wakeup = asyncio.Event()
        self._idle = asyncio.Event()
        self._idle.set()
        self._worker: asyncio.Task[None] | None = None
        self.played: list[Call] = []
        self.dropped: list[Call] = []
        #: Every announcement played, in order (one or several calls each).
        self.announcements: list[Announcement] = []

    @property
    def pending(self) -> list[Call]:
        """Calls waiting to be spoken, oldest first."""
        return [item.call for item in self._backlog.waiting]

    def submit(self, call: Call) -> bool:
        """Queue a call to be announced; False if it was already waiting."""
        if not self._backlog.add(call, busy=self._busy):
            return False
        self._queued_at[(call.ticket, call.window)] = self._clock()
        while len(self._backlog) > self.max_pending:
            dropped = self._backlog.waiting.pop(0).call
            self._drop(dropped, "voice queue full: dropped")
        self._idle.clear()
        self._wakeup.set()
        return True

    def _drop(self, call: Call, why: str) -> None:
        self._queued_at.pop((call.ticket, call.window), None)
        self.dropped.append(call)
        log.warning("%s %s to window %s", why, call.ticket, call.window)

    async def join(self) -> None:
        """Wait until every queued call has been played (or skipped)."""
        await self._idle.wait()

    async def run(self) -> None:
        """Play queued calls forever (cancel the task to stop)."""
        while True:
            if not len(self._backlog):
                self._busy = False
                self._idle.set()
                self._wakeup.clear()
                await self._wakeup.wait()
                continue
            self._busy = True
            now = self._clock()
            fresh: list[Waiting] = []
            for item in self._backlog.waiting:
                queued = self._queued_at.get((item.call.ticket, item.call.window), now)
                if now - queued > self.max_age_s:
                    self._drop(item.call, "voice: skipped stale call")
                else:
                    fresh.append(item)
            self._backlog.waiting = fresh
            announcement, dropped = self._backlog.take()
            for call in dropped:
                self._drop(call, "voice: too many calls at once, not said:")
            if announcement is not None:
                await self._play(announcement)

    async def _play(self, announcement: Announcement) -> None:
        sayable: list[Call] = []
        for call in announcement.calls:
            self._queued_at.pop((call.ticket, call.window), None)
            try:
                self.announcer.tokens(call)
            except VoiceError as err:
                # A call the pack cannot say must not silence the calls merged with it.
                log.error("voice: cannot announce %s to window %s: %s",
                          call.ticket, call.window, err)
                self.dropped.append(call)
                continue
            sayable.append(call)
        if not sayable:
            return
        announcement = replace(announcement, calls=tuple(sayable))
        try:
            rendering = self.announcer.render_calls(
                announcement.calls, repeat=announcement.repeat, chime=announcement.chime
            )
            await self.player.play(rendering.wav, label=announcement.label)
        except (VoiceError, OSError) as err:
            # One bad call or a speaker hiccup must not silence every later call.
            log.error("voice: cannot announce %s: %s", announcement.label, err)
            self.dropped.extend(announcement.calls)
            return
        self.announcements.append(announcement)
        self.played.extend(announcement.calls)

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
