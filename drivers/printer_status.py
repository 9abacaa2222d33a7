"""ESC/POS real-time status: DLE EOT n and GS r queries and their replies (pure)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from drivers.errors import ProtocolError

__all__ = [
    "GS_R_PAPER",
    "STATUS_QUERIES",
    "PrinterStatus",
    "dle_eot",
    "gs_r",
    "parse_dle_eot",
    "parse_gs_r_paper",
]

DLE, EOT, GS = 0x10, 0x04, 0x1D


def dle_eot(n: int) -> bytes:
    """DLE EOT n: 1 printer, 2 offline cause, 3 error cause, 4 paper roll sensor."""
    if n not in (1, 2, 3, 4):
        raise ValueError("DLE EOT n takes n = 1..4")
    return bytes((DLE, EOT, n))


def gs_r(n: int) -> bytes:
    """GS r n: 1 paper sensor, 2 drawer kick-out connector (answered when idle only)."""
    if n not in (1, 2, 49, 50):
        raise ValueError("GS r n takes n = 1, 2, 49, 50")
    return bytes((GS, ord("r"), n))


STATUS_QUERIES = tuple(dle_eot(n) for n in (1, 2, 3, 4))
GS_R_PAPER = gs_r(1)


@dataclass(frozen=True)
class PrinterStatus:
    """What a printer said about itself."""

    reachable: bool  # it answered at all; the device is "online" to the core
    offline: bool = False  # the printer itself says it is offline (DLE EOT 1 bit 3)
    paper_out: bool = False
    paper_near_end: bool = False
    cover_open: bool = False
    error: bool = False
    cutter_error: bool = False
    known: bool = True  # False when the transport cannot answer (a file, a lp device)

    @property
    def online(self) -> bool:
        """True when the printer answers and does not call itself offline."""
        return self.reachable and not self.offline

    @property
    def ready(self) -> bool:
        """True when a ticket would come out now."""
        problems = (self.offline, self.paper_out, self.cover_open, self.error, self.cutter_error)
        return self.reachable and not any(problems)

    @property
    def problem(self) -> str | None:
        """The most pressing problem as an error code for print_result, or None."""
        for flag in ("paper_out", "cover_open", "cutter_error", "error"):
            if getattr(self, flag):
                return flag
        return "offline" if self.offline or not self.reachable else None

    def detail(self) -> dict[str, Any]:
        """The flags as the ``detail`` object of a device_status message."""
        return {
            "offline": self.offline,
            "paper_out": self.paper_out,
            "paper_near_end": self.paper_near_end,
            "cover_open": self.cover_open,
            "error": self.error,
            "cutter_error": self.cutter_error,
            "known": self.known,
        }


def _check(n: int, byte: int) -> None:
    # Every DLE EOT reply has the fixed pattern 0xx1xx10: bits 1 and 4 set, 0 and 7 clear.
    if byte & 0x93 != 0x12:
        raise ProtocolError(f"DLE EOT {n} reply 0x{byte:02x} lacks the fixed bits")


def parse_dle_eot(replies: Mapping[int, int]) -> PrinterStatus:
    """Combine the one-byte replies to DLE EOT 1..4 (keyed by n) into a PrinterStatus."""
    for n, byte in replies.items():
        _check(n, byte)
    printer = replies.get(1, 0x12)
    offline = replies.get(2, 0x12)
    errors = replies.get(3, 0x12)
    paper = replies.get(4, 0x12)
    paper_out = bool(paper & 0x60) or bool(offline & 0x20)  # roll end sensor, or stopped
    return PrinterStatus(
        reachable=True,
        offline=bool(printer & 0x08),
        paper_out=paper_out,
        paper_near_end=bool(paper & 0x0C),
        cover_open=bool(offline & 0x04),
        error=bool(offline & 0x40) or bool(errors & 0x60),
        cutter_error=bool(errors & 0x08),
    )


def parse_gs_r_paper(byte: int) -> PrinterStatus:
    """Parse the reply to GS r 1: bits 0-1 paper near end, bits 2-3 paper end."""
    if byte & 0x90:
        raise ProtocolError(f"GS r 1 reply 0x{byte:02x} has bits 4 or 7 set")
    return PrinterStatus(
        reachable=True, paper_out=bool(byte & 0x0C), paper_near_end=bool(byte & 0x03)
    )
