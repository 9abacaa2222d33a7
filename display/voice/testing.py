"""Helpers for tests without a sound card: synthetic tone packs and frequency analysis.

A tone pack gives every token a pure tone of its own frequency, so the order of clips in a
rendered announcement can be read back from the audio itself.
"""

from __future__ import annotations

import itertools
import math
import wave
from array import array
from pathlib import Path

from display.voice.pack import write_manifest
from display.voice.wav import AudioFormat

__all__ = ["dominant_frequency", "make_tone_pack", "samples", "silent_runs", "tone"]


def tone(hz: float, ms: float, fmt: AudioFormat | None = None, *, amplitude: float = 0.5) -> bytes:
    """Raw 16-bit frames of a sine tone (every channel the same)."""
    fmt = fmt or AudioFormat()
    if fmt.sample_width != 2:
        raise ValueError("tone() writes 16-bit audio only")
    count = fmt.frames_for(ms)
    peak = amplitude * 32767
    # A quarter-period phase offset keeps every sample of a tone away from exact zero runs.
    values = [
        round(peak * math.sin(2 * math.pi * hz * i / fmt.rate + math.pi / 4)) or 1
        for i in range(count)
    ]
    interleaved = array("h", [value for value in values for _ in range(fmt.channels)])
    return interleaved.tobytes()


def make_tone_pack(
    path: Path,
    texts: dict[str, str],
    *,
    fmt: AudioFormat | None = None,
    base_hz: float = 200.0,
    step_hz: float = 40.0,
    name: str = "tones",
) -> dict[str, float]:
    """Write a pack whose clip i is a tone of base_hz + i * step_hz; return token → Hz."""
    fmt = fmt or AudioFormat()
    path.mkdir(parents=True, exist_ok=True)
    frequencies: dict[str, float] = {}
    for index, token in enumerate(texts):
        hz = base_hz + index * step_hz
        frequencies[token] = hz
        with wave.open(str(path / f"{token}.wav"), "wb") as writer:
            writer.setnchannels(fmt.channels)
            writer.setsampwidth(fmt.sample_width)
            writer.setframerate(fmt.rate)
            # Lengths differ by token too, so a clip swapped for another changes the timing.
            writer.writeframes(tone(hz, 90 + 10 * (index % 7), fmt))
    write_manifest(path, name=name, texts=dict(texts), fmt=fmt)
    return frequencies


def samples(frames: bytes) -> array[int]:
    """16-bit mono frames as an array of ints."""
    return array("h", frames)


def dominant_frequency(values: array[int] | list[int], rate: int) -> float:
    """Frequency of a pure tone, from its zero crossings."""
    crossings = sum(1 for a, b in itertools.pairwise(values) if (a < 0) != (b < 0))
    return crossings * rate / (2 * len(values))


def silent_runs(values: array[int] | list[int], min_frames: int) -> list[tuple[int, int]]:
    """(start, end) of every run of at least min_frames exact-zero samples."""
    runs: list[tuple[int, int]] = []
    start: int | None = None
    for index, value in enumerate([*values, 1]):
        if value == 0 and start is None:
            start = index
        elif value != 0 and start is not None:
            if index - start >= min_frames:
                runs.append((start, index))
            start = None
    return runs
