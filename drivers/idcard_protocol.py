"""The SAM protocol of 二代证 (resident ID card) readers, GA 467: a pure codec, no I/O.

Every frame, either way, is::

    AA AA AA 96 69 | LEN (2 bytes, big-endian) | body | CHK

``LEN`` counts the body and the checksum; ``CHK`` is the XOR of the two length bytes and
the body. A command's body is ``CMD PARA [data]``; a response's body is ``SW1 SW2 SW3
[data]``, SW3 ``0x90`` meaning done (``0x9F`` for a card found). The card's text block is
256 bytes of UCS-2 little-endian in fixed-width fields padded with spaces
(docs/protocols/idcard.md).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from enum import Enum

__all__ = [
    "MAX_BODY",
    "PHOTO_SIZE",
    "PREAMBLE",
    "STATUS_TEXT",
    "TEXT_FIELDS",
    "TEXT_SIZE",
    "BaseInfo",
    "IdCardFramer",
    "IdCardGarbled",
    "IdCardText",
    "SamCommand",
    "SamFrame",
    "SamRequest",
    "SamResponse",
    "Status",
    "check_character",
    "checksum",
    "decode_base_info",
    "decode_text",
    "encode_base_info",
    "encode_command",
    "encode_frame",
    "encode_response",
    "encode_text",
    "id_number_valid",
    "parse_request",
    "parse_response",
]

PREAMBLE = b"\xaa\xaa\xaa\x96\x69"
TEXT_SIZE = 256
PHOTO_SIZE = 1024  # the photo, WLT-compressed; only a licensed decoder can open it
# The largest body the framer accepts: a full read with fingerprints is 0x0908 + margin.
MAX_BODY = 4096


class SamCommand(tuple[int, int], Enum):
    """Commands a host sends: (CMD, PARA)."""

    RESET_SAM = (0x10, 0xFF)
    SAM_STATUS = (0x11, 0xFF)
    SAM_ID = (0x12, 0xFF)
    FIND_CARD = (0x20, 0x01)
    SELECT_CARD = (0x20, 0x02)
    READ_BASE = (0x30, 0x01)  # text and photo


class Status(int, Enum):
    """SW3 status codes of a response (SW1 SW2 are 00 00)."""

    OK = 0x90
    CARD_FOUND = 0x9F
    CHECKSUM_ERROR = 0x10
    LENGTH_ERROR = 0x11
    COMMAND_ERROR = 0x21
    UNAUTHORIZED = 0x23
    UNKNOWN_ERROR = 0x24
    CARD_AUTH_FAILED = 0x31
    SAM_AUTH_FAILED = 0x32
    VERIFY_FAILED = 0x33
    UNKNOWN_CARD = 0x40
    READ_FAILED = 0x41
    RANDOM_FAILED = 0x47
    SAM_SELF_TEST_FAILED = 0x60
    SAM_NOT_AUTHORIZED = 0x66
    FIND_FAILED = 0x80
    SELECT_FAILED = 0x81
    NO_CONTENT = 0x91


STATUS_TEXT: dict[int, str] = {
    0x90: "ok", 0x9F: "card_found", 0x10: "checksum_error", 0x11: "length_error",
    0x21: "command_error", 0x23: "unauthorized", 0x24: "unknown_error",
    0x31: "card_auth_failed", 0x32: "sam_auth_failed", 0x33: "verify_failed",
    0x40: "unknown_card", 0x41: "read_failed", 0x47: "random_failed",
    0x60: "sam_self_test_failed", 0x66: "sam_not_authorized", 0x80: "no_card",
    0x81: "select_failed", 0x91: "no_content",
}

# (field, bytes) of the 256-byte text block, in order.
TEXT_FIELDS: tuple[tuple[str, int], ...] = (
    ("name", 30), ("sex", 2), ("nation", 4), ("birth", 16), ("address", 70),
    ("id_number", 36), ("issuer", 30), ("valid_from", 16), ("valid_until", 16),
    ("reserved", 36),
)


def checksum(data: bytes | bytearray) -> int:
    """XOR of every byte."""
    result = 0
    for byte in data:
        result ^= byte
    return result


def encode_frame(body: bytes) -> bytes:
    """Wrap a body: preamble, length (body + checksum), body, XOR checksum."""
    if len(body) + 1 > 0xFFFF:
        raise ValueError("a SAM frame body is at most 65534 bytes")
    length = (len(body) + 1).to_bytes(2, "big")
    return PREAMBLE + length + body + bytes((checksum(length + body),))


def encode_command(command: SamCommand, data: bytes = b"") -> bytes:
    """A host's command frame, e.g. find card: ``AA AA AA 96 69 00 03 20 01 22``."""
    return encode_frame(bytes(command.value) + data)


def encode_response(sw3: int, data: bytes = b"", sw1: int = 0, sw2: int = 0) -> bytes:
    """A reader's response frame: SW1 SW2 SW3 then data."""
    return encode_frame(bytes((sw1, sw2, sw3)) + data)


@dataclass(frozen=True)
class SamFrame:
    """The body of one well-formed frame (checksum verified)."""

    body: bytes


@dataclass(frozen=True)
class IdCardGarbled:
    """Bytes that could not be framed and were dropped."""

    reason: str
    dropped: int


@dataclass(frozen=True)
class SamRequest:
    """A decoded command: CMD, PARA and data."""

    cmd: int
    para: int
    data: bytes = b""

    @property
    def command(self) -> SamCommand | None:
        """The known command, or None."""
        try:
            return SamCommand((self.cmd, self.para))
        except ValueError:
            return None


@dataclass(frozen=True)
class SamResponse:
    """A decoded response: SW1 SW2 SW3 and data."""

    sw1: int
    sw2: int
    sw3: int
    data: bytes = b""

    @property
    def ok(self) -> bool:
        """True for success (0x90) or a found card (0x9F)."""
        return self.sw1 == 0 and self.sw2 == 0 and self.sw3 in (Status.OK, Status.CARD_FOUND)

    @property
    def status(self) -> str:
        """The SW3 code's name, e.g. ``no_card``; ``sw_XX`` when unknown."""
        return STATUS_TEXT.get(self.sw3, f"sw_{self.sw3:02x}")


def parse_request(frame: SamFrame) -> SamRequest:
    """Read a command frame's body; ValueError when it is too short."""
    if len(frame.body) < 2:
        raise ValueError("a command needs CMD and PARA")
    return SamRequest(frame.body[0], frame.body[1], frame.body[2:])


def parse_response(frame: SamFrame) -> SamResponse:
    """Read a response frame's body; ValueError when it is too short."""
    if len(frame.body) < 3:
        raise ValueError("a response needs SW1 SW2 SW3")
    return SamResponse(frame.body[0], frame.body[1], frame.body[2], frame.body[3:])


class IdCardFramer:
    """Find frames in a byte stream: resync on the next preamble after garbage."""

    def __init__(self, max_body: int = MAX_BODY) -> None:
        self.max_body = max_body
        self._buf = bytearray()

    def feed(self, chunk: bytes) -> list[SamFrame | IdCardGarbled]:
        """Return the complete frames (and dropped garbage) found so far."""
        self._buf += chunk
        events: list[SamFrame | IdCardGarbled] = []
        while True:
            start = self._buf.find(PREAMBLE)
            if start < 0:
                # Keep a tail that may be the start of a preamble split across chunks.
                keep = _preamble_prefix(self._buf)
                dropped = len(self._buf) - keep
                if dropped:
                    events.append(IdCardGarbled("garbage between frames", dropped))
                    del self._buf[:dropped]
                return events
            if start:
                events.append(IdCardGarbled("garbage between frames", start))
                del self._buf[:start]
            if len(self._buf) < 7:
                return events
            length = int.from_bytes(self._buf[5:7], "big")
            if length < 2 or length - 1 > self.max_body:
                events.append(IdCardGarbled(f"bad length {length}", 7))
                del self._buf[:7]
                continue
            end = 7 + length
            if len(self._buf) < end:
                return events
            body = bytes(self._buf[7:end - 1])
            if checksum(self._buf[5:end - 1]) != self._buf[end - 1]:
                # Drop only the preamble: a real frame may start inside the bad one.
                events.append(IdCardGarbled("bad checksum", len(PREAMBLE)))
                del self._buf[:len(PREAMBLE)]
                continue
            events.append(SamFrame(body))
            del self._buf[:end]


def _preamble_prefix(buf: bytearray) -> int:
    """How many trailing bytes of ``buf`` could begin a preamble."""
    for size in range(min(len(buf), len(PREAMBLE) - 1), 0, -1):
        if buf[-size:] == PREAMBLE[:size]:
            return size
    return 0


@dataclass(frozen=True)
class IdCardText:
    """The text block of a card (every field as printed, padding stripped)."""

    name: str
    sex: str  # GB/T 2261.1 code: 1 男, 2 女
    nation: str  # GB 3304 code, e.g. 01 汉
    birth: str  # YYYYMMDD
    address: str
    id_number: str
    issuer: str
    valid_from: str  # YYYYMMDD
    valid_until: str  # YYYYMMDD or 长期
    reserved: str = ""

    def expired(self, today: date) -> bool:
        """True when the card's validity ended before ``today`` (长期 never expires)."""
        if not re.fullmatch(r"\d{8}", self.valid_until):
            return False
        return self.valid_until < today.strftime("%Y%m%d")


def encode_text(card: IdCardText) -> bytes:
    """The 256-byte UCS-2 LE text block; ValueError when a field does not fit."""
    out = bytearray()
    for field_name, size in TEXT_FIELDS:
        value: str = getattr(card, field_name)
        raw = value.encode("utf-16-le")
        if len(raw) > size or any(ord(c) > 0xFFFF for c in value):
            raise ValueError(f"{field_name} does not fit {size // 2} UCS-2 characters")
        out += raw + " ".encode("utf-16-le") * ((size - len(raw)) // 2)
    return bytes(out)


def decode_text(block: bytes) -> IdCardText:
    """Decode the text block; ValueError when it is not 256 bytes of UCS-2."""
    if len(block) != TEXT_SIZE:
        raise ValueError(f"the text block is {TEXT_SIZE} bytes, got {len(block)}")
    values: dict[str, str] = {}
    offset = 0
    for field_name, size in TEXT_FIELDS:
        raw = block[offset:offset + size]
        offset += size
        try:
            text = raw.decode("utf-16-le")
        except UnicodeDecodeError as err:
            raise ValueError(f"{field_name} is not UCS-2") from err
        values[field_name] = text.rstrip(" \x00").strip()
    return IdCardText(**values)


@dataclass(frozen=True)
class BaseInfo:
    """The answer to READ_BASE: the text block and the (WLT) photo."""

    text: bytes
    photo: bytes


def encode_base_info(text: bytes, photo: bytes) -> bytes:
    """READ_BASE data: text length, photo length (2 bytes each, big-endian), text, photo."""
    return len(text).to_bytes(2, "big") + len(photo).to_bytes(2, "big") + text + photo


def decode_base_info(data: bytes) -> BaseInfo:
    """Split READ_BASE data; ValueError when the lengths do not match the data."""
    if len(data) < 4:
        raise ValueError("READ_BASE data needs both lengths")
    text_len = int.from_bytes(data[0:2], "big")
    photo_len = int.from_bytes(data[2:4], "big")
    if len(data) != 4 + text_len + photo_len:
        raise ValueError(f"READ_BASE lengths {text_len}+{photo_len} do not match "
                         f"{len(data) - 4} bytes")
    return BaseInfo(data[4:4 + text_len], data[4 + text_len:])


_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_CHECK = "10X98765432"


def check_character(first17: str) -> str:
    """The GB 11643 check character of an ID number's first 17 digits."""
    total = sum(int(d) * w for d, w in zip(first17, _WEIGHTS, strict=True))
    return _CHECK[total % 11]


def id_number_valid(number: str) -> bool:
    """True for an 18-character citizen ID number with a correct check character (GB 11643)."""
    if not re.fullmatch(r"\d{17}[\dX]", number):
        return False
    return check_character(number[:17]) == number[17]
