"""The announcement queue and the players, with real files and real subprocesses."""

from __future__ import annotations

import asyncio
import io
import wave
from pathlib import Path

import pytest

from display.voice import (
    AnnouncementQueue,
    Announcer,
    Call,
    CommandPlayer,
    FilePlayer,
    PlayerError,
    load_pack,
)
from display.voice.espeak import DEFAULT_CLIPS
from display.voice.testing import make_tone_pack

TEXTS = {token: text for token, (text, _, _) in DEFAULT_CLIPS.items()}


@pytest.fixture
def announcer(tmp_path: Path) -> Announcer:
    make_tone_pack(tmp_path / "tones", TEXTS)
    return Announcer(load_pack(tmp_path / "tones"))


class SpeakerPlayer:
    """Plays for as long as the WAV lasts (scaled down), recording when each one ran."""

    def __init__(self, speed: float = 50.0) -> None:
        self.speed = speed
        self.active = 0
        self.most_active = 0
        self.log: list[tuple[str, float, float]] = []

    async def play(self, wav: bytes, *, label: str) -> None:
        loop = asyncio.get_running_loop()
        with wave.open(io.BytesIO(wav), "rb") as reader:
            seconds = reader.getnframes() / reader.getframerate()
        self.active += 1
        self.most_active = max(self.most_active, self.active)
        start = loop.time()
        await asyncio.sleep(seconds / self.speed)
        self.active -= 1
        self.log.append((label, start, loop.time()))


async def test_calls_arriving_together_are_spoken_in_order_never_over_each_other(
    announcer: Announcer,
) -> None:
    player = SpeakerPlayer(speed=5)
    calls = [Call(ticket=f"A00{i}", window=str(i)) for i in range(1, 5)]
    async with AnnouncementQueue(announcer, player) as queue:
        queue.submit(calls[0])
        await asyncio.sleep(0.05)  # A001 is being spoken now
        assert player.active == 1
        for call in calls[1:]:
            queue.submit(call)
        await asyncio.wait_for(queue.join(), 10)

    assert player.most_active == 1
    # The three that waited behind A001 are said together, once, in arrival order.
    assert [label for label, _, _ in player.log] == ["A001-1", "A002-2+A003-3+A004-4"]
    (_, _, first_end), (_, second_start, _) = player.log
    assert second_start >= first_end
    assert queue.played == calls
    merged = queue.announcements[1]
    assert (merged.repeat, merged.chime) == (1, False)


async def test_a_call_arriving_while_another_is_spoken_waits(announcer: Announcer) -> None:
    player = SpeakerPlayer(speed=5)
    async with AnnouncementQueue(announcer, player) as queue:
        queue.submit(Call("A001", "1"))
        await asyncio.sleep(0.05)  # A001 is being spoken now
        assert player.active == 1
        queue.submit(Call("B001", "2"))
        await asyncio.wait_for(queue.join(), 10)
    (_, _, first_end), (_, second_start, _) = player.log
    assert second_start >= first_end


async def test_duplicates_full_queue_and_stale_calls(announcer: Announcer) -> None:
    now = [0.0]
    player = SpeakerPlayer()
    queue = AnnouncementQueue(announcer, player, max_pending=3, max_age_s=60, clock=lambda: now[0])
    assert queue.submit(Call("A001", "1"))
    assert not queue.submit(Call("A001", "1", recall=True))  # still waiting: said once
    assert queue.submit(Call("A002", "2"))
    assert queue.submit(Call("A003", "3"))
    now[0] = 30
    assert queue.submit(Call("A004", "4"))  # full: the oldest (A001) goes
    assert [call.ticket for call in queue.dropped] == ["A001"]
    now[0] = 80  # A002 and A003 waited 80 s: the screens showed them long ago
    async with queue:
        await asyncio.wait_for(queue.join(), 10)
    assert [call.ticket for call in queue.played] == ["A004"]
    assert [call.ticket for call in queue.dropped] == ["A001", "A002", "A003"]


async def test_a_failing_player_or_bad_call_does_not_stop_the_queue(
    announcer: Announcer,
) -> None:
    class FlakyPlayer(SpeakerPlayer):
        async def play(self, wav: bytes, *, label: str) -> None:
            if label.startswith("A001"):
                raise PlayerError("device busy")
            await super().play(wav, label=label)

    player = FlakyPlayer()
    async with AnnouncementQueue(announcer, player) as queue:
        queue.submit(Call("A001", "1"))
        await asyncio.wait_for(queue.join(), 10)
        queue.submit(Call("甲001", "1"))  # cannot be said with this pack
        queue.submit(Call("A002", "2"))  # merged with it: still said
        await asyncio.wait_for(queue.join(), 10)
    assert [call.ticket for call in queue.played] == ["A002"]
    assert [call.ticket for call in queue.dropped] == ["A001", "甲001"]


async def test_file_player_writes_each_announcement_in_order(
    announcer: Announcer, tmp_path: Path
) -> None:
    player = FilePlayer(tmp_path / "out")
    calls = [Call("A001", "3"), Call("B012", "15"), Call("A001", "3", recall=True)]
    async with AnnouncementQueue(announcer, player) as queue:
        for call in calls:
            queue.submit(call)
            await asyncio.wait_for(queue.join(), 10)  # each heard before the next comes
    assert [path.name for path in player.written] == [
        "00001-A001-3.wav",
        "00002-B012-15.wav",
        "00003-A001-3.wav",
    ]
    for path, call in zip(player.written, calls, strict=True):
        assert path.read_bytes() == announcer.render(call).wav
    assert not list((tmp_path / "out").glob("*.part"))


async def test_command_player_runs_the_command_on_a_real_wav(
    announcer: Announcer, tmp_path: Path
) -> None:
    wav = announcer.render(Call("A001", "3")).wav
    copy = tmp_path / "heard.wav"
    await CommandPlayer(["cp", "{file}", str(copy)]).play(wav, label="A001-3")
    assert copy.read_bytes() == wav
    # Without {file} the file is the last argument, like `aplay -q FILE`.
    await CommandPlayer(["sh", "-c", f'cp "$0" {tmp_path}/second.wav']).play(wav, label="x")
    assert (tmp_path / "second.wav").read_bytes() == wav
    assert not list(Path("/tmp").glob("hallq-voice-A001-3-*"))


async def test_command_player_errors_are_player_errors(tmp_path: Path) -> None:
    with pytest.raises(PlayerError, match="exited with 3: no card"):
        await CommandPlayer(["sh", "-c", "echo no card >&2; exit 3"]).play(b"x", label="a")
    with pytest.raises(PlayerError, match="cannot run"):
        await CommandPlayer([str(tmp_path / "no-such-player")]).play(b"x", label="a")
    with pytest.raises(PlayerError, match="did not finish"):
        await CommandPlayer(["sh", "-c", "sleep 5"], timeout=0.2).play(b"x", label="a")
