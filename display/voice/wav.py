"""PCM WAV reading, format conversion, silence and encoding, with the standard library only."""

from __future__ import annotations

import io
import sys
import wave
from array import array
from dataclasses import dataclass
from pathlib import Path

from display.voice.errors import PackError

__all__ = ["AudioFormat", "convert_pcm", "encode_wav", "read_wav", "silence"]


@dataclass(frozen=True)
class AudioFormat:
    """Sample rate (Hz), channel count and bytes per sample of raw PCM audio."""

    rate: int = 16000
    channels: int = 1
    sample_width: int = 2

    def __post_init__(self) -> None:
        if self.rate < 1000 or self.channels < 1 or self.sample_width not in (1, 2, 3, 4):
            raise ValueError(f"unsupported audio format {self}")

    @property
    def frame_size(self) -> int:
        """Bytes per frame (one sample for every channel)."""
        return self.channels * self.sample_width

    def frames_for(self, ms: float) -> int:
        """Number of frames in ``ms`` milliseconds."""
        return round(self.rate * ms / 1000)

    def __str__(self) -> str:
        return f"{self.rate} Hz, {self.channels} channel(s), {8 * self.sample_width}-bit"


def read_wav(path: Path, target: AudioFormat, *, convert: bool = True) -> bytes:
    """Read a PCM WAV file as raw frames in ``target`` format, converting or refusing others."""
    try:
        with wave.open(str(path), "rb") as reader:
            source = AudioFormat(
                reader.getframerate(), reader.getnchannels(), reader.getsampwidth()
            )
            frames = reader.readframes(reader.getnframes())
    except FileNotFoundError as err:
        raise PackError(f"{path}: clip file is missing") from err
    except (wave.Error, EOFError, ValueError) as err:
        raise PackError(
            f"{path}: not a PCM WAV file ({err}); convert it with e.g."
            f" 'sox IN -r {target.rate} -c {target.channels}"
            f" -b {8 * target.sample_width} -e signed-integer {path.name}'"
        ) from err
    if not frames:
        raise PackError(f"{path}: clip has no audio")
    if source == target:
        return frames
    if not convert:
        raise PackError(f"{path}: clip is {source}, the pack needs {target}")
    return convert_pcm(frames, source, target)


def convert_pcm(frames: bytes, source: AudioFormat, target: AudioFormat) -> bytes:
    """Convert raw PCM between sample widths, channel counts and sample rates."""
    channels = _decode(frames, source)
    mono = channels[0] if len(channels) == 1 else _mix(channels)
    mono = _resample(mono, source.rate, target.rate)
    return _encode([mono] * target.channels, target.sample_width)


def silence(fmt: AudioFormat, ms: float) -> bytes:
    """Raw frames of ``ms`` milliseconds of silence."""
    zero = b"\x80" if fmt.sample_width == 1 else b"\x00" * fmt.sample_width
    return zero * (fmt.frames_for(ms) * fmt.channels)


def encode_wav(frames: bytes, fmt: AudioFormat) -> bytes:
    """Wrap raw frames into WAV file bytes."""
    buffer = io.BytesIO()
    with wave.open(buffer, "wb") as writer:
        writer.setnchannels(fmt.channels)
        writer.setsampwidth(fmt.sample_width)
        writer.setframerate(fmt.rate)
        writer.writeframes(frames)
    return buffer.getvalue()


# Samples are handled as ints scaled to the 32-bit range, so every width converts exactly
# to a wider one and by truncation to a narrower one.


def _decode(frames: bytes, fmt: AudioFormat) -> list[list[int]]:
    width = fmt.sample_width
    usable = len(frames) - len(frames) % fmt.frame_size
    if width == 1:
        samples = [(byte - 128) << 24 for byte in frames[:usable]]
    elif width == 3:
        samples = [
            int.from_bytes(frames[i : i + 3], "little", signed=True) << 8
            for i in range(0, usable, 3)
        ]
    else:
        typed = array("h" if width == 2 else "i", frames[:usable])
        if sys.byteorder == "big":
            typed.byteswap()
        shift = 32 - 8 * width
        samples = [value << shift for value in typed]
    return [samples[channel :: fmt.channels] for channel in range(fmt.channels)]


def _mix(channels: list[list[int]]) -> list[int]:
    count = len(channels)
    return [sum(values) // count for values in zip(*channels, strict=True)]


def _resample(samples: list[int], source_rate: int, target_rate: int) -> list[int]:
    if source_rate == target_rate or not samples:
        return samples
    step = source_rate / target_rate
    count = max(1, round(len(samples) / step))
    if step > 1:
        # Downsampling: average each output sample's span of input (a box low-pass filter),
        # so a 44.1 kHz phone recording does not alias into the 8 kHz band.
        prefix = [0]
        for value in samples:
            prefix.append(prefix[-1] + value)
        out = []
        for i in range(count):
            start = min(int(i * step), len(samples) - 1)
            end = max(start + 1, min(int((i + 1) * step), len(samples)))
            out.append((prefix[end] - prefix[start]) // (end - start))
        return out
    last = len(samples) - 1
    out = []
    for i in range(count):
        position = i * step
        j = int(position)
        fraction = position - j
        following = samples[min(j + 1, last)]
        out.append(round(samples[j] * (1 - fraction) + following * fraction))
    return out


def _encode(channels: list[list[int]], width: int) -> bytes:
    interleaved = [value for frame in zip(*channels, strict=True) for value in frame]
    shift = 32 - 8 * width
    if width == 1:
        return bytes(((value >> 24) + 128) & 0xFF for value in interleaved)
    if width == 3:
        return b"".join((value >> 8).to_bytes(3, "little", signed=True) for value in interleaved)
    typed = array("h" if width == 2 else "i", [value >> shift for value in interleaved])
    if sys.byteorder == "big":
        typed.byteswap()
    return typed.tobytes()
