"""Hall Queue LED board protocol (HQL/1) for RS-485 buses: a pure codec.

See docs/protocols/led-board.md. Frame body: ADDR CMD LEN DATA… CHK, stuffed STX…ETX.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import IntEnum

from drivers.errors import ProtocolError
from drivers.framing import FrameFramer, FramingError, stuff

__all__ = [
    "BROADCAST",
    "HOST",
    "Colour",
    "LedCommand",
    "LedDecoder",
    "LedFrame",
    "LedGarbled",
    "brightness",
    "checksum",
    "clear",
    "decode_led_body",
    "encode_gb2312",
    "encode_led",
    "reply",
    "scroll",
    "show_text",
]

BROADCAST = 0xFF  # every board obeys, none replies (replies would collide on RS-485)
HOST = 0x00  # replies are addressed from the board, to the host
MAX_DATA = 250


class LedCommand(IntEnum):
    """Command byte."""

    SHOW = 0x10
    CLEAR = 0x11
    BRIGHTNESS = 0x12
    SCROLL = 0x13
    ACK = 0x06
    NAK = 0x15


class Colour(IntEnum):
    """Text colour on a dual/tri-colour board."""

    RED = 1
    GREEN = 2
    YELLOW = 3


@dataclass(frozen=True)
class LedFrame:
    """One decoded frame: address, command and its data."""

    address: int
    command: int
    data: bytes


@dataclass(frozen=True)
class LedGarbled:
    """Dropped bytes and why."""

    reason: str


def checksum(data: bytes) -> int:
    """Two's complement of the byte sum: all body bytes plus CHK sum to 0 mod 256."""
    return (-sum(data)) & 0xFF


def encode_gb2312(text: str, fallback: str = "□") -> bytes:
    """Encode text as GB2312, replacing controls and characters a board cannot show."""
    out = bytearray()
    for char in text:
        if ord(char) < 0x20 or ord(char) == 0x7F:
            continue  # a control byte in text must never reach the board
        try:
            out += char.encode("gb2312")
        except UnicodeEncodeError:
            out += fallback.encode("gb2312")
    return bytes(out)


def _clip(data: bytes, limit: int) -> bytes:
    # Never cut a double-byte character in half: GB2312 lead bytes are >= 0xA1.
    if len(data) <= limit:
        return data
    cut, i = 0, 0
    while i < limit:
        step = 2 if data[i] >= 0x80 else 1
        if i + step > limit:
            break
        i += step
        cut = i
    return data[:cut]


def encode_led(address: int, command: int, data: bytes = b"") -> bytes:
    """Encode one frame to ``address`` as stuffed bytes."""
    if not 0 <= address <= 0xFF:
        raise ProtocolError(f"address {address} not in 0..255")
    if len(data) > MAX_DATA:
        raise ProtocolError(f"data of {len(data)} bytes exceeds {MAX_DATA}")
    body = bytes((address, command, len(data))) + data
    return stuff(body + bytes((checksum(body),)))


def show_text(address: int, line: int, text: str, colour: Colour = Colour.RED) -> bytes:
    """Show ``text`` (GB2312) on ``line`` (0-based) of the board at ``address``."""
    data = _clip(encode_gb2312(text), MAX_DATA - 2)
    return encode_led(address, LedCommand.SHOW, bytes((line, colour)) + data)


def clear(address: int, line: int = 0xFF) -> bytes:
    """Clear one line, or every line with 0xFF."""
    return encode_led(address, LedCommand.CLEAR, bytes((line,)))


def brightness(address: int, level: int) -> bytes:
    """Set brightness 0 (off) … 15 (full)."""
    if not 0 <= level <= 15:
        raise ProtocolError(f"brightness {level} not in 0..15")
    return encode_led(address, LedCommand.BRIGHTNESS, bytes((level,)))


def scroll(address: int, line: int, text: str, speed: int = 5) -> bytes:
    """Scroll ``text`` right-to-left on ``line`` at ``speed`` 1 (slow) … 9 (fast)."""
    data = _clip(encode_gb2312(text), MAX_DATA - 2)
    return encode_led(address, LedCommand.SCROLL, bytes((line, max(1, min(9, speed)))) + data)


def reply(address: int, command: int, nak_code: int | None = None) -> bytes:
    """A board's ACK (or NAK with a code) of ``command``, sent from its own ``address``."""
    if nak_code is None:
        return encode_led(address, LedCommand.ACK, bytes((command,)))
    return encode_led(address, LedCommand.NAK, bytes((command, nak_code)))


def decode_led_body(body: bytes) -> LedFrame:
    """Decode one unstuffed body; raise ProtocolError if it is not valid HQL/1."""
    if len(body) < 4:
        raise ProtocolError("frame too short")
    if sum(body) & 0xFF:
        raise ProtocolError("bad checksum")
    if body[2] != len(body) - 4:
        raise ProtocolError("length field does not match the frame")
    return LedFrame(body[0], body[1], bytes(body[3:-1]))


class LedDecoder:
    """Feed raw chunks, get LedFrame and LedGarbled events; never raises."""

    def __init__(self) -> None:
        self._framer = FrameFramer(max_body=MAX_DATA + 4)

    def feed(self, chunk: bytes) -> list[LedFrame | LedGarbled]:
        """Decode every complete frame seen so far."""
        out: list[LedFrame | LedGarbled] = []
        for event in self._framer.feed(chunk):
            if isinstance(event, FramingError):
                out.append(LedGarbled(f"{event.reason} ({event.dropped} bytes)"))
                continue
            try:
                out.append(decode_led_body(event))
            except ProtocolError as err:
                out.append(LedGarbled(str(err)))
        return out
