"""The 二代证 (resident ID card) reader driver: polls find → select → read over serial/USB-CDC.

The reader is a SAM module (GA 467) behind a serial port; docs/protocols/idcard.md. A card
placed on it becomes one ``CardEvent`` carrying only the ID number and whether the card
has expired: the name, address and photo are decoded from the reader's answer and dropped
at once (PIPL: minimum data), and the number never appears in a repr or a log line.
"""

from __future__ import annotations

import asyncio
import logging
from collections import deque
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from drivers import idcard_protocol as sam
from drivers.device import Device, call_callback
from drivers.errors import ProtocolError, TransportError
from drivers.transports import Transport

__all__ = ["CardEvent", "IdCardDriver", "mask_id_number"]

log = logging.getLogger(__name__)


def mask_id_number(number: str) -> str:
    """``1101**********123X``: enough to tell two cards apart in a log, not to identify one."""
    if len(number) < 8:
        return "*" * len(number)
    return number[:4] + "*" * (len(number) - 8) + number[-4:]


@dataclass(frozen=True)
class CardEvent:
    """A card placed on the reader: its ID number (kept out of repr) and whether it expired."""

    device: str
    id_number: str = field(repr=False)
    expired: bool = False

    def __str__(self) -> str:
        return f"card {mask_id_number(self.id_number)} on {self.device}"


CardCallback = Callable[[CardEvent], Awaitable[None] | None]


class _BadAnswer(Exception):
    """An answer that arrived garbled (bad checksum, wrong length, unreadable)."""


class IdCardDriver(Device):
    """A SAM ID-card reader, polled for a card every ``poll_interval`` seconds."""

    kind = "idcard"

    def __init__(
        self,
        url: str | Transport,
        *,
        on_card: CardCallback | None = None,
        poll_interval: float = 0.3,
        answer_timeout: float = 1.0,
        max_bad_answers: int = 3,
        today: Callable[[], date] = date.today,
        **kwargs: Any,
    ) -> None:
        super().__init__(url, **kwargs)
        self.on_card = on_card
        self.poll_interval = poll_interval
        self.answer_timeout = answer_timeout  # a reader that says nothing this long is offline
        self.max_bad_answers = max_bad_answers
        self.today = today
        self.reads = 0  # cards read since start
        self._cards: asyncio.Queue[CardEvent] = asyncio.Queue()
        self._framer = sam.IdCardFramer()
        self._pending: deque[sam.SamFrame] = deque()

    async def cards(self) -> AsyncIterator[CardEvent]:
        """Yield cards as they are placed (when no ``on_card`` callback is set)."""
        while True:
            yield await self._cards.get()

    async def _session(self, transport: Transport) -> None:
        self._framer, self._pending = sam.IdCardFramer(), deque()
        bad = 0
        sam_status = await self._exchange(transport, sam.SamCommand.SAM_STATUS)
        if not sam_status.ok:
            # The security module must work, or no card can be read: a fault, not a card.
            raise ProtocolError(f"SAM module fault: {sam_status.status}")
        present = False  # a card already read stays one event until it is taken away
        await self._report(True, {"card": False})
        while True:
            try:
                present = await self._poll(transport, present)
                bad = 0
            except _BadAnswer as err:
                bad += 1
                log.info("idcard %s: %s", self.name, err)
                if bad >= self.max_bad_answers:
                    raise ProtocolError(f"{bad} garbled answers in a row: {err}") from err
            await asyncio.sleep(self.poll_interval)

    async def _poll(self, transport: Transport, present: bool) -> bool:
        """One find → select → read round; returns whether a card is (still) there."""
        found = await self._exchange(transport, sam.SamCommand.FIND_CARD)
        if not found.ok:
            if present or self.detail.get("fault"):
                await self._report(True, {"card": False})
            return False
        if present:
            return True
        selected = await self._exchange(transport, sam.SamCommand.SELECT_CARD)
        if not selected.ok:
            return False  # taken away between find and select: try again next round
        answer = await self._exchange(transport, sam.SamCommand.READ_BASE)
        if not answer.ok:
            # The card is there but could not be read (moved, damaged, not a 二代证).
            await self._report(True, {"card": True, "fault": answer.status})
            return False
        try:
            info = sam.decode_base_info(answer.data)
            text = sam.decode_text(info.text)
        except ValueError as err:
            raise _BadAnswer(f"unreadable card data: {err}") from err
        # Only the number leaves this function: name, address and photo are dropped here.
        number = text.id_number.upper()
        if not sam.id_number_valid(number):
            await self._report(True, {"card": True, "fault": "invalid_number"})
            return True
        event = CardEvent(self.name, number, text.expired(self.today()))
        self.reads += 1
        log.info("idcard %s: %s", self.name, event)
        await self._report(True, {"card": True})
        if self.on_card is None:
            self._cards.put_nowait(event)
        await call_callback(self.on_card, event)
        return True

    async def _exchange(self, transport: Transport, command: sam.SamCommand) -> sam.SamResponse:
        """Send one command and wait for its answer (the reader answers every command)."""
        self._pending.clear()  # a late answer to an earlier command is not this one's
        await transport.write(sam.encode_command(command))
        loop = asyncio.get_running_loop()
        deadline = loop.time() + self.answer_timeout
        garbled: str | None = None
        while not self._pending:
            remaining = deadline - loop.time()
            if remaining <= 0:
                if garbled:
                    raise _BadAnswer(garbled)
                raise TransportError(f"idcard reader {self.name} does not answer")
            for event in self._framer.feed(await transport.read(remaining)):
                if isinstance(event, sam.IdCardGarbled):
                    garbled = event.reason
                else:
                    self._pending.append(event)
        try:
            return sam.parse_response(self._pending.popleft())
        except ValueError as err:
            raise _BadAnswer(str(err)) from err
