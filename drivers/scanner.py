"""The barcode/QR scanner driver: serial (USB-CDC) lines ending in CR and/or LF."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from drivers.device import Device, call_callback
from drivers.framing import FramingError, LineFramer
from drivers.transports import Transport

__all__ = ["ScanEvent", "ScannerDriver", "decode_scan"]

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class ScanEvent:
    """One scanned code."""

    device: str
    code: str


ScanCallback = Callable[[ScanEvent], Awaitable[None] | None]


def decode_scan(line: bytes, encoding: str = "auto") -> str:
    """Decode a scanned line; ``auto`` tries UTF-8, then GB18030 (scanners set to Chinese)."""
    # Some GB18030 text is also valid UTF-8 (预约 is), so a scanner known to send GB18030
    # should be configured with encoding="gb18030" rather than left on auto.
    if encoding != "auto":
        return _clean(line.decode(encoding, errors="replace"))
    try:
        text = line.decode("utf-8")
    except UnicodeDecodeError:
        text = line.decode("gb18030", errors="replace")
    return _clean(text)


def _clean(text: str) -> str:
    return "".join(c for c in text if c.isprintable()).strip()


class ScannerDriver(Device):
    """A line scanner: every line becomes a ScanEvent."""

    kind = "scanner"

    def __init__(
        self,
        url: str | Transport,
        *,
        on_scan: ScanCallback | None = None,
        max_line: int = 512,
        encoding: str = "auto",
        **kwargs: Any,
    ) -> None:
        super().__init__(url, **kwargs)
        self.on_scan = on_scan
        self.max_line = max_line
        self.encoding = encoding
        self._scans: asyncio.Queue[ScanEvent] = asyncio.Queue()

    async def scans(self) -> AsyncIterator[ScanEvent]:
        """Yield scans as they arrive (when no ``on_scan`` callback is set)."""
        while True:
            yield await self._scans.get()

    async def _session(self, transport: Transport) -> None:
        framer = LineFramer(self.max_line)
        await self._report(True, {})
        while True:
            data = await transport.read(1.0)
            for event in framer.feed(data):
                if isinstance(event, FramingError):
                    log.info("scanner %s: %s", self.name, event.reason)
                    continue
                code = decode_scan(event, self.encoding)
                if code:
                    scan = ScanEvent(self.name, code)
                    if self.on_scan is None:
                        self._scans.put_nowait(scan)
                    await call_callback(self.on_scan, scan)
