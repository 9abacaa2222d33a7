"""Framers: turn a stream of chunks into lines or byte-stuffed frames; they never raise."""

from __future__ import annotations

from dataclasses import dataclass

__all__ = [
    "DLE",
    "ETX",
    "STX",
    "FrameFramer",
    "FramingError",
    "LineFramer",
    "crc16_ccitt",
    "stuff",
]

STX, ETX, DLE = 0x02, 0x03, 0x10
SPECIAL = frozenset((STX, ETX, DLE))


@dataclass(frozen=True)
class FramingError:
    """Bytes that could not be framed and were dropped."""

    reason: str
    dropped: int


def crc16_ccitt(data: bytes, crc: int = 0xFFFF) -> int:
    """CRC-16/CCITT-FALSE (poly 0x1021, init 0xFFFF, no reflection, no final xor)."""
    for byte in data:
        crc ^= byte << 8
        for _ in range(8):
            crc = ((crc << 1) ^ 0x1021) if crc & 0x8000 else crc << 1
        crc &= 0xFFFF
    return crc


def stuff(body: bytes) -> bytes:
    """Wrap a body as STX, body with STX/ETX/DLE sent as DLE (b ^ 0x20), ETX."""
    out = bytearray((STX,))
    for byte in body:
        if byte in SPECIAL:
            out += bytes((DLE, byte ^ 0x20))
        else:
            out.append(byte)
    out.append(ETX)
    return bytes(out)


class FrameFramer:
    """Unstuff STX…ETX frames from chunks; resync on the next STX after any garbage."""

    def __init__(self, max_body: int = 1024) -> None:
        self.max_body = max_body
        self._body = bytearray()
        self._in_frame = False
        self._escaped = False
        self._garbage = 0

    def feed(self, chunk: bytes) -> list[bytes | FramingError]:
        """Return the complete frame bodies (and errors) found so far."""
        events: list[bytes | FramingError] = []
        for byte in chunk:
            if byte == STX:
                # STX always starts a frame: that is how the framer resyncs.
                if self._garbage:
                    events.append(FramingError("garbage between frames", self._garbage))
                if self._in_frame:
                    events.append(FramingError("frame cut short by STX", len(self._body) + 1))
                self._start()
            elif not self._in_frame:
                self._garbage += 1
            elif byte == ETX:
                if self._escaped:
                    events.append(FramingError("DLE before ETX", len(self._body) + 2))
                else:
                    events.append(bytes(self._body))
                self._reset()
            elif self._escaped:
                self._escaped = False
                self._append(byte ^ 0x20, events)
            elif byte == DLE:
                self._escaped = True
            else:
                self._append(byte, events)
        return events

    def _append(self, byte: int, events: list[bytes | FramingError]) -> None:
        if len(self._body) >= self.max_body:
            events.append(FramingError("frame too long", len(self._body) + 1))
            self._reset()
            return
        self._body.append(byte)

    def _start(self) -> None:
        self._body.clear()
        self._in_frame, self._escaped, self._garbage = True, False, 0

    def _reset(self) -> None:
        self._body.clear()
        self._in_frame = self._escaped = False


class LineFramer:
    """Split a scanner's stream on CR, LF or CRLF; drop over-long lines with an error."""

    def __init__(self, max_line: int = 512) -> None:
        self.max_line = max_line
        self._line = bytearray()
        self._overflow = 0
        self._after_cr = False

    def feed(self, chunk: bytes) -> list[bytes | FramingError]:
        """Return the complete lines (without terminators) and errors found so far."""
        events: list[bytes | FramingError] = []
        for byte in chunk:
            if byte == 0x0A and self._after_cr:
                self._after_cr = False  # the LF of a CRLF: the line already ended at CR
                continue
            self._after_cr = byte == 0x0D
            if byte in (0x0D, 0x0A):
                if self._overflow:
                    events.append(FramingError("line too long", self._overflow))
                elif self._line:
                    events.append(bytes(self._line))
                self._line.clear()
                self._overflow = 0
            elif self._overflow:
                self._overflow += 1
            elif len(self._line) >= self.max_line:
                self._overflow = len(self._line) + 1
                self._line.clear()
            else:
                self._line.append(byte)
        return events
