"""The evaluator (好差评评价器) driver: prompts out, ratings in, heartbeats both ways."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections import OrderedDict
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from drivers.device import Device, call_callback, cancel_and_wait
from drivers.errors import DeviceError
from drivers.evaluator_protocol import (
    Ack,
    EvaluatorDecoder,
    EvaluatorMessage,
    Garbled,
    Heartbeat,
    Nak,
    Prompt,
    Rating,
    Received,
    Status,
    encode,
)
from drivers.transports import Transport

__all__ = ["EvaluatorDriver", "RatingEvent"]

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class RatingEvent:
    """A rating the evaluator sent, with the sequence number to acknowledge it by."""

    device: str
    seq: int
    ticket_id: str
    level: int
    reasons: tuple[int, ...]
    at: str


RatingCallback = Callable[[RatingEvent], Awaitable[None] | None]


class EvaluatorDriver(Device):
    """A serial evaluator speaking HQE/1 (docs/protocols/evaluator.md)."""

    kind = "evaluator"

    def __init__(
        self,
        url: str | Transport,
        *,
        on_rating: RatingCallback | None = None,
        heartbeat_interval: float = 5.0,
        offline_after: float = 15.0,
        **kwargs: Any,
    ) -> None:
        super().__init__(url, **kwargs)
        self.on_rating = on_rating
        self.heartbeat_interval = heartbeat_interval
        self.offline_after = offline_after
        self._seq = 0
        self._ratings: asyncio.Queue[RatingEvent] = asyncio.Queue()
        # Answers already given, by (seq, ticket id): a device that missed our ACK sends the
        # same rating again, and must get the same answer, not a second rating.
        self._answered: OrderedDict[tuple[int, str], EvaluatorMessage | None] = OrderedDict()
        self._last_heard = 0.0

    async def ratings(self) -> AsyncIterator[RatingEvent]:
        """Yield ratings as they arrive (when no ``on_rating`` callback is set)."""
        while True:
            yield await self._ratings.get()

    async def _send(self, message: EvaluatorMessage) -> bool:
        try:
            transport = await self._connected_transport()
            await transport.write(encode(self._next_seq(), message))
        except DeviceError as err:
            log.warning("evaluator %s: %s", self.name, err)
            await self._drop_transport()
            return False
        return True

    async def prompt(
        self, *, ticket_number: str, ticket_id: str, window: str, staff_name: str, staff_no: str
    ) -> bool:
        """Ask the citizen to rate ``ticket_id``; False when the device is unreachable."""
        return await self._send(Prompt(ticket_number, ticket_id, window, staff_name, staff_no))

    async def answer(self, event: RatingEvent, *, ok: bool, code: int) -> bool:
        """ACK (``ok``) or NAK a rating with a code from AckCode / NakCode."""
        reply: EvaluatorMessage = Ack(event.seq, code) if ok else Nak(event.seq, code)
        self._answered[(event.seq, event.ticket_id)] = reply
        return await self._send(reply)

    async def _session(self, transport: Transport) -> None:
        decoder = EvaluatorDecoder()
        loop = asyncio.get_running_loop()
        self._last_heard = loop.time()
        await self._send(Heartbeat())  # a device answers a heartbeat with its STATUS
        beat = asyncio.create_task(self._heartbeats(loop))
        try:
            while True:
                data = await transport.read(0.5)
                for event in decoder.feed(data):
                    await self._handle(event, loop)
        finally:
            await cancel_and_wait(beat)

    async def _heartbeats(self, loop: asyncio.AbstractEventLoop) -> None:
        while True:
            await asyncio.sleep(self.heartbeat_interval)
            await self._send(Heartbeat())
            if self.online and loop.time() - self._last_heard > self.offline_after:
                await self._report(False, {**self.detail, "error": "silent"})

    async def _handle(self, event: Received | Garbled, loop: asyncio.AbstractEventLoop) -> None:
        if isinstance(event, Garbled):
            log.info("evaluator %s: dropped bytes: %s", self.name, event.reason)
            return
        self._last_heard = loop.time()
        message = event.message
        detail = {k: v for k, v in self.detail.items() if k != "error"}
        if isinstance(message, Status):
            detail.update(state=message.state, flags=message.flags, firmware=message.firmware)
        await self._report(True, detail)
        if isinstance(message, Rating):
            await self._rating(event.seq, message)

    async def _rating(self, seq: int, rating: Rating) -> None:
        key = (seq, rating.ticket_id)
        if key in self._answered:
            reply = self._answered[key]
            if reply is not None:  # a repeat: answer the same again
                with contextlib.suppress(DeviceError):
                    await self._require().write(encode(self._next_seq(), reply))
            return
        self._answered[key] = None  # seen; the answer comes later from the core
        while len(self._answered) > 256:
            self._answered.popitem(last=False)
        event = RatingEvent(
            self.name, seq, rating.ticket_id, rating.level, rating.reasons,
            datetime.now().astimezone().isoformat(timespec="seconds"),
        )
        if self.on_rating is None:
            self._ratings.put_nowait(event)
        await call_callback(self.on_rating, event)

    def _next_seq(self) -> int:
        self._seq = (self._seq + 1) & 0xFF
        return self._seq
