"""HQL/1 LED board codec, as exact bytes (the examples of docs/protocols/led-board.md)."""

import pytest
from hypothesis import given
from hypothesis import strategies as st

from drivers import led_protocol as hql
from drivers.errors import ProtocolError


def test_show_text_exact_bytes() -> None:
    # ADDR 01, CMD 10 (stuffed 10 30), LEN 0a, line 0, red, 请 c7eb A001 号 bac5, CHK e1
    assert hql.show_text(1, 0, "请A001号") == bytes.fromhex(
        "02 01 10 30 0a 00 01 c7 eb 41 30 30 31 ba c5 e1 03"
    )


def test_clear_brightness_reply_exact_bytes() -> None:
    assert hql.clear(3) == bytes.fromhex("02 10 23 11 01 ff ec 03")
    assert hql.brightness(2, 8) == bytes.fromhex("02 10 22 12 01 08 e3 03")
    assert hql.reply(1, hql.LedCommand.SHOW) == bytes.fromhex("02 01 06 01 10 30 e8 03")
    assert hql.reply(1, 0x10, nak_code=2) == bytes.fromhex("02 01 15 10 22 10 30 10 22 d6 03")


def test_scroll_exact_bytes() -> None:
    assert hql.scroll(5, 1, "AB", speed=12) == bytes.fromhex("02 05 13 04 01 09 41 42 57 03")


def test_checksum_makes_the_body_sum_to_zero() -> None:
    body = bytes.fromhex("01 10 0a 00 01 c7 eb 41 30 30 31 ba c5")
    assert (sum(body) + hql.checksum(body)) & 0xFF == 0


def test_gb2312_fallback_and_controls() -> None:
    assert hql.encode_gb2312("A\x1b号𠀀") == b"A\xba\xc5\xa1\xf5"


def test_text_is_clipped_without_splitting_a_character() -> None:
    frame = hql.show_text(1, 0, "号" * 200)
    (event,) = hql.LedDecoder().feed(frame)
    assert isinstance(event, hql.LedFrame)
    assert len(event.data) == 2 + 248
    assert event.data[2:].decode("gb2312") == "号" * 124


def test_decode_round_trip_and_garbage() -> None:
    decoder = hql.LedDecoder()
    events = decoder.feed(b"\x00\x99" + hql.clear(3)[:-3] + b"\x00\x03" + hql.brightness(2, 8))
    assert events == [
        hql.LedGarbled("garbage between frames (2 bytes)"),
        hql.LedGarbled("bad checksum"),
        hql.LedFrame(2, hql.LedCommand.BRIGHTNESS, b"\x08"),
    ]


def test_invalid_arguments() -> None:
    with pytest.raises(ProtocolError):
        hql.brightness(1, 16)
    with pytest.raises(ProtocolError):
        hql.encode_led(256, 0x10)
    with pytest.raises(ProtocolError, match="length field"):
        hql.decode_led_body(b"\x01\x10\x05\x00\xea")


@given(st.binary(max_size=300))
def test_decoder_never_raises(data: bytes) -> None:
    decoder = hql.LedDecoder()
    decoder.feed(data)
    assert decoder.feed(hql.clear(1))[-1] == hql.LedFrame(1, hql.LedCommand.CLEAR, b"\xff")


@given(st.lists(st.tuples(st.integers(0, 255), st.integers(0, 255), st.binary(max_size=250)),
                max_size=8))
def test_any_frames_round_trip(frames: list[tuple[int, int, bytes]]) -> None:
    wire = b"".join(hql.encode_led(a, c, d) for a, c, d in frames)
    assert hql.LedDecoder().feed(wire) == [hql.LedFrame(a, c, d) for a, c, d in frames]
