"""Clip packs: a directory of WAV clips named by token, plus a manifest.json.

    packs/default/
        manifest.json   {"name": ..., "format": {...}, "one_as_yao": false,
                         "clips": {"qing": "请", "A": "A", "0": "零", ...}}
        qing.wav  A.wav  0.wav  ...

``clips`` maps each token to the text its clip says; the tokenizer uses those texts to cut
a template's fixed words into clips. Run ``python -m display.voice --help`` for the
command line (make the default pack, check a pack, say a call into a WAV file).
"""

from __future__ import annotations

import json
import math
import os
import re
import sys
from array import array
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from display.voice.errors import PackError
from display.voice.tokens import PAUSE
from display.voice.wav import AudioFormat, convert_pcm, read_wav

__all__ = [
    "MANIFEST",
    "PACK_ENV",
    "ClipPack",
    "default_pack_dir",
    "load_pack",
    "make_chime",
    "write_manifest",
]

MANIFEST = "manifest.json"
#: A pack may bring its own chime (played before each announcement) as chime.wav.
CHIME_FILE = "chime.wav"
#: Environment variable naming the clip pack directory to use instead of the default.
PACK_ENV = "HALLQ_VOICE_PACK"
_TOKEN = re.compile(r"^[A-Za-z0-9_-]{1,64}$")


def default_pack_dir() -> Path:
    """The pack used when none is given: $HALLQ_VOICE_PACK, else the generated default pack."""
    configured = os.environ.get(PACK_ENV)
    if configured:
        return Path(configured)
    return Path(__file__).resolve().parent / "packs" / "default"


@dataclass(frozen=True)
class ClipPack:
    """A loaded clip pack: every clip's raw frames in the pack's audio format."""

    path: Path
    name: str
    format: AudioFormat
    texts: dict[str, str]
    clips: dict[str, bytes] = field(repr=False)
    one_as_yao: bool = False
    manifest: dict[str, Any] = field(default_factory=dict, repr=False)
    #: Frames of the chime before an announcement: the pack's chime.wav, else a synthesized 叮咚.
    chime: bytes = field(default=b"", repr=False)

    @property
    def phrases(self) -> dict[str, str]:
        """Text said → token, for cutting a template's fixed words into clips."""
        return {text: token for token, text in self.texts.items()}

    def frames(self, token: str) -> bytes:
        """Raw frames of one clip."""
        try:
            return self.clips[token]
        except KeyError:
            raise PackError(
                f"clip pack {self.name!r} ({self.path}) has no clip {token!r}"
            ) from None

    def missing(self, tokens: Iterable[str]) -> list[str]:
        """The tokens (in order, once each) that have no clip in this pack."""
        seen: dict[str, None] = {}
        for token in tokens:
            if token != PAUSE and token not in self.clips:
                seen[token] = None
        return list(seen)


def _read_manifest(path: Path) -> dict[str, Any]:
    manifest_path = path / MANIFEST
    if not path.is_dir():
        raise PackError(
            f"clip pack {path} does not exist; generate the default one with"
            " 'python -m display.voice make' (scripts/setup.sh does)"
        )
    try:
        data = json.loads(manifest_path.read_text(encoding="utf-8"))
    except FileNotFoundError as err:
        raise PackError(f"{manifest_path} is missing") from err
    except (json.JSONDecodeError, UnicodeDecodeError) as err:
        raise PackError(f"{manifest_path} is not valid JSON: {err}") from err
    if not isinstance(data, dict) or not isinstance(data.get("clips"), dict) or not data["clips"]:
        raise PackError(f'{manifest_path}: needs a non-empty "clips" object (token → text)')
    return data


def _pack_format(data: dict[str, Any], where: Path) -> AudioFormat:
    raw = data.get("format", {})
    try:
        return AudioFormat(
            int(raw.get("rate", 16000)),
            int(raw.get("channels", 1)),
            int(raw.get("sample_width", 2)),
        )
    except (AttributeError, TypeError, ValueError) as err:
        raise PackError(f'{where / MANIFEST}: bad "format" {raw!r}: {err}') from err


def load_pack(path: Path | str | None = None, *, convert: bool = True) -> ClipPack:
    """Load a clip pack; clips in another WAV format are converted (or refused if not convert)."""
    path = Path(path) if path is not None else default_pack_dir()
    data = _read_manifest(path)
    fmt = _pack_format(data, path)
    texts: dict[str, str] = {}
    clips: dict[str, bytes] = {}
    for token, text in data["clips"].items():
        if not isinstance(token, str) or not _TOKEN.match(token):
            raise PackError(f"{path / MANIFEST}: bad token {token!r} (letters, digits, _ and -)")
        if not isinstance(text, str) or not text.strip():
            raise PackError(f"{path / MANIFEST}: clip {token!r} needs the text it says")
        texts[token] = text.strip()
        clips[token] = read_wav(path / f"{token}.wav", fmt, convert=convert)
    chime_file = path / CHIME_FILE
    chime = read_wav(chime_file, fmt, convert=convert) if chime_file.exists() else make_chime(fmt)
    return ClipPack(
        path=path,
        name=str(data.get("name", path.name)),
        format=fmt,
        texts=texts,
        clips=clips,
        one_as_yao=bool(data.get("one_as_yao", False)),
        manifest=data,
        chime=chime,
    )


def make_chime(fmt: AudioFormat, *, ms: float = 380.0) -> bytes:
    """A soft two-note chime (叮咚, E6 then C6 with a decaying envelope) in the pack format."""
    rate = fmt.rate
    half = int(rate * ms / 2000)
    values: list[int] = []
    for hz in (1318.5, 1046.5):
        for i in range(half):
            t = i / rate
            envelope = math.exp(-6.0 * i / half) * min(1.0, i / (0.004 * rate))
            sample = math.sin(2 * math.pi * hz * t) + 0.3 * math.sin(4 * math.pi * hz * t)
            values.append(round(0.35 * 32767 / 1.3 * envelope * sample))
    mono = AudioFormat(rate, 1, 2)
    frames = array("h", values)
    if sys.byteorder == "big":
        frames.byteswap()
    return convert_pcm(frames.tobytes(), mono, fmt) if fmt != mono else frames.tobytes()


def write_manifest(
    path: Path,
    *,
    name: str,
    texts: dict[str, str],
    fmt: AudioFormat,
    one_as_yao: bool = False,
    **extra: Any,
) -> None:
    """Write a pack's manifest.json."""
    data = {
        "name": name,
        **extra,
        "format": {"rate": fmt.rate, "channels": fmt.channels, "sample_width": fmt.sample_width},
        "one_as_yao": one_as_yao,
        "clips": texts,
    }
    (path / MANIFEST).write_text(
        json.dumps(data, ensure_ascii=False, indent=2) + "\n", encoding="utf-8"
    )
