"""Byte transports chosen by URL: tcp, serial, file, memory (usb lives in ``usb.py``)."""

from __future__ import annotations

import asyncio
import contextlib
from abc import ABC, abstractmethod
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

from drivers.errors import TransportError

__all__ = [
    "DeviceURL",
    "FileTransport",
    "MemoryTransport",
    "TcpTransport",
    "Transport",
    "open_transport",
    "parse_device_url",
]

SCHEMES = ("tcp", "serial", "usb", "file", "memory")


@dataclass(frozen=True)
class DeviceURL:
    """A parsed device address such as ``serial:///dev/ttyUSB0?baud=9600``."""

    scheme: str
    host: str = ""
    port: int = 0
    path: str = ""
    options: dict[str, str] = field(default_factory=dict)
    raw: str = ""


def parse_device_url(url: str) -> DeviceURL:
    """Parse a device URL; raise TransportError when it names no known transport."""
    parts = urlsplit(url)
    scheme = parts.scheme.lower()
    if scheme not in SCHEMES:
        raise TransportError(f"unknown device URL scheme in {url!r}; use one of {SCHEMES}")
    options = {k: v[-1] for k, v in parse_qs(parts.query).items()}
    if scheme == "tcp":
        try:
            port = parts.port or 9100
        except ValueError as err:
            raise TransportError(f"bad port in {url!r}") from err
        if not parts.hostname:
            raise TransportError(f"no host in {url!r}")
        return DeviceURL(scheme, host=parts.hostname, port=port, options=options, raw=url)
    if scheme == "usb":
        # usb://VID:PID in hex, e.g. usb://04b8:0202; urlsplit reads "0202" as a port.
        vid, _, pid = parts.netloc.partition(":")
        try:
            int(vid, 16), int(pid, 16)
        except ValueError as err:
            raise TransportError(f"usb URL must be usb://VID:PID in hex, got {url!r}") from err
        return DeviceURL(scheme, host=vid.lower(), path=pid.lower(), options=options, raw=url)
    if scheme == "memory":
        return DeviceURL(scheme, host=parts.netloc, path=parts.path, options=options, raw=url)
    # serial and file: serial:///dev/ttyS1, serial://COM3 (Windows), file:///tmp/out.bin
    path = parts.netloc + parts.path
    if not path:
        raise TransportError(f"no path in {url!r}")
    return DeviceURL(scheme, path=path, options=options, raw=url)


class Transport(ABC):
    """An async byte pipe: open, write, read with a timeout, close."""

    url: str = ""
    readable: bool = True

    @abstractmethod
    async def open(self) -> None:
        """Open the underlying connection or port."""

    @abstractmethod
    async def write(self, data: bytes) -> None:
        """Send all of ``data``."""

    @abstractmethod
    async def read(self, timeout: float) -> bytes:
        """Return the bytes available within ``timeout`` seconds (``b""`` if none came)."""

    @abstractmethod
    async def close(self) -> None:
        """Close; safe to call twice."""

    async def __aenter__(self) -> Transport:
        await self.open()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.close()


class TcpTransport(Transport):
    """A TCP socket, e.g. an ESC/POS printer on port 9100."""

    def __init__(self, host: str, port: int, *, connect_timeout: float = 3.0) -> None:
        self.url = f"tcp://{host}:{port}"
        self._host, self._port, self._connect_timeout = host, port, connect_timeout
        self._reader: asyncio.StreamReader | None = None
        self._writer: asyncio.StreamWriter | None = None

    async def open(self) -> None:
        """Connect to the host, within the connect timeout."""
        try:
            async with asyncio.timeout(self._connect_timeout):
                self._reader, self._writer = await asyncio.open_connection(self._host, self._port)
        except (OSError, TimeoutError) as err:
            raise TransportError(f"cannot connect to {self.url}: {err}") from err

    async def write(self, data: bytes) -> None:
        """Send and drain."""
        if self._writer is None:
            raise TransportError(f"{self.url} is not open")
        try:
            self._writer.write(data)
            await self._writer.drain()
        except OSError as err:
            raise TransportError(f"write to {self.url} failed: {err}") from err

    async def read(self, timeout: float) -> bytes:
        """Read what arrives within the timeout; EOF is an error."""
        if self._reader is None:
            raise TransportError(f"{self.url} is not open")
        try:
            async with asyncio.timeout(timeout):
                data = await self._reader.read(4096)
        except TimeoutError:
            return b""
        except OSError as err:
            raise TransportError(f"read from {self.url} failed: {err}") from err
        if not data:
            raise TransportError(f"{self.url} closed the connection")
        return data

    async def close(self) -> None:
        """Close the socket."""
        writer, self._writer, self._reader = self._writer, None, None
        if writer is not None:
            writer.close()
            with contextlib.suppress(OSError):
                await writer.wait_closed()


class FileTransport(Transport):
    """A file or character device opened for writing, e.g. ``file:///dev/usb/lp0``."""

    readable = False

    def __init__(self, path: str) -> None:
        self.url = f"file://{path}"
        self._path = Path(path)
        self._file: Any = None

    async def open(self) -> None:
        """Open the file for appending bytes."""
        try:
            self._file = await asyncio.to_thread(self._path.open, "ab")
        except OSError as err:
            raise TransportError(f"cannot open {self.url}: {err}") from err

    async def write(self, data: bytes) -> None:
        """Append the bytes and flush."""
        if self._file is None:
            raise TransportError(f"{self.url} is not open")
        try:
            await asyncio.to_thread(_write_file, self._file, data)
        except OSError as err:
            raise TransportError(f"write to {self.url} failed: {err}") from err

    async def read(self, timeout: float) -> bytes:
        """A file gives no answers: wait the timeout and return nothing."""
        await asyncio.sleep(timeout)
        return b""

    async def close(self) -> None:
        """Close the file."""
        file, self._file = self._file, None
        if file is not None:
            file.close()


def _write_file(file: Any, data: bytes) -> None:
    file.write(data)
    file.flush()


class MemoryTransport(Transport):
    """An in-process transport for tests: records writes, replays fed bytes."""

    def __init__(
        self, name: str = "", *, responder: Callable[[bytes], bytes] | None = None
    ) -> None:
        self.url = f"memory://{name}"
        self.written = bytearray()
        self.is_open = False
        self.fail_open = False
        self._responder = responder
        self._incoming: asyncio.Queue[bytes] = asyncio.Queue()

    def feed(self, data: bytes) -> None:
        """Make ``data`` arrive as if the device had sent it."""
        self._incoming.put_nowait(data)

    async def open(self) -> None:
        """Open (fails when ``fail_open`` is set, to test error paths)."""
        if self.fail_open:
            raise TransportError(f"{self.url} refused to open")
        self.is_open = True

    async def write(self, data: bytes) -> None:
        """Record the bytes; a responder may answer them."""
        if not self.is_open:
            raise TransportError(f"{self.url} is not open")
        self.written += data
        if self._responder is not None:
            answer = self._responder(data)
            if answer:
                self.feed(answer)

    async def read(self, timeout: float) -> bytes:
        """Return fed bytes, waiting up to ``timeout``."""
        if not self.is_open:
            raise TransportError(f"{self.url} is not open")
        try:
            async with asyncio.timeout(timeout):
                return await self._incoming.get()
        except TimeoutError:
            return b""

    async def close(self) -> None:
        """Mark closed."""
        self.is_open = False


def open_transport(url: str | Transport) -> Transport:
    """Make (not yet open) the transport a device URL names; pass a Transport through."""
    if isinstance(url, Transport):
        return url
    parsed = parse_device_url(url)
    if parsed.scheme == "tcp":
        return TcpTransport(parsed.host, parsed.port)
    if parsed.scheme == "serial":
        baud = parsed.options.get("baud", "9600")
        if not baud.isdigit():
            raise TransportError(f"bad baud rate in {url!r}")
        from drivers.serial_transport import SerialTransport

        return SerialTransport(parsed.path, baudrate=int(baud))
    if parsed.scheme == "file":
        return FileTransport(parsed.path)
    if parsed.scheme == "usb":
        from drivers.usb import UsbTransport

        return UsbTransport(int(parsed.host, 16), int(parsed.path, 16))
    return MemoryTransport(parsed.host + parsed.path)
