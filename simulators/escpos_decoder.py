"""Decode an ESC/POS byte stream into printed lines, QR codes, cuts and status queries."""

from __future__ import annotations

from dataclasses import dataclass, field

__all__ = ["EscPosDecoder", "PrintedLine", "Receipt", "StatusQuery"]

ESC, GS, FS, DLE = 0x1B, 0x1D, 0x1C, 0x10
# Commands we only need to skip: command byte -> number of parameter bytes.
ESC_PARAMS = {"!": 1, "E": 1, "a": 1, "-": 1, "M": 1, "G": 1, "V": 1, "{": 1, "t": 1, "R": 1,
              "J": 1, "3": 1, "d": 1, "2": 0, "@": 0, "c": 2, "p": 3, "U": 1, " ": 1, "$": 2}
GS_PARAMS = {"!": 1, "B": 1, "b": 1, "H": 1, "h": 1, "w": 1, "f": 1, "L": 2, "W": 2, "r": 1,
             "a": 1, "P": 2}
FS_PARAMS = {"&": 0, ".": 0, "!": 1, "C": 1, "W": 1, "-": 1, "p": 2}


@dataclass(frozen=True)
class PrintedLine:
    """One printed line with the size it was printed at."""

    text: str
    width: int = 1
    height: int = 1
    bold: bool = False
    align: str = "left"


@dataclass
class Receipt:
    """Everything printed between two cuts."""

    lines: list[PrintedLine] = field(default_factory=list)
    qr_codes: list[str] = field(default_factory=list)
    qr_at: list[int] = field(default_factory=list)  # each QR code came after this many lines
    images: int = 0
    cut: bool = False

    @property
    def text(self) -> str:
        """The printed text, one line per line."""
        return "\n".join(line.text for line in self.lines)


@dataclass(frozen=True)
class StatusQuery:
    """A real-time status request: ``dle_eot`` n=1..4 or ``gs_r`` n."""

    kind: str
    n: int


class EscPosDecoder:
    """Incremental: feed any chunks (even garbage); it waits for commands split across them."""

    def __init__(self) -> None:
        self._buf = bytearray()
        self._text = bytearray()
        self._qr_data = b""
        self.receipt = Receipt()
        self._reset_mode()

    def _reset_mode(self) -> None:
        self.width = self.height = 1
        self.bold = False
        self.align = "left"
        self.chinese = False

    def feed(self, data: bytes) -> list[Receipt | StatusQuery]:
        """Decode what can be decoded; return finished receipts and status queries."""
        self._buf += data
        events: list[Receipt | StatusQuery] = []
        pos = 0
        while pos < len(self._buf):
            used = self._step(pos, events)
            if used == 0:
                break  # an incomplete command: wait for more bytes
            pos += used
        del self._buf[:pos]
        return events

    def _step(self, pos: int, events: list[Receipt | StatusQuery]) -> int:
        buf = self._buf
        byte = buf[pos]
        if byte == 0x0A:
            self._end_line()
            return 1
        if byte in (ESC, GS, FS, DLE):
            if pos + 1 >= len(buf):
                return 0
            return self._command(byte, pos, events)
        if byte >= 0x20:
            self._text.append(byte)
        return 1  # other control bytes (CR, HT …) print nothing here

    def _command(self, prefix: int, pos: int, events: list[Receipt | StatusQuery]) -> int:
        buf = self._buf
        name = chr(buf[pos + 1])
        if prefix == DLE:
            if name == "\x04":  # DLE EOT n
                if pos + 2 >= len(buf):
                    return 0
                events.append(StatusQuery("dle_eot", buf[pos + 2]))
                return 3
            return 2
        if prefix == GS and name in "(v":
            return self._gs_block(pos, events)
        if prefix == GS and name == "V":
            return self._cut(pos, events)
        table = {ESC: ESC_PARAMS, GS: GS_PARAMS, FS: FS_PARAMS}[prefix]
        size = 2 + table.get(name, 0)
        if pos + size > len(buf):
            return 0
        self._apply(prefix, name, bytes(buf[pos + 2 : pos + size]), events)
        return size

    def _apply(
        self, prefix: int, name: str, args: bytes, events: list[Receipt | StatusQuery]
    ) -> None:
        arg = args[0] if args else 0
        if prefix == ESC and name == "@":
            self._reset_mode()
        elif prefix == ESC and name == "!":
            self.bold = bool(arg & 0x08)
            self.height, self.width = 1 + bool(arg & 0x10), 1 + bool(arg & 0x20)
        elif prefix == ESC and name == "E":
            self.bold = bool(arg & 1)
        elif prefix == ESC and name == "a":
            self.align = ("left", "center", "right")[(arg - 48 if arg >= 48 else arg) % 3]
        elif prefix == ESC and name == "d":  # feed: paper moves, nothing is printed
            self._end_line(only_if_text=True)
        elif prefix == GS and name == "!":
            self.width, self.height = (arg >> 4) + 1, (arg & 0x0F) + 1
        elif prefix == GS and name == "r":
            events.append(StatusQuery("gs_r", arg))
        elif prefix == FS and name in "&.":
            self.chinese = name == "&"

    def _gs_block(self, pos: int, events: list[Receipt | StatusQuery]) -> int:
        buf = self._buf
        if buf[pos + 1] == ord("v"):  # GS v 0 m xL xH yL yH d…: raster image
            if pos + 8 > len(buf):
                return 0
            size = 8 + (buf[pos + 4] + 256 * buf[pos + 5]) * (buf[pos + 6] + 256 * buf[pos + 7])
            if pos + size > len(buf):
                return 0
            self.receipt.images += 1
            return size
        if pos + 5 > len(buf):  # GS ( x pL pH …
            return 0
        size = 5 + buf[pos + 3] + 256 * buf[pos + 4]
        if pos + size > len(buf):
            return 0
        block = bytes(buf[pos + 5 : pos + size])
        if buf[pos + 2] == ord("k") and block[:1] == b"1":
            if block[1:2] == b"P":
                self._qr_data = block[3:]
            elif block[1:2] == b"Q":
                self.receipt.qr_codes.append(self._qr_data.decode("utf-8", errors="replace"))
                self.receipt.qr_at.append(len(self.receipt.lines))
        elif buf[pos + 2] == ord("L"):
            self.receipt.images += 1
        return size

    def _cut(self, pos: int, events: list[Receipt | StatusQuery]) -> int:
        buf = self._buf
        if pos + 3 > len(buf):
            return 0
        size = 4 if buf[pos + 2] in (65, 66, 97, 98, 103, 104) else 3
        if pos + size > len(buf):
            return 0
        self._end_line(only_if_text=True)
        self.receipt.cut = True
        events.append(self.receipt)
        self.receipt = Receipt()
        return size

    def _end_line(self, only_if_text: bool = False) -> None:
        if only_if_text and not self._text:
            return
        # Without FS & a printer shows double bytes as two single-byte glyphs: so do we.
        text = self._text.decode("gb18030" if self.chinese else "latin-1", errors="replace")
        self.receipt.lines.append(
            PrintedLine(text, self.width, self.height, self.bold, self.align)
        )
        self._text.clear()
