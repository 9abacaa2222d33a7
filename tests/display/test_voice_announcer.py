"""Rendering calls with a synthetic pack: each clip a tone, so the order is in the audio."""

from __future__ import annotations

import io
import json
import wave
from pathlib import Path

import pytest

from display.voice import (
    CHIME,
    Announcer,
    AudioFormat,
    Call,
    PackError,
    TemplateError,
    VoiceConfig,
    load_pack,
)
from display.voice.espeak import DEFAULT_CLIPS
from display.voice.testing import dominant_frequency, make_tone_pack, samples, silent_runs

TEXTS = {token: text for token, (text, _, _) in DEFAULT_CLIPS.items()}
A001_TO_3 = ["qing", "A", "0", "0", "1", "hao", "dao", "3", "hao", "chuangkou", "banli"]


@pytest.fixture
def tone_pack(tmp_path: Path) -> tuple[Path, dict[str, float]]:
    return tmp_path / "tones", make_tone_pack(tmp_path / "tones", TEXTS)


def read_wav(data: bytes) -> tuple[AudioFormat, bytes]:
    with wave.open(io.BytesIO(data), "rb") as reader:
        fmt = AudioFormat(reader.getframerate(), reader.getnchannels(), reader.getsampwidth())
        return fmt, reader.readframes(reader.getnframes())


def nearest_token(hz: float, frequencies: dict[str, float]) -> str:
    token, expected = min(frequencies.items(), key=lambda item: abs(item[1] - hz))
    assert abs(expected - hz) < 10, f"{hz:.0f} Hz is no clip's tone"
    return token


def test_a_call_is_a_chime_then_the_call_once(tone_pack: tuple[Path, dict[str, float]]) -> None:
    path, _ = tone_pack
    pack = load_pack(path)
    rendering = Announcer(pack).render(Call(ticket="A001", window="3"))
    chime, pause, *rest = rendering.segments
    assert chime.token == CHIME and chime.start == 0 and pause.token is None
    audio = read_wav(rendering.wav)[1]
    assert audio[: chime.frames * 2] == pack.chime
    assert 0.2 < chime.frames / 16000 < 0.5  # short: the hall looks up, the call follows
    assert [s.token for s in rest if s.token is not None] == A001_TO_3  # once by default


def test_call_is_said_twice_in_order_by_segments(tone_pack: tuple[Path, dict[str, float]]) -> None:
    path, frequencies = tone_pack
    announcer = Announcer(load_pack(path), VoiceConfig(repeat=2, chime=False))
    rendering = announcer.render(Call(ticket="A001", window="3"))

    fmt, frames = read_wav(rendering.wav)
    assert fmt == AudioFormat(16000, 1, 2)
    audio = samples(frames)
    assert len(audio) == rendering.frames
    clips = [segment for segment in rendering.segments if segment.token is not None]
    assert [segment.token for segment in clips] == A001_TO_3 * 2
    # The segments are not just labels: the audio at each one is that token's tone.
    heard = [
        nearest_token(
            dominant_frequency(audio[s.start : s.start + s.frames], fmt.rate), frequencies
        )
        for s in clips
    ]
    assert heard == A001_TO_3 * 2


def test_call_order_read_from_the_audio_alone(tone_pack: tuple[Path, dict[str, float]]) -> None:
    path, frequencies = tone_pack
    config = VoiceConfig(gap_ms=40, repeat_pause_ms=700, repeat=2, chime=False)
    rendering = Announcer(load_pack(path), config).render(Call(ticket="B207", window="12"))
    audio = samples(read_wav(rendering.wav)[1])

    runs = silent_runs(audio, min_frames=160)  # 10 ms of digital silence separates clips
    bounds = [0] + [edge for run in runs for edge in run] + [len(audio)]
    pieces = [audio[start:end] for start, end in zip(bounds[::2], bounds[1::2], strict=True)]
    heard = [nearest_token(dominant_frequency(piece, 16000), frequencies) for piece in pieces]
    once = ["qing", "B", "2", "0", "7", "hao", "dao", "shi", "2", "hao", "chuangkou", "banli"]
    assert heard == once * 2
    gaps = [(end - start) / 16 for start, end in runs]  # in ms
    assert gaps[len(once) - 1] == pytest.approx(700)
    assert gaps[: len(once) - 1] == [pytest.approx(40)] * (len(once) - 1)


def test_template_recall_repeat_and_yao(tone_pack: tuple[Path, dict[str, float]]) -> None:
    path, _ = tone_pack
    config = VoiceConfig(
        template="请{ticket}号到{window}号窗口",
        recall_template="请{ticket}号，再次到{window}号窗口",
        repeat=3,
        one_as_yao=True,
    )
    announcer = Announcer(load_pack(path), config)
    call = announcer.render(Call(ticket="A1", window="1"))
    assert [s.token for s in call.segments if s.token and s.token != CHIME] == [
        "qing",
        "A",
        "yao",
        "hao",
        "dao",
        "1",
        "hao",
        "chuangkou",
    ] * 3
    recall = announcer.render(Call(ticket="A1", window="1", recall=True))
    assert recall.tokens == (
        "qing",
        "A",
        "yao",
        "hao",
        ",",
        "zaici",
        "dao",
        "1",
        "hao",
        "chuangkou",
    )
    assert recall.duration > call.duration


def test_template_needing_a_missing_clip_fails_at_start(
    tone_pack: tuple[Path, dict[str, float]],
) -> None:
    path, _ = tone_pack
    with pytest.raises(TemplateError, match="'叫号台'"):
        Announcer(load_pack(path), VoiceConfig(template="请{ticket}号到{window}号叫号台"))


def test_ticket_letter_missing_from_a_hall_pack(tmp_path: Path) -> None:
    texts = {token: text for token, text in TEXTS.items() if token != "Q"}
    make_tone_pack(tmp_path, texts)
    announcer = Announcer(load_pack(tmp_path))
    with pytest.raises(TemplateError, match="no clip for Q"):
        announcer.render(Call(ticket="Q001", window="3"))


def test_clips_in_other_formats_are_converted(tmp_path: Path) -> None:
    # A hall re-records some clips on a phone: 44.1 kHz stereo, or 8-bit 8 kHz.
    make_tone_pack(tmp_path / "src", TEXTS)
    frequencies = make_tone_pack(tmp_path / "cd", TEXTS, fmt=AudioFormat(44100, 2, 2))
    pack = load_pack(tmp_path / "cd")
    assert pack.format == AudioFormat(44100, 2, 2)  # the manifest says so: no conversion
    # Now declare the pack 16 kHz mono: every clip is converted on load.
    manifest = tmp_path / "cd" / "manifest.json"
    data = json.loads(manifest.read_text(encoding="utf-8"))
    data["format"] = {"rate": 16000, "channels": 1, "sample_width": 2}
    manifest.write_text(json.dumps(data), encoding="utf-8")
    converted = load_pack(tmp_path / "cd")
    assert converted.format == AudioFormat(16000, 1, 2)
    clip = samples(converted.frames("chuangkou"))
    original = samples(load_pack(tmp_path / "src").frames("chuangkou"))
    assert abs(len(clip) - len(original)) <= 1
    assert dominant_frequency(clip, 16000) == pytest.approx(frequencies["chuangkou"], abs=10)
    with pytest.raises(PackError, match=r"44100 Hz, 2 channel\(s\), 16-bit, the pack needs 16000"):
        load_pack(tmp_path / "cd", convert=False)


def test_8_bit_and_upsampled_clips_are_converted(tmp_path: Path) -> None:
    make_tone_pack(tmp_path, {"qing": "请"}, fmt=AudioFormat(8000, 1, 2))
    # Rewrite the clip as 8-bit unsigned PCM at 8 kHz.
    with wave.open(str(tmp_path / "qing.wav"), "rb") as reader:
        values = samples(reader.readframes(reader.getnframes()))
    with wave.open(str(tmp_path / "qing.wav"), "wb") as writer:
        writer.setnchannels(1)
        writer.setsampwidth(1)
        writer.setframerate(8000)
        writer.writeframes(bytes((value >> 8) + 128 for value in values))
    (tmp_path / "manifest.json").write_text(
        '{"clips": {"qing": "请"}, "format": {"rate": 16000}}', encoding="utf-8"
    )
    clip = samples(load_pack(tmp_path).frames("qing"))
    assert len(clip) == 2 * len(values)
    assert dominant_frequency(clip, 16000) == pytest.approx(200, abs=10)
    assert max(clip) > 10000


@pytest.mark.parametrize(
    ("damage", "message"),
    [
        (lambda p: (p / "hao.wav").unlink(), "hao.wav: clip file is missing"),
        (lambda p: (p / "hao.wav").write_bytes(b"RIFF\x00\x00junk"), "hao.wav: not a PCM WAV"),
        (lambda p: (p / "manifest.json").write_text("{", encoding="utf-8"), "not valid JSON"),
        (
            lambda p: (p / "manifest.json").write_text('{"clips": {}}', encoding="utf-8"),
            "non-empty",
        ),
        (
            lambda p: (p / "manifest.json").write_text(
                '{"clips": {"../x": "x"}}', encoding="utf-8"
            ),
            "bad token",
        ),
    ],
)
def test_broken_packs_are_refused_clearly(tmp_path: Path, damage: object, message: str) -> None:
    make_tone_pack(tmp_path, TEXTS)
    damage(tmp_path)  # type: ignore[operator]
    with pytest.raises(PackError, match=message):
        load_pack(tmp_path)


def test_missing_pack_says_how_to_make_one(tmp_path: Path) -> None:
    with pytest.raises(PackError, match=r"python -m display\.voice make"):
        load_pack(tmp_path / "nowhere")


def test_config_from_mapping_refuses_unknown_keys() -> None:
    config = VoiceConfig.from_mapping({"template": "请{ticket}号", "repeat": 1})
    assert config.repeat == 1
    with pytest.raises(ValueError, match="unknown voice settings"):
        VoiceConfig.from_mapping({"templat": "x"})
    with pytest.raises(ValueError):
        VoiceConfig(repeat=0)


def test_call_from_display_message() -> None:
    message = {
        "type": "call",
        "ticket": "A001",
        "window": 3,
        "service": "SB01",
        "at": "2026-11-23T09:00:00+08:00",
        "recall": True,
    }
    assert Call.from_message(message) == Call(
        "A001", "3", "SB01", True, "2026-11-23T09:00:00+08:00"
    )
