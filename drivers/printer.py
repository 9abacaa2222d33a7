"""The ticket printer driver: ESC/POS tickets plus polled real-time status."""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass
from typing import Any

from drivers.device import Device
from drivers.errors import DeviceError, ProtocolError, TransportError
from drivers.printer_status import PrinterStatus, dle_eot, parse_dle_eot
from drivers.slip import Slip, render_slip
from drivers.ticket import Ticket, render_ticket
from drivers.transports import Transport

__all__ = ["PrintResult", "PrinterDriver"]


@dataclass(frozen=True)
class PrintResult:
    """Whether a ticket was printed, and if not why (``paper_out``, ``offline`` …)."""

    ok: bool
    error: str | None = None


OFFLINE = PrinterStatus(reachable=False)
log = logging.getLogger(__name__)


class PrinterDriver(Device):
    """An ESC/POS ticket printer on any transport."""

    kind = "printer"

    def __init__(
        self,
        url: str | Transport,
        *,
        poll_interval: float = 5.0,
        reply_timeout: float = 1.0,
        four_byte: bool = False,
        **kwargs: Any,
    ) -> None:
        super().__init__(url, **kwargs)
        self.poll_interval = poll_interval
        self.reply_timeout = reply_timeout
        self.four_byte = four_byte
        self.last_status = OFFLINE
        self._lock = asyncio.Lock()
        self._rx = bytearray()

    async def _session(self, transport: Transport) -> None:
        while True:
            status = await self._query(transport)
            await self._publish(status)
            await asyncio.sleep(self.poll_interval)

    async def _publish(self, status: PrinterStatus) -> None:
        self.last_status = status
        await self._report(status.reachable, status.detail())

    async def _read_byte(self, transport: Transport) -> int | None:
        if not self._rx:
            self._rx += await transport.read(self.reply_timeout)
        if not self._rx:
            return None
        byte = self._rx[0]
        del self._rx[0]
        return byte

    async def _drain(self, transport: Transport) -> None:
        # Drop stale bytes (a late reply, automatic status) so replies line up with queries.
        self._rx.clear()
        for _ in range(10):
            if not await transport.read(0.005):
                return

    async def _query(self, transport: Transport) -> PrinterStatus:
        """Ask DLE EOT 1..4; a printer that does not answer is offline."""
        if not transport.readable:
            return PrinterStatus(reachable=True, known=False)
        async with self._lock:
            await self._drain(transport)
            replies: dict[int, int] = {}
            for n in (1, 2, 3, 4):
                await transport.write(dle_eot(n))
                byte = await self._read_byte(transport)
                if byte is None:
                    return OFFLINE
                replies[n] = byte
        try:
            return parse_dle_eot(replies)
        except ProtocolError:
            return PrinterStatus(reachable=True, error=True)

    async def status(self) -> PrinterStatus:
        """Query the printer now; an unreachable printer is reported offline."""
        try:
            status = await self._query(self._require())
        except TransportError:
            status = OFFLINE
            await self._drop_transport()
        await self._publish(status)
        return status

    async def print_ticket(self, ticket: Ticket | Slip) -> PrintResult:
        """Print one ticket (or slip); never raises, answers why not instead."""
        try:
            data = (render_slip(ticket, four_byte=self.four_byte) if isinstance(ticket, Slip)
                    else render_ticket(ticket, four_byte=self.four_byte))
        except ValueError as err:
            log.warning("printer %s: cannot render ticket %s: %s", self.name, ticket.number, err)
            return PrintResult(False, "bad_ticket")
        if not await self.wait_connected(self.connect_wait):
            await self._publish(OFFLINE)
            return PrintResult(False, "offline")
        status = await self.status()
        if status.problem is not None:
            return PrintResult(False, status.problem)
        try:
            async with self._lock:
                await self._require().write(data)
        except DeviceError:
            await self._drop_transport()
            await self._publish(OFFLINE)
            return PrintResult(False, "offline")
        return PrintResult(True)
