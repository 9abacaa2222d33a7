"""Serial ports through pyserial, with a reader thread keeping blocking I/O off the loop."""

from __future__ import annotations

import asyncio
import contextlib
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import serial

from drivers.errors import TransportError
from drivers.transports import Transport

__all__ = ["SerialTransport"]


class SerialTransport(Transport):
    """A serial port through pyserial; a reader thread keeps blocking I/O off the loop."""

    def __init__(self, port: str, *, baudrate: int = 9600) -> None:
        self.url = f"serial://{port}?baud={baudrate}"
        self._port, self._baudrate = port, baudrate
        self._serial: serial.Serial | None = None
        self._queue: asyncio.Queue[bytes | BaseException] = asyncio.Queue()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._writer_pool: ThreadPoolExecutor | None = None

    async def open(self) -> None:
        """Open the port and start its reader thread."""
        loop = asyncio.get_running_loop()
        try:
            self._serial = await asyncio.to_thread(
                serial.serial_for_url, self._port, baudrate=self._baudrate, timeout=0.2
            )
        except (serial.SerialException, OSError, ValueError) as err:
            raise TransportError(f"cannot open {self.url}: {err}") from err
        self._queue = asyncio.Queue()
        self._stop.clear()
        self._writer_pool = ThreadPoolExecutor(1, thread_name_prefix="serial-write")
        self._thread = threading.Thread(
            target=self._reader_thread, args=(loop, self._serial), daemon=True
        )
        self._thread.start()

    def _reader_thread(self, loop: asyncio.AbstractEventLoop, port: serial.Serial) -> None:
        put: Callable[[Any], None] = self._queue.put_nowait
        while not self._stop.is_set():
            try:
                data = port.read(port.in_waiting or 1)
            except (serial.SerialException, OSError, TypeError) as err:
                # TypeError: pyserial reading a port closed under it by close().
                if not self._stop.is_set():
                    with contextlib.suppress(RuntimeError):
                        loop.call_soon_threadsafe(put, err)
                return
            if data:
                with contextlib.suppress(RuntimeError):  # loop closed while we read
                    loop.call_soon_threadsafe(put, data)

    async def write(self, data: bytes) -> None:
        """Write all bytes in the writer thread."""
        port = self._serial
        if port is None or self._writer_pool is None:
            raise TransportError(f"{self.url} is not open")
        loop = asyncio.get_running_loop()
        try:
            await loop.run_in_executor(self._writer_pool, _write_all, port, data)
        except (serial.SerialException, OSError) as err:
            raise TransportError(f"write to {self.url} failed: {err}") from err

    async def read(self, timeout: float) -> bytes:
        """Return bytes the reader thread collected, waiting up to ``timeout``."""
        if self._serial is None:
            raise TransportError(f"{self.url} is not open")
        try:
            async with asyncio.timeout(timeout):
                item = await self._queue.get()
        except TimeoutError:
            return b""
        chunks = [item]
        while not self._queue.empty():
            chunks.append(self._queue.get_nowait())
        data = bytearray()
        for chunk in chunks:
            if isinstance(chunk, BaseException):
                raise TransportError(f"read from {self.url} failed: {chunk}") from chunk
            data += chunk
        return bytes(data)

    async def close(self) -> None:
        """Stop the reader thread and close the port."""
        port, self._serial = self._serial, None
        self._stop.set()
        if port is not None:
            with contextlib.suppress(Exception):
                port.cancel_read()
            if self._thread is not None:
                await asyncio.to_thread(self._thread.join, 2.0)
            with contextlib.suppress(Exception):
                port.close()
        if self._writer_pool is not None:
            self._writer_pool.shutdown(wait=False)
            self._writer_pool = None


def _write_all(port: serial.Serial, data: bytes) -> None:
    port.write(data)
    port.flush()
