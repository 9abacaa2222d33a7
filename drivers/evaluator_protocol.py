"""Hall Queue evaluator protocol v1 (HQE/1): a pure codec, see docs/protocols/evaluator.md."""

from __future__ import annotations

import struct
from dataclasses import dataclass
from enum import IntEnum

from drivers.errors import ProtocolError
from drivers.framing import FrameFramer, FramingError, crc16_ccitt, stuff

__all__ = [
    "BAD_REVIEW_REASONS",
    "LEVEL_NAMES",
    "VERSION",
    "Ack",
    "AckCode",
    "EvaluatorDecoder",
    "EvaluatorMessage",
    "Garbled",
    "Heartbeat",
    "MsgType",
    "Nak",
    "NakCode",
    "Prompt",
    "Rating",
    "Received",
    "Status",
    "decode_body",
    "encode",
]

VERSION = 0x01

# Five levels of 好差评; 不满意 and 非常不满意 are 差评 and carry reasons (江苏 第五条).
LEVEL_NAMES = {5: "非常满意", 4: "满意", 3: "基本满意", 2: "不满意", 1: "非常不满意"}

# Standard 差评 reasons a citizen can pick on the device for levels 1 and 2.
BAD_REVIEW_REASONS = {
    1: "服务态度差",
    2: "等候时间长",
    3: "办事效率低",
    4: "一次性告知不到位",
    5: "要求提供不必要材料",
    6: "多次跑动仍未办成",
    7: "业务不熟练",
    8: "办事指南不清楚",
    9: "环境设施不便",
    10: "违规收费或吃拿卡要",
    99: "其他",
}


class MsgType(IntEnum):
    """Message type byte."""

    PROMPT = 0x01
    RATING = 0x02
    ACK = 0x03
    NAK = 0x04
    HEARTBEAT = 0x05
    STATUS = 0x06


class AckCode(IntEnum):
    """Why a message was accepted."""

    ACCEPTED = 0x00
    QUEUED = 0x01  # rating kept on the agent's disk; the core is unreachable for now


class NakCode(IntEnum):
    """Why a message was refused."""

    ALREADY_RATED = 0x01  # 一次一评: 焦作 第四十五条, 江苏 第五条
    UNKNOWN_TICKET = 0x02
    INVALID = 0x03
    BUSY = 0x04


@dataclass(frozen=True)
class Prompt:
    """Host → device: show who served which ticket and ask for a rating."""

    ticket_number: str
    ticket_id: str
    window: str
    staff_name: str
    staff_no: str
    timeout_s: int = 60


@dataclass(frozen=True)
class Rating:
    """Device → host: the citizen's rating of one ticket."""

    ticket_id: str
    level: int
    reasons: tuple[int, ...] = ()


@dataclass(frozen=True)
class Ack:
    """Either way: the message with sequence ``ref_seq`` was accepted."""

    ref_seq: int
    code: int = AckCode.ACCEPTED


@dataclass(frozen=True)
class Nak:
    """Either way: the message with sequence ``ref_seq`` was refused."""

    ref_seq: int
    code: int


@dataclass(frozen=True)
class Heartbeat:
    """Either way, every few seconds: I am alive."""


@dataclass(frozen=True)
class Status:
    """Device → host: its state (0 idle, 1 prompting, 2 fault), fault flags, firmware."""

    state: int
    flags: int = 0
    firmware: str = ""


EvaluatorMessage = Prompt | Rating | Ack | Nak | Heartbeat | Status


@dataclass(frozen=True)
class Received:
    """A good frame: its sequence number and message."""

    seq: int
    message: EvaluatorMessage


@dataclass(frozen=True)
class Garbled:
    """Bytes that were dropped, and why."""

    reason: str


def _text(value: str) -> bytes:
    data = value.encode("utf-8")
    while len(data) > 255:  # cut at a character boundary, never inside one
        value = value[:-1]
        data = value.encode("utf-8")
    return bytes((len(data),)) + data


def _payload(message: EvaluatorMessage) -> tuple[MsgType, bytes]:
    match message:
        case Prompt():
            texts = (message.ticket_number, message.ticket_id, message.window,
                     message.staff_name, message.staff_no)
            body = b"".join(_text(t) for t in texts) + bytes((message.timeout_s & 0xFF,))
            return MsgType.PROMPT, body
        case Rating():
            if not 1 <= message.level <= 5:
                raise ProtocolError(f"rating level {message.level} not in 1..5")
            reasons = bytes(message.reasons)
            return MsgType.RATING, _text(message.ticket_id) + bytes(
                (message.level, len(reasons))) + reasons
        case Ack():
            return MsgType.ACK, bytes((message.ref_seq & 0xFF, message.code))
        case Nak():
            return MsgType.NAK, bytes((message.ref_seq & 0xFF, message.code))
        case Heartbeat():
            return MsgType.HEARTBEAT, b""
        case Status():
            return MsgType.STATUS, bytes((message.state, message.flags)) + _text(message.firmware)
    raise ProtocolError(f"cannot encode {message!r}")  # pragma: no cover


def encode(seq: int, message: EvaluatorMessage) -> bytes:
    """Encode one message as a complete stuffed frame with sequence number ``seq``."""
    kind, payload = _payload(message)
    head = struct.pack(">BBBH", VERSION, seq & 0xFF, kind, len(payload))
    return stuff(head + payload + struct.pack(">H", crc16_ccitt(head + payload)))


class _Reader:
    def __init__(self, data: bytes) -> None:
        self.data, self.pos = data, 0

    def byte(self) -> int:
        if self.pos >= len(self.data):
            raise ProtocolError("payload too short")
        self.pos += 1
        return self.data[self.pos - 1]

    def raw(self, n: int) -> bytes:
        if self.pos + n > len(self.data):
            raise ProtocolError("payload too short")
        self.pos += n
        return self.data[self.pos - n : self.pos]

    def text(self) -> str:
        try:
            return self.raw(self.byte()).decode("utf-8")
        except UnicodeDecodeError as err:
            raise ProtocolError("text is not UTF-8") from err


def _message(kind: int, r: _Reader) -> EvaluatorMessage:
    if kind == MsgType.PROMPT:
        number, ticket_id, window, name, staff_no = (r.text() for _ in range(5))
        return Prompt(number, ticket_id, window, name, staff_no, timeout_s=r.byte())
    if kind == MsgType.RATING:
        ticket_id, level = r.text(), r.byte()
        reasons = tuple(r.raw(r.byte()))
        if not 1 <= level <= 5:
            raise ProtocolError(f"rating level {level} not in 1..5")
        if reasons and level > 2:
            raise ProtocolError("reasons are only for 不满意 and 非常不满意")
        return Rating(ticket_id, level, reasons)
    if kind == MsgType.ACK:
        return Ack(r.byte(), r.byte())
    if kind == MsgType.NAK:
        return Nak(r.byte(), r.byte())
    if kind == MsgType.HEARTBEAT:
        return Heartbeat()
    if kind == MsgType.STATUS:
        return Status(r.byte(), r.byte(), r.text())
    raise ProtocolError(f"unknown message type 0x{kind:02x}")


def decode_body(body: bytes) -> Received:
    """Decode one unstuffed frame body; raise ProtocolError when it is not valid HQE/1."""
    if len(body) < 7:
        raise ProtocolError("frame too short")
    version, seq, kind, length = struct.unpack(">BBBH", body[:5])
    if version != VERSION:
        raise ProtocolError(f"unsupported protocol version {version}")
    if length != len(body) - 7:
        raise ProtocolError("length field does not match the frame")
    (crc,) = struct.unpack(">H", body[-2:])
    if crc != crc16_ccitt(body[:-2]):
        raise ProtocolError("bad CRC")
    reader = _Reader(body[5:-2])
    message = _message(kind, reader)
    if reader.pos != length:
        raise ProtocolError("trailing bytes in payload")
    return Received(seq, message)


class EvaluatorDecoder:
    """Feed raw chunks, get Received messages and Garbled notes; never raises."""

    def __init__(self) -> None:
        self._framer = FrameFramer(max_body=2048)

    def feed(self, chunk: bytes) -> list[Received | Garbled]:
        """Decode every complete frame in the bytes seen so far."""
        out: list[Received | Garbled] = []
        for event in self._framer.feed(chunk):
            if isinstance(event, FramingError):
                out.append(Garbled(f"{event.reason} ({event.dropped} bytes)"))
                continue
            try:
                out.append(decode_body(event))
            except ProtocolError as err:
                out.append(Garbled(str(err)))
        return out
