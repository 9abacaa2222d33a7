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


def decode_scan(line: bytes) -> str:
    """Decode a scanned line: UTF-8 first, GB18030 for scanners set to Chinese codes."""
    try:
        text = line.decode("utf-8")
    except UnicodeDecodeError:
        text = line.decode("gb18030", errors="replace")
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
        **kwargs: Any,
    ) -> None:
        super().__init__(url, **kwargs)
        self.on_scan = on_scan
        self.max_line = max_line
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
                code = decode_scan(event)
                if code:
                    scan = ScanEvent(self.name, code)
                    if self.on_scan is None:
                        self._scans.put_nowait(scan)
                    await call_callback(self.on_scan, scan)
