"""Framers: lines for scanners, stuffed frames for evaluators and LED boards."""

import binascii

from hypothesis import given
from hypothesis import strategies as st

from drivers.framing import FrameFramer, FramingError, LineFramer, crc16_ccitt, stuff


def test_crc16_ccitt_false_check_value() -> None:
    assert crc16_ccitt(b"123456789") == 0x29B1


@given(st.binary(max_size=200))
def test_crc16_matches_the_standard_library(data: bytes) -> None:
    assert crc16_ccitt(data) == binascii.crc_hqx(data, 0xFFFF)


def test_stuff_escapes_stx_etx_dle() -> None:
    assert stuff(b"\x01\x02\x03\x10\x04") == b"\x02\x01\x10\x22\x10\x23\x10\x30\x04\x03"


def test_frame_split_across_chunks() -> None:
    framer = FrameFramer()
    wire = stuff(b"\x02hello\x10")
    events = [e for i in range(len(wire)) for e in framer.feed(wire[i : i + 1])]
    assert events == [b"\x02hello\x10"]


def test_frame_framer_resyncs_after_garbage_and_truncation() -> None:
    framer = FrameFramer()
    events = framer.feed(b"junk" + b"\x02half" + stuff(b"ok") + b"\xff")
    assert events == [
        FramingError("garbage between frames", 4),
        FramingError("frame cut short by STX", 5),
        b"ok",
    ]
    assert framer.feed(stuff(b"next")) == [FramingError("garbage between frames", 1), b"next"]


def test_frame_framer_drops_overlong_frames() -> None:
    framer = FrameFramer(max_body=4)
    assert framer.feed(b"\x0212345\x03" + stuff(b"1234")) == [
        FramingError("frame too long", 5),
        FramingError("garbage between frames", 1),
        b"1234",
    ]


def test_dle_before_etx_is_an_error() -> None:
    assert FrameFramer().feed(b"\x02ab\x10\x03") == [FramingError("DLE before ETX", 4)]


@given(st.lists(st.binary(max_size=40), max_size=20))
def test_frame_framer_never_raises_on_any_bytes(chunks: list[bytes]) -> None:
    framer = FrameFramer(max_body=16)
    for chunk in chunks:
        for event in framer.feed(chunk):
            assert isinstance(event, bytes | FramingError)
    assert framer.feed(stuff(b"after"))[-1] == b"after"


@given(st.lists(st.binary(min_size=0, max_size=60), max_size=10))
def test_any_bodies_survive_stuffing(bodies: list[bytes]) -> None:
    framer = FrameFramer(max_body=100)
    assert framer.feed(b"".join(stuff(b) for b in bodies)) == bodies


def test_line_framer_cr_lf_crlf_and_partials() -> None:
    framer = LineFramer()
    assert framer.feed(b"ABC\r") == [b"ABC"]
    assert framer.feed(b"\nDEF") == []
    assert framer.feed(b"\nGHI\r\nJK") == [b"DEF", b"GHI"]
    assert framer.feed(b"L\n\n\r") == [b"JKL"]


def test_line_framer_drops_overlong_garbage_then_recovers() -> None:
    framer = LineFramer(max_line=8)
    assert framer.feed(b"x" * 20) == []
    assert framer.feed(b"yy\r\nOK\n") == [FramingError("line too long", 22), b"OK"]


@given(st.lists(st.binary(max_size=80), max_size=20))
def test_line_framer_never_raises(chunks: list[bytes]) -> None:
    framer = LineFramer(max_line=32)
    for chunk in chunks:
        framer.feed(chunk)
    assert framer.feed(b"\nCODE\n")[-1] == b"CODE"
