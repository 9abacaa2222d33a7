"""LED boards on one simulated RS-485 bus (a pseudo-tty), each answering its own address."""

from __future__ import annotations

import asyncio
from collections.abc import Iterable
from dataclasses import dataclass, field

from drivers import led_protocol as hql
from simulators.serial_pty import SerialSimulator

__all__ = ["BoardState", "LedBoardSimulator"]


@dataclass
class BoardState:
    """What one board shows."""

    lines: dict[int, str] = field(default_factory=dict)
    colours: dict[int, int] = field(default_factory=dict)
    scrolling: dict[int, bool] = field(default_factory=dict)
    brightness: int = 15


class LedBoardSimulator(SerialSimulator):
    """Boards at ``addresses`` sharing one bus; records what each was told to display."""

    def __init__(self, addresses: Iterable[int] = (1,), *, lines: int = 2) -> None:
        super().__init__()
        self.boards = {address: BoardState() for address in addresses}
        self.line_count = lines
        self.garbled = 0
        self.dead: set[int] = set()  # boards that stopped answering
        self._decoder = hql.LedDecoder()
        self._changed = asyncio.Event()

    def text(self, address: int) -> list[str]:
        """The lines a board shows now, top to bottom."""
        board = self.boards[address]
        return [board.lines.get(i, "") for i in range(self.line_count)]

    async def wait_for_text(self, address: int, lines: list[str], timeout: float = 5.0) -> None:
        """Wait until board ``address`` shows exactly ``lines``."""
        async def shown() -> None:
            while self.text(address) != lines:
                self._changed.clear()
                await self._changed.wait()
        await asyncio.wait_for(shown(), timeout)

    def data_received(self, data: bytes) -> None:
        """Decode frames and apply those addressed to our boards."""
        for event in self._decoder.feed(data):
            if isinstance(event, hql.LedGarbled):
                self.garbled += 1
            elif event.address == hql.BROADCAST:
                for board in self.boards.values():
                    self._apply(board, event)
            elif event.address in self.boards and event.address not in self.dead:
                nak = self._apply(self.boards[event.address], event)
                self.send(hql.reply(event.address, event.command, nak))
        self._changed.set()

    def _apply(self, board: BoardState, frame: hql.LedFrame) -> int | None:
        data = frame.data
        if frame.command in (hql.LedCommand.SHOW, hql.LedCommand.SCROLL) and len(data) >= 2:
            line = data[0]
            if line >= self.line_count:
                return 0x02  # no such line
            board.lines[line] = data[2:].decode("gb2312", errors="replace")
            board.colours[line] = data[1]
            board.scrolling[line] = frame.command == hql.LedCommand.SCROLL
            return None
        if frame.command == hql.LedCommand.CLEAR and len(data) == 1:
            targets = range(self.line_count) if data[0] == 0xFF else (data[0],)
            for line in targets:
                board.lines.pop(line, None)
            return None
        if frame.command == hql.LedCommand.BRIGHTNESS and len(data) == 1 and data[0] <= 15:
            board.brightness = data[0]
            return None
        return 0x01  # unknown command or bad data
