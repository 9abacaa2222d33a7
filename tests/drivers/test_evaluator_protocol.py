"""HQE/1 evaluator codec, as exact bytes (the examples of docs/protocols/evaluator.md)."""

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from drivers.errors import ProtocolError
from drivers.evaluator_protocol import (
    Ack,
    EvaluatorDecoder,
    Garbled,
    Heartbeat,
    Nak,
    NakCode,
    Prompt,
    Rating,
    Received,
    Status,
    decode_body,
    encode,
)

HEARTBEAT_1 = bytes.fromhex("02 01 01 05 00 00 26 19 03")
PROMPT_7 = bytes.fromhex(
    "02 01 07 01 00 19 04 41 30 30 31 04 74 2d 34 32 01 33"
    " 06 e5 bc a0 e4 b8 89 04 30 31 30 37 3c 0b 0d 03"
)
RATING_9 = bytes.fromhex("02 01 09 10 22 00 09 04 74 2d 34 32 01 10 22 01 10 22 72 43 03")
ACK_8 = bytes.fromhex("02 01 08 10 23 00 10 22 09 00 7e c7 03")
NAK_2 = bytes.fromhex("02 01 10 22 04 00 10 22 09 01 8f 30 03")
STATUS_3 = bytes.fromhex("02 01 10 23 06 00 06 00 00 10 23 31 2e 30 3c d7 03")

EXAMPLES = [
    (1, Heartbeat(), HEARTBEAT_1),
    (7, Prompt("A001", "t-42", "3", "张三", "0107"), PROMPT_7),
    (9, Rating("t-42", 1, (1, 2)), RATING_9),
    (8, Ack(9), ACK_8),
    (2, Nak(9, NakCode.ALREADY_RATED), NAK_2),
    (3, Status(0, 0, "1.0"), STATUS_3),
]


@pytest.mark.parametrize(("seq", "message", "wire"), EXAMPLES)
def test_encode_exact_bytes(seq: int, message: object, wire: bytes) -> None:
    assert encode(seq, message) == wire  # type: ignore[arg-type]


@pytest.mark.parametrize(("seq", "message", "wire"), EXAMPLES)
def test_decode_exact_bytes(seq: int, message: object, wire: bytes) -> None:
    assert EvaluatorDecoder().feed(wire) == [Received(seq, message)]  # type: ignore[arg-type]


def test_prompt_default_timeout_is_sent() -> None:
    assert PROMPT_7[-4] == 0x3C  # 60 seconds, just before the CRC


def test_bad_crc_is_garbled_and_the_next_frame_still_decodes() -> None:
    bad = HEARTBEAT_1[:-2] + b"\x00\x03"
    assert EvaluatorDecoder().feed(bad + ACK_8) == [Garbled("bad CRC"), Received(8, Ack(9))]


@pytest.mark.parametrize(
    ("body", "reason"),
    [
        (b"\x01\x01\x05\x00", "frame too short"),
        (b"\x02\x01\x05\x00\x00\x00\x00", "unsupported protocol version 2"),
        (b"\x01\x01\x05\x00\x01\x00\x00", "length field does not match the frame"),
    ],
)
def test_bad_bodies(body: bytes, reason: str) -> None:
    with pytest.raises(ProtocolError, match=reason):
        decode_body(body)


def _frame(kind: int, payload: bytes) -> bytes:
    from drivers.framing import crc16_ccitt

    head = bytes((1, 5, kind, 0, len(payload)))
    crc = crc16_ccitt(head + payload)
    return head + payload + crc.to_bytes(2, "big")


def test_rating_level_out_of_range_refused() -> None:
    with pytest.raises(ProtocolError, match=r"not in 1\.\.5"):
        decode_body(_frame(0x02, b"\x01x\x06\x00"))
    with pytest.raises(ProtocolError, match=r"not in 1\.\.5"):
        encode(1, Rating("x", 0))


def test_reasons_only_for_bad_reviews() -> None:
    with pytest.raises(ProtocolError, match="reasons are only"):
        decode_body(_frame(0x02, b"\x01x\x04\x01\x01"))


def test_unknown_type_and_trailing_bytes() -> None:
    with pytest.raises(ProtocolError, match="unknown message type 0x7f"):
        decode_body(_frame(0x7F, b""))
    with pytest.raises(ProtocolError, match="trailing bytes"):
        decode_body(_frame(0x05, b"\x00"))


def test_non_utf8_text_is_a_protocol_error() -> None:
    with pytest.raises(ProtocolError, match="not UTF-8"):
        decode_body(_frame(0x02, b"\x02\xff\xfe\x05\x00"))


def test_long_text_is_cut_on_a_character_boundary() -> None:
    (event,) = EvaluatorDecoder().feed(encode(1, Prompt("A1", "t", "1", "张" * 200, "9")))
    assert isinstance(event, Received)
    assert event.message.staff_name == "张" * 85  # type: ignore[union-attr]


@given(st.binary(max_size=300))
def test_decoder_never_raises(data: bytes) -> None:
    decoder = EvaluatorDecoder()
    decoder.feed(data)
    assert decoder.feed(HEARTBEAT_1)[-1] == Received(1, Heartbeat())


TEXT = st.text(max_size=40)
REASONS = st.lists(st.integers(0, 255), max_size=10).map(tuple)
MESSAGES = st.one_of(
    st.builds(Prompt, TEXT, TEXT, TEXT, TEXT, TEXT, st.integers(0, 255)),
    st.builds(Rating, TEXT, st.integers(3, 5)),
    st.builds(Rating, TEXT, st.integers(1, 2), REASONS),
    st.builds(Ack, st.integers(0, 255), st.integers(0, 255)),
    st.builds(Nak, st.integers(0, 255), st.integers(0, 255)),
    st.just(Heartbeat()),
    st.builds(Status, st.integers(0, 255), st.integers(0, 255), TEXT),
)


# Drawing messages is slow on a loaded machine; that says nothing about the codec.
@settings(suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.tuples(st.integers(0, 255), MESSAGES), max_size=8), st.integers(1, 7))
def test_any_messages_round_trip_in_any_chunking(
    frames: list[tuple[int, object]], chunk: int
) -> None:
    wire = b"".join(encode(seq, message) for seq, message in frames)  # type: ignore[arg-type]
    decoder = EvaluatorDecoder()
    got = [e for i in range(0, len(wire), chunk) for e in decoder.feed(wire[i : i + chunk])]
    assert got == [Received(seq, message) for seq, message in frames]  # type: ignore[arg-type]
