"""What to say next when calls arrive faster than they can be spoken: pure rules, no I/O.

A busy hall calls several windows within a second. Speaking each call in turn, twice,
makes the last citizen wait half a minute for a number the screens showed long ago. The
rules here keep the newest call at most one announcement behind:

1. A call that arrives while the speaker is silent is announced on its own: a chime, then
   the call, ``repeat`` times (default once).
2. A call that arrives while an announcement is playing waits. When the speaker is free,
   everything that waited becomes **one** announcement: repeats are dropped first (said
   once, no chime: the hall has just heard one), and two or more waiting calls are merged
   into one sentence ("请 A001 号到 3 号窗口，A002 号到 5 号窗口").
3. A merged sentence names at most ``max_merge`` calls: beyond that the oldest waiting
   calls are dropped (the screens show them) so the sentence stays short enough to hear.
4. A call already waiting for the same ticket and window is not added again (a recall
   pressed while its call is still waiting); a recall replaces the waiting call.

Used by ``AnnouncementQueue`` (`hallq voice`) and mirrored by the hall screen's voice.js.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from display.voice.announcer import Call

__all__ = ["Announcement", "Backlog", "plan_announcement"]


@dataclass(frozen=True)
class Announcement:
    """One thing to play: one call or several merged, said ``repeat`` times."""

    calls: tuple[Call, ...]
    repeat: int = 1
    chime: bool = True

    @property
    def label(self) -> str:
        """A short name for logs and file names: "A001-3+A002-5"."""
        return "+".join(f"{call.ticket}-{call.window}" for call in self.calls)


@dataclass(frozen=True)
class Waiting:
    """A call waiting to be spoken, and whether it arrived while another was playing."""

    call: Call
    behind: bool


def plan_announcement(
    waiting: Sequence[Waiting], *, repeat: int = 1, chime: bool = True, max_merge: int = 4
) -> tuple[Announcement | None, list[Call]]:
    """The next announcement for the waiting calls (oldest first), and the calls dropped."""
    if not waiting:
        return None, []
    if max_merge < 1:
        raise ValueError("max_merge must be at least 1")
    behind = any(item.behind for item in waiting)
    if len(waiting) == 1 and not behind:
        return Announcement((waiting[0].call,), repeat=repeat, chime=chime), []
    kept = list(waiting)[-max_merge:]
    dropped = [item.call for item in list(waiting)[: len(waiting) - len(kept)]]
    # Behind another announcement: the hall has just heard a chime and is listening.
    calls = tuple(item.call for item in kept)
    return Announcement(calls, repeat=1, chime=chime and not behind), dropped


@dataclass
class Backlog:
    """The waiting calls of one speaker; ``take()`` applies the rules above."""

    repeat: int = 1
    chime: bool = True
    max_merge: int = 4
    waiting: list[Waiting] = field(default_factory=list)

    def add(self, call: Call, *, busy: bool) -> bool:
        """Add a call that arrived while the speaker was busy or not; False if already waiting."""
        for index, item in enumerate(self.waiting):
            if item.call.ticket == call.ticket and item.call.window == call.window:
                if call.recall and not item.call.recall:
                    self.waiting[index] = Waiting(call, item.behind or busy)
                return False
        self.waiting.append(Waiting(call, busy))
        return True

    def take(self) -> tuple[Announcement | None, list[Call]]:
        """Empty the backlog into the next announcement; also return the calls dropped."""
        announcement, dropped = plan_announcement(
            self.waiting, repeat=self.repeat, chime=self.chime, max_merge=self.max_merge
        )
        self.waiting = []
        return announcement, dropped

    def __len__(self) -> int:
        return len(self.waiting)
