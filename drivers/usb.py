"""USB printers through python-escpos's ``Usb`` class (needs pyusb and libusb)."""

from __future__ import annotations

import asyncio
import contextlib
from typing import Any

from drivers.errors import TransportError
from drivers.transports import Transport

__all__ = ["UsbTransport"]


class UsbTransport(Transport):
    """A USB printer class device addressed as ``usb://VID:PID`` (hex)."""

    def __init__(self, vendor_id: int, product_id: int) -> None:
        self.url = f"usb://{vendor_id:04x}:{product_id:04x}"
        self.vendor_id, self.product_id = vendor_id, product_id
        self._printer: Any = None

    async def open(self) -> None:
        """Claim the USB device; fails cleanly when pyusb or the device is missing."""
        try:
            from escpos.printer import Usb
        except ImportError as err:  # pragma: no cover - escpos is a hard dependency
            raise TransportError("python-escpos is not installed") from err
        if not Usb.is_usable():
            raise TransportError(f"{self.url}: pyusb is not installed (pip install pyusb)")
        printer = Usb(self.vendor_id, self.product_id)
        try:
            await asyncio.to_thread(printer.open)
        except Exception as err:  # escpos raises its own and usb.core errors
            raise TransportError(f"cannot open {self.url}: {err}") from err
        self._printer = printer

    async def write(self, data: bytes) -> None:
        """Send bytes to the bulk-out endpoint."""
        if self._printer is None:
            raise TransportError(f"{self.url} is not open")
        try:
            await asyncio.to_thread(self._printer._raw, data)
        except Exception as err:
            raise TransportError(f"write to {self.url} failed: {err}") from err

    async def read(self, timeout: float) -> bytes:
        """Read the bulk-in endpoint (status replies); nothing within the timeout is b""."""
        if self._printer is None:
            raise TransportError(f"{self.url} is not open")
        try:
            async with asyncio.timeout(timeout):
                data = await asyncio.to_thread(self._printer._read)
        except TimeoutError:
            return b""
        except Exception as err:
            raise TransportError(f"read from {self.url} failed: {err}") from err
        return bytes(data)

    async def close(self) -> None:
        """Release the device."""
        printer, self._printer = self._printer, None
        if printer is not None:
            with contextlib.suppress(Exception):
                await asyncio.to_thread(printer.close)
