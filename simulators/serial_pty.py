"""A simulated serial device on a real pseudo-tty: drivers open the slave end as a port."""

from __future__ import annotations

import asyncio
import contextlib
import os
import tty
from abc import ABC, abstractmethod

__all__ = ["SerialSimulator"]


class SerialSimulator(ABC):
    """Owns a pty pair; the driver opens ``path`` (``url``) like any serial port."""

    def __init__(self) -> None:
        self.master_fd = -1
        self.slave_fd = -1
        self.path = ""
        self._loop: asyncio.AbstractEventLoop | None = None
        self._out = bytearray()
        self.received = bytearray()

    @property
    def url(self) -> str:
        """The device URL a driver is configured with, e.g. ``serial:///dev/pts/7``."""
        return f"serial://{self.path}"

    async def start(self) -> str:
        """Open the pty and start answering; return the device URL."""
        self.master_fd, self.slave_fd = os.openpty()
        # Raw mode before any driver opens it: no echo, no CR/LF translation. The slave stays
        # open here too, so the master never sees EIO between driver reconnects.
        tty.setraw(self.slave_fd)
        os.set_blocking(self.master_fd, False)
        self.path = os.ttyname(self.slave_fd)
        self._loop = asyncio.get_running_loop()
        self._loop.add_reader(self.master_fd, self._readable)
        await self.started()
        return self.url

    async def started(self) -> None:
        """Hook for subclasses: start background tasks."""
        return None

    async def stop(self) -> None:
        """Stop answering and close the pty."""
        await self.stopping()
        if self._loop is not None and self.master_fd >= 0:
            self._loop.remove_reader(self.master_fd)
            self._loop.remove_writer(self.master_fd)
        for fd in (self.master_fd, self.slave_fd):
            if fd >= 0:
                with contextlib.suppress(OSError):
                    os.close(fd)
        self.master_fd = self.slave_fd = -1

    async def stopping(self) -> None:
        """Hook for subclasses: stop background tasks."""
        return None

    def _readable(self) -> None:
        try:
            data = os.read(self.master_fd, 4096)
        except (BlockingIOError, InterruptedError):
            return
        except OSError:
            return
        if data:
            self.received += data
            self.data_received(data)

    @abstractmethod
    def data_received(self, data: bytes) -> None:
        """Bytes the driver wrote."""

    def send(self, data: bytes) -> None:
        """Send bytes to the driver, as the device would."""
        if self.master_fd < 0:
            return
        self._out += data
        self._flush()

    def _flush(self) -> None:
        while self._out:
            try:
                n = os.write(self.master_fd, self._out)
            except BlockingIOError:
                n = 0
            except OSError:
                self._out.clear()
                return
            if n == 0:
                assert self._loop is not None
                self._loop.add_writer(self.master_fd, self._writable)
                return
            del self._out[:n]

    def _writable(self) -> None:
        assert self._loop is not None
        self._loop.remove_writer(self.master_fd)
        self._flush()
