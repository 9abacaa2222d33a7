"""The LED board driver: several RS-485 boards on one bus, each by its address."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Sequence
from typing import Any

from drivers import led_protocol as hql
from drivers.device import Device, cancel_and_wait
from drivers.errors import DeviceError
from drivers.transports import Transport

__all__ = ["LedBoardDriver"]

log = logging.getLogger(__name__)


class LedBoardDriver(Device):
    """Boards speaking HQL/1 (docs/protocols/led-board.md) on one serial bus."""

    kind = "led"

    def __init__(
        self,
        url: str | Transport,
        *,
        lines: int = 2,
        ack_timeout: float = 0.5,
        **kwargs: Any,
    ) -> None:
        super().__init__(url, **kwargs)
        self.lines = lines
        self.ack_timeout = ack_timeout
        self.boards: dict[int, bool] = {}
        self._lock = asyncio.Lock()  # RS-485 is half duplex: one command in flight
        self._waiting: tuple[int, asyncio.Future[bool]] | None = None
        # What each board should show, replayed after a reconnect (a board may have rebooted).
        self._wanted: dict[int, tuple[list[str], hql.Colour]] = {}

    async def show(
        self, address: int, lines: Sequence[str], colour: hql.Colour = hql.Colour.RED
    ) -> bool:
        """Show ``lines`` on the board at ``address`` (clearing the rest); True if acked."""
        self._wanted[address] = (list(lines), colour)
        frames = [hql.show_text(address, i, text, colour) for i, text in enumerate(lines)]
        frames += [hql.clear(address, i) for i in range(len(lines), self.lines)]
        ok = True
        for frame in frames:
            ok = await self.send(address, frame) and ok
        return ok

    async def clear(self, address: int) -> bool:
        """Blank every line of the board."""
        return await self.send(address, hql.clear(address))

    async def set_brightness(self, address: int, level: int) -> bool:
        """Set the board's brightness 0..15."""
        return await self.send(address, hql.brightness(address, level))

    async def scroll(self, address: int, line: int, text: str, speed: int = 5) -> bool:
        """Scroll text on one line."""
        return await self.send(address, hql.scroll(address, line, text, speed))

    async def send(self, address: int, frame: bytes) -> bool:
        """Send one encoded frame and wait for the board's ACK (none for broadcast)."""
        async with self._lock:
            loop = asyncio.get_running_loop()
            future: asyncio.Future[bool] = loop.create_future()
            self._waiting = (address, future)
            try:
                transport = await self._connected_transport()
                await transport.write(frame)
                if address == hql.BROADCAST:
                    return True
                try:
                    async with asyncio.timeout(self.ack_timeout):
                        ok = await future
                except TimeoutError:
                    ok = False
            except DeviceError as err:
                log.warning("led %s: %s", self.name, err)
                await self._drop_transport()
                await self._report(False, {"error": str(err), "boards": self._boards()})
                return False
            finally:
                self._waiting = None
        await self._board(address, ok)
        return ok

    def _boards(self) -> dict[str, bool]:
        return {str(a): up for a, up in sorted(self.boards.items())}

    async def _board(self, address: int, up: bool) -> None:
        self.boards[address] = up
        await self._report(self.transport is not None, {"boards": self._boards()})

    async def _session(self, transport: Transport) -> None:
        decoder = hql.LedDecoder()
        await self._report(True, {"boards": self._boards()})
        replay = asyncio.create_task(self._replay())
        try:
            while True:
                for event in decoder.feed(await transport.read(1.0)):
                    if isinstance(event, hql.LedGarbled):
                        log.info("led %s: dropped bytes: %s", self.name, event.reason)
                        continue
                    waiting = self._waiting
                    if waiting and event.address == waiting[0] and not waiting[1].done():
                        waiting[1].set_result(event.command == hql.LedCommand.ACK)
        finally:
            await cancel_and_wait(replay)

    async def _replay(self) -> None:
        for address, (lines, colour) in list(self._wanted.items()):
            await self.show(address, lines, colour)
