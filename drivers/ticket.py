"""The paper ticket: a pure renderer from a Ticket to ESC/POS bytes (python-escpos ``Dummy``)."""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from escpos.constants import QR_ECLEVEL_M
from escpos.printer import Dummy

__all__ = ["TAG_LABELS", "Ticket", "encode_gb18030", "render_ticket"]

ESC, GS, FS = b"\x1b", b"\x1d", b"\x1c"
INIT = ESC + b"@"
CHINESE_MODE = FS + b"&"  # FS &: double-byte (GB18030/GBK) mode, off by default on many printers

TAG_LABELS = {"green": "【绿色通道】", "appointment": "【预约】"}


def _count(value: Any) -> int:
    """A count of people from a message: a whole number from 0 to 99,999, else ValueError."""
    if value is None or value == "":
        return 0
    number = float(value)
    if not math.isfinite(number) or not 0 <= number < 100_000:
        raise ValueError(f"not a count of people: {value!r}")
    return int(number)


@dataclass(frozen=True)
class Ticket:
    """What goes on a queue ticket."""

    centre: str
    service_name: str
    number: str
    ahead: int
    issued_at: str
    url: str
    notice: str = "请留意叫号，过号请重新取号"
    tag: str | None = None  # "green" (绿色通道) or "appointment" (预约)
    reprint: bool = False
    id: str = ""

    @classmethod
    def from_message(cls, data: Mapping[str, Any]) -> Ticket:
        """Build from the core's ``print`` message ``ticket`` object."""
        priority = str(data.get("priority") or "normal")
        tag = priority if priority in TAG_LABELS else None
        return cls(
            centre=str(data.get("centre") or ""),
            service_name=str(data.get("service_name") or data.get("service") or ""),
            number=str(data.get("number") or ""),
            ahead=_count(data.get("ahead")),
            issued_at=printed_time(str(data.get("issued_at") or "")),
            url=str(data.get("url") or ""),
            notice=str(data.get("notice") or cls.notice),
            tag=tag,
            reprint=bool(data.get("reprint")),
            id=str(data.get("id") or ""),
        )


def printed_time(iso: str) -> str:
    """The core's ISO 8601 time as a person reads it (2026-11-23 09:05); other text as is."""
    try:
        return datetime.fromisoformat(iso).strftime("%Y-%m-%d %H:%M")
    except ValueError:
        return iso


def encode_gb18030(text: str, *, four_byte: bool = False, fallback: str = "□") -> bytes:
    """Encode text for the printer in GB18030, never letting a control byte through.

    python-escpos's own encoder knows no GB18030 and prints ``?`` for every Chinese
    character, so text is encoded here and sent raw. Most printer fonts hold only the
    one- and two-byte range (GBK); rare characters that need GB18030's four-byte form
    print as ``fallback`` unless the printer has the full font (``four_byte=True``).
    """
    out = bytearray()
    for char in text:
        code = ord(char)
        if code < 0x20 or code == 0x7F:
            continue  # an ESC inside a service name must not become a printer command
        try:
            encoded = char.encode("gb18030")
        except UnicodeEncodeError:  # lone surrogates
            encoded = fallback.encode("gb18030")
        if len(encoded) == 4 and not four_byte:
            encoded = fallback.encode("gb18030")
        out += encoded
    return bytes(out)


def render_ticket(ticket: Ticket, *, four_byte: bool = False, qr_size: int = 6) -> bytes:
    """Render the ticket as the exact ESC/POS byte stream, ending with a paper cut."""
    p = Dummy()

    def line(text: str) -> None:
        p._raw(encode_gb18030(text, four_byte=four_byte) + b"\n")

    p._raw(INIT + CHINESE_MODE)
    # GS ! sizes both ASCII and double-byte characters; ESC ! would leave Chinese small.
    p.set(align="center", bold=True)
    p.set(custom_size=True, width=1, height=2)
    line(ticket.centre)
    p.set(custom_size=True, width=1, height=1)
    p.set(bold=False)
    if ticket.reprint:
        line("（补打）")
    line(ticket.service_name)
    if ticket.tag in TAG_LABELS:
        line(TAG_LABELS[ticket.tag])
    p.set(custom_size=True, width=4, height=4, bold=True)
    line(ticket.number)
    p.set(custom_size=True, width=1, height=1, bold=False)
    line(f"您前面还有 {ticket.ahead} 人等候")
    line(f"取号时间：{ticket.issued_at}")
    if ticket.url:
        p.qr(ticket.url, size=qr_size, ec=QR_ECLEVEL_M, native=True)
        p._raw(b"\n")
    line(ticket.notice)
    p.cut()
    return bytes(p.output)
