"""A printed slip: the 一次性告知单 or a 办事指南, rendered to ESC/POS like the ticket."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from escpos.constants import QR_ECLEVEL_M
from escpos.printer import Dummy

from drivers.ticket import CHINESE_MODE, INIT, encode_gb18030

__all__ = ["Slip", "render_slip"]

MAX_LINES = 60  # a slip is a page of paper, not a roll's worth


@dataclass(frozen=True)
class Slip:
    """A titled list on paper, with an optional QR code (back to the ticket page)."""

    title: str
    centre: str = ""
    lines: tuple[str, ...] = ()
    url: str = ""
    footer: str = ""
    number: str = ""

    @classmethod
    def from_message(cls, data: Mapping[str, Any]) -> Slip:
        """Build from the core's ``print`` message ``slip`` object."""
        lines = data.get("lines") or []
        if not isinstance(lines, list | tuple):
            raise TypeError("slip lines must be a list")
        title = str(data.get("title") or "")
        if not title:
            raise ValueError("a slip needs a title")
        return cls(title=title, centre=str(data.get("centre") or ""),
                   lines=tuple(str(x) for x in lines[:MAX_LINES]),
                   url=str(data.get("url") or ""), footer=str(data.get("footer") or ""),
                   number=str(data.get("number") or ""))


def render_slip(slip: Slip, *, four_byte: bool = False, qr_size: int = 5) -> bytes:
    """Render the slip as the exact ESC/POS byte stream, ending with a paper cut."""
    p = Dummy()

    def line(text: str) -> None:
        p._raw(encode_gb18030(text, four_byte=four_byte) + b"\n")

    p._raw(INIT + CHINESE_MODE)
    p.set(align="center", bold=True)
    if slip.centre:
        line(slip.centre)
    p.set(custom_size=True, width=2, height=2)
    line(slip.title)
    p.set(custom_size=True, width=1, height=1)
    p.set(align="left", bold=False)
    for text in slip.lines:
        line(text)
    if slip.url:
        p.set(align="center")
        p.qr(slip.url, size=qr_size, ec=QR_ECLEVEL_M, native=True)
        p._raw(b"\n")
    if slip.footer:
        p.set(align="center")
        line(slip.footer)
    p.cut()
    return bytes(p.output)
