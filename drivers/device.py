"""What every device driver shares: a supervised connection, retries, reported health."""

from __future__ import annotations

import asyncio
import contextlib
import inspect
import logging
from abc import ABC, abstractmethod
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any, ClassVar

from drivers.errors import DeviceError, TransportError
from drivers.transports import Transport, open_transport

__all__ = ["Backoff", "Device", "DeviceStatus", "StatusCallback", "cancel_and_wait"]

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class DeviceStatus:
    """A device's health as reported to the core."""

    device: str
    kind: str
    online: bool
    detail: dict[str, Any] = field(default_factory=dict)


StatusCallback = Callable[[DeviceStatus], Awaitable[None] | None]


class Backoff:
    """Exponential backoff: initial, doubled each failure, capped at maximum."""

    def __init__(self, initial: float = 0.5, maximum: float = 30.0, factor: float = 2.0) -> None:
        self.initial, self.maximum, self.factor = initial, maximum, factor
        self._next = initial

    def next(self) -> float:
        """Return the delay to wait now and grow the next one."""
        delay, self._next = self._next, min(self._next * self.factor, self.maximum)
        return delay

    def reset(self) -> None:
        """Start again from the initial delay after a success."""
        self._next = self.initial


async def cancel_and_wait(task: asyncio.Task[Any]) -> None:
    """Cancel a task and wait until it has really ended.

    On Python 3.11 ``asyncio.wait_for`` can swallow a cancellation that races with its
    inner future completing, so one ``cancel()`` is not always enough: repeat until done.
    """
    while not task.done():
        task.cancel()
        await asyncio.wait({task}, timeout=1.0)
    if not task.cancelled() and task.exception() is not None:
        log.error("task %s ended with %r", task.get_name(), task.exception())


async def call_callback(callback: Callable[[Any], Any] | None, value: Any) -> None:
    """Call a sync or async callback; its failure is logged, never raised into a driver."""
    if callback is None:
        return
    try:
        result = callback(value)
        if inspect.isawaitable(result):
            await result
    except Exception:
        log.exception("device callback %r failed", callback)


class Device(ABC):
    """A driver that keeps its transport open, retrying with backoff, and reports health."""

    kind: ClassVar[str] = "device"

    def __init__(
        self,
        url: str | Transport,
        *,
        name: str | None = None,
        on_status: StatusCallback | None = None,
        backoff: Backoff | None = None,
        connect_wait: float = 2.0,
    ) -> None:
        self.url = url if isinstance(url, str) else url.url
        self.name = name or self.kind
        self.on_status = on_status
        self.backoff = backoff or Backoff()
        self.connect_wait = connect_wait  # how long a command waits for a (re)connection
        self.online = False
        self.detail: dict[str, Any] = {}
        self.transport: Transport | None = None
        self._target = url
        self._task: asyncio.Task[None] | None = None
        self._connected = asyncio.Event()
        self._reported: tuple[bool, dict[str, Any]] | None = None

    def health(self) -> DeviceStatus:
        """The last known health of this device."""
        return DeviceStatus(self.name, self.kind, self.online, dict(self.detail))

    async def start(self) -> None:
        """Start connecting in the background; returns at once."""
        if self._task is None:
            self._task = asyncio.create_task(self._supervise(), name=f"device-{self.name}")

    async def stop(self) -> None:
        """Stop the connection loop and close the transport."""
        task, self._task = self._task, None
        if task is not None:
            await cancel_and_wait(task)
        await self._drop_transport()

    async def wait_connected(self, timeout: float) -> bool:
        """Wait until the transport is open; False after ``timeout`` seconds."""
        try:
            async with asyncio.timeout(timeout):
                await self._connected.wait()
        except TimeoutError:
            return False
        return True

    async def _supervise(self) -> None:
        while True:
            try:
                transport = open_transport(self._target)
                await transport.open()
                self.transport = transport
                self._connected.set()
                self.backoff.reset()
                await self._session(transport)
            except DeviceError as err:
                log.warning("%s %s: %s", self.kind, self.name, err)
                await self._report(False, {**self.detail, "error": str(err)})
            except Exception as err:  # a bug in a driver must not take the agent down
                log.exception("%s %s crashed", self.kind, self.name)
                await self._report(False, {"error": f"internal: {err!r}"})
            await self._drop_transport()
            await asyncio.sleep(self.backoff.next())

    async def _drop_transport(self) -> None:
        self._connected.clear()
        transport, self.transport = self.transport, None
        if transport is not None:
            with contextlib.suppress(Exception):
                await transport.close()

    async def _connected_transport(self) -> Transport:
        """The open transport, waiting up to ``connect_wait`` for a connection in progress."""
        if self.transport is None:
            await self.wait_connected(self.connect_wait)
        return self._require()

    def _require(self) -> Transport:
        transport = self.transport
        if transport is None:
            raise TransportError(f"{self.kind} {self.name} is not connected")
        return transport

    @abstractmethod
    async def _session(self, transport: Transport) -> None:
        """Talk to the open device until the transport fails (raise TransportError)."""

    async def _report(self, online: bool, detail: dict[str, Any]) -> None:
        """Record the health and tell the status callback when it changed."""
        self.online, self.detail = online, dict(detail)
        if self._reported == (online, self.detail):
            return
        self._reported = (online, dict(self.detail))
        await call_callback(self.on_status, self.health())
