"""The default clip pack, generated for real with espeak-ng and sox, and a call said with it."""

from __future__ import annotations

import io
import json
import math
import wave
from pathlib import Path

import pytest

from display.voice import Announcer, Call, ClipPack, VoiceConfig, load_pack
from display.voice.espeak import DEFAULT_CLIPS, make_default_pack
from display.voice.testing import samples


@pytest.fixture(scope="module")
def pack_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return make_default_pack(tmp_path_factory.mktemp("voice") / "default")


@pytest.fixture(scope="module")
def pack(pack_dir: Path) -> ClipPack:
    return load_pack(pack_dir, convert=False)  # every clip must already be 16 kHz mono 16-bit


def clip_file_frames(path: Path) -> bytes:
    with wave.open(str(path), "rb") as reader:
        assert (reader.getframerate(), reader.getnchannels(), reader.getsampwidth()) == (
            16000,
            1,
            2,
        ), path
        return reader.readframes(reader.getnframes())


def rms(values: list[int]) -> float:
    return math.sqrt(sum(value * value for value in values) / len(values))


def test_every_clip_is_trimmed_mono_16k_speech(pack_dir: Path) -> None:
    manifest = json.loads((pack_dir / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["clips"]["chuangkou"] == "窗口"
    assert manifest["format"] == {"rate": 16000, "channels": 1, "sample_width": 2}
    assert set(manifest["clips"]) == set(DEFAULT_CLIPS)
    for token in DEFAULT_CLIPS:
        values = list(samples(clip_file_frames(pack_dir / f"{token}.wav")))
        assert 0.05 < len(values) / 16000 < 1.5, token
        assert rms(values) > 1500, f"{token} is nearly silent"
        # Trimmed: the first and last 10 ms already carry sound.
        assert max(map(abs, values[:160])) > 100, f"{token} starts with silence"
        assert max(map(abs, values[-160:])) > 100, f"{token} ends with silence"


def test_clips_are_distinct_recordings(pack: ClipPack) -> None:
    assert len(set(pack.clips.values())) == len(pack.clips)
    assert pack.clips["1"] != pack.clips["yao"]


def test_call_wav_is_the_clips_in_order_sample_for_sample(pack_dir: Path, pack: ClipPack) -> None:
    config = VoiceConfig(gap_ms=40, repeat_pause_ms=900, repeat=2, chime=False)
    rendering = Announcer(pack, config).render(Call(ticket="A001", window="3"))

    # The expected audio, built from the clip files directly.
    gap = b"\x00\x00" * 640
    pause = b"\x00\x00" * 14400
    once = ["qing", "A", "0", "0", "1", "hao", "dao", "3", "hao", "chuangkou", "banli"]
    said_once = gap.join(clip_file_frames(pack_dir / f"{token}.wav") for token in once)
    expected = said_once + pause + said_once

    with wave.open(io.BytesIO(rendering.wav), "rb") as reader:
        assert (reader.getframerate(), reader.getnchannels(), reader.getsampwidth()) == (
            16000,
            1,
            2,
        )
        frames = reader.readframes(reader.getnframes())
    assert len(frames) == len(expected)
    assert frames == expected
    assert 5 < rendering.duration < 14


def test_make_keeps_a_current_pack_and_a_halls_own(pack_dir: Path, tmp_path: Path) -> None:
    before = (pack_dir / "qing.wav").stat().st_mtime_ns
    assert make_default_pack(pack_dir, if_missing=True) == pack_dir
    assert (pack_dir / "qing.wav").stat().st_mtime_ns == before

    own = tmp_path / "own"
    own.mkdir()
    (own / "manifest.json").write_text(
        '{"name": "hall", "clips": {"qing": "请"}}', encoding="utf-8"
    )
    make_default_pack(own, if_missing=True)
    assert sorted(path.name for path in own.iterdir()) == ["manifest.json"]


def test_yao_pack_reads_one_as_yao(tmp_path: Path) -> None:
    pack = load_pack(make_default_pack(tmp_path / "yao", one_as_yao=True))
    assert pack.one_as_yao
    assert Announcer(pack).tokens(Call(ticket="A011", window="1"))[1:5] == ["A", "0", "yao", "yao"]
