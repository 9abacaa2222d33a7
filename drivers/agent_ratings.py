"""Ratings from the evaluator to the core through the disk outbox, delivered exactly once."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Awaitable, Callable, Coroutine
from typing import Any

from drivers.device import cancel_and_wait
from drivers.evaluator import EvaluatorDriver, RatingEvent
from drivers.evaluator_protocol import AckCode, NakCode
from drivers.outbox import Outbox

__all__ = ["CORE_ERRORS", "RatingRelay"]

# The core's refusal codes, as the evaluator's NAK codes. already_rated is 一次一评
# (焦作 第四十五条; 江苏 第五条): one rating per service, a second one is refused.
CORE_ERRORS = {"already_rated": NakCode.ALREADY_RATED, "unknown_ticket": NakCode.UNKNOWN_TICKET}

Send = Callable[[dict[str, Any]], Awaitable[bool]]


class RatingRelay:
    """Keeps each rating on disk until the core acknowledges its uid, and answers the device."""

    def __init__(self, outbox: Outbox, send: Send, *, ack_wait: float = 2.0) -> None:
        self.outbox = outbox
        self.evaluator: EvaluatorDriver | None = None
        self.ack_wait = ack_wait
        self._send = send
        self._waiting: dict[str, RatingEvent] = {}  # uid -> the evaluator's rating, unanswered
        self._tasks: set[asyncio.Task[None]] = set()

    def _spawn(self, coro: Coroutine[Any, Any, Any]) -> None:
        task: asyncio.Task[None] = asyncio.create_task(coro)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def stop(self) -> None:
        """Cancel pending answers to the device (the ratings themselves stay on disk)."""
        for task in list(self._tasks):
            await cancel_and_wait(task)

    async def resend_pending(self) -> None:
        """Send every rating the core has not acknowledged yet (after each connect)."""
        for message in self.outbox.pending():
            await self._send(message)

    async def on_rating(self, event: RatingEvent) -> None:
        """A citizen rated on the evaluator: keep, send, and answer the device."""
        if self.outbox.already_rated(event.ticket_id):
            await self._answer(event, ok=False, code=NakCode.ALREADY_RATED)
            return
        uid = uuid.uuid4().hex
        message = {"type": "rating", "uid": uid, "ticket_id": event.ticket_id,
                   "level": event.level, "reasons": list(event.reasons), "at": event.at}
        self.outbox.add(message)  # on disk before anything else: survives a crash
        self._waiting[uid] = event
        if not await self._send(message):
            await self._queued(uid)
            return
        self._spawn(self._queued_after(uid, self.ack_wait))

    async def on_ack(self, message: dict[str, Any]) -> None:
        """The core's rating_ack: forget the rating, tell the device the verdict."""
        uid = str(message["uid"])
        kept = self.outbox.get(uid)
        self.outbox.remove(uid)  # acknowledged either way: never sent again
        ok, error = bool(message.get("ok")), message.get("error")
        if not ok and error != "already_rated" and kept is not None:
            self.outbox.forget_rated(kept["ticket_id"])  # refused for a reason: may rate again
        event = self._waiting.pop(uid, None)
        if event is not None:
            code = AckCode.ACCEPTED if ok else CORE_ERRORS.get(str(error), NakCode.INVALID)
            self._spawn(self._answer(event, ok=ok, code=code))  # do not hold up the core

    async def _answer(self, event: RatingEvent, *, ok: bool, code: int) -> None:
        if self.evaluator is not None:
            await self.evaluator.answer(event, ok=ok, code=code)

    async def _queued_after(self, uid: str, delay: float) -> None:
        await asyncio.sleep(delay)
        await self._queued(uid)

    async def _queued(self, uid: str) -> None:
        # The core has not answered: the citizen is done, the rating is safe on disk.
        event = self._waiting.pop(uid, None)
        if event is not None:
            await self._answer(event, ok=True, code=AckCode.QUEUED)
