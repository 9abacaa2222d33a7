"""A serial (USB-CDC) barcode/QR scanner on a pseudo-tty: tell it what to scan."""

from __future__ import annotations

from simulators.serial_pty import SerialSimulator

__all__ = ["ScannerSimulator"]


class ScannerSimulator(SerialSimulator):
    """Sends each scanned code as one line, like a scanner in serial mode."""

    def __init__(self, *, terminator: bytes = b"\r\n", encoding: str = "utf-8") -> None:
        super().__init__()
        self.terminator = terminator
        self.encoding = encoding

    def scan(self, code: str) -> None:
        """Scan ``code``: send it followed by the terminator."""
        self.send(code.encode(self.encoding) + self.terminator)

    def data_received(self, data: bytes) -> None:
        """Scanners ignore what the host sends (kept in ``received``)."""
