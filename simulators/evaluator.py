"""A 好差评 evaluator on a pseudo-tty speaking HQE/1; told which rating to give next."""

from __future__ import annotations

import asyncio
import random
from collections.abc import Coroutine
from dataclasses import dataclass
from typing import Any

from drivers.device import cancel_and_wait
from drivers.evaluator_protocol import (
    Ack,
    EvaluatorDecoder,
    EvaluatorMessage,
    Heartbeat,
    Nak,
    Prompt,
    Rating,
    Received,
    Status,
    encode,
)
from simulators.serial_pty import SerialSimulator

__all__ = ["EvaluatorSimulator", "RatingOutcome"]


@dataclass
class RatingOutcome:
    """What became of a rating the simulator sent."""

    rating: Rating
    seq: int
    answer: Ack | Nak | None = None
    sends: int = 1


class EvaluatorSimulator(SerialSimulator):
    """Answers PROMPTs with the rating it was told to give; heartbeats; retries unacked."""

    def __init__(
        self,
        *,
        heartbeat_interval: float = 5.0,
        retry_after: float = 3.0,
        max_sends: int = 3,
        firmware: str = "sim-1.0",
    ) -> None:
        super().__init__()
        self.heartbeat_interval = heartbeat_interval
        self.retry_after = retry_after
        self.max_sends = max_sends
        self.firmware = firmware
        self.silent = False  # stop sending anything: looks dead to the host
        # For the demo: answer every prompt with a level drawn from here (差评 with reason 1).
        self.auto_levels: tuple[int, ...] = ()
        self.prompts: list[Prompt] = []
        self.outcomes: list[RatingOutcome] = []
        self.heartbeats_received = 0
        self._next: tuple[int, tuple[int, ...]] | None = None
        self._decoder = EvaluatorDecoder()
        self._seq = 0
        self._tasks: set[asyncio.Task[None]] = set()
        self._changed = asyncio.Event()

    def set_next_rating(self, level: int, reasons: tuple[int, ...] = ()) -> None:
        """The citizen will press ``level`` (and these 差评 reasons) at the next prompt."""
        self._next = (level, tuple(reasons))

    def rate(self, ticket_id: str, level: int, reasons: tuple[int, ...] = ()) -> RatingOutcome:
        """Send a rating for ``ticket_id`` now, retrying until answered."""
        outcome = RatingOutcome(Rating(ticket_id, level, tuple(reasons)), self._next_seq())
        self.outcomes.append(outcome)
        self._spawn(self._deliver(outcome))
        return outcome

    async def wait_for(self, predicate_name: str, count: int = 1, timeout: float = 5.0) -> None:
        """Wait until ``len(getattr(self, name))`` reaches ``count`` (prompts, outcomes…)."""
        async def reached() -> None:
            while len(getattr(self, predicate_name)) < count:
                self._changed.clear()
                await self._changed.wait()
        await asyncio.wait_for(reached(), timeout)

    async def wait_answered(self, outcome: RatingOutcome, timeout: float = 5.0) -> Ack | Nak:
        """Wait for the host's ACK/NAK of a rating."""
        async def answered() -> Ack | Nak:
            while outcome.answer is None:
                self._changed.clear()
                await self._changed.wait()
            return outcome.answer
        return await asyncio.wait_for(answered(), timeout)

    def send_message(self, message: EvaluatorMessage) -> int:
        """Send any message with a fresh sequence number; return it."""
        seq = self._next_seq()
        if not self.silent:
            self.send(encode(seq, message))
        return seq

    def _next_seq(self) -> int:
        self._seq = (self._seq + 1) & 0xFF
        return self._seq

    def _spawn(self, coro: Coroutine[Any, Any, None]) -> None:
        task = asyncio.ensure_future(coro)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def started(self) -> None:
        """Start heartbeating."""
        self._spawn(self._heartbeats())

    async def stopping(self) -> None:
        """Stop every task."""
        for task in list(self._tasks):
            await cancel_and_wait(task)

    async def _heartbeats(self) -> None:
        while True:
            self.send_message(Heartbeat())
            await asyncio.sleep(self.heartbeat_interval)

    async def _deliver(self, outcome: RatingOutcome) -> None:
        frame = encode(outcome.seq, outcome.rating)
        while outcome.answer is None and outcome.sends <= self.max_sends:
            if not self.silent:
                self.send(frame)
            await asyncio.sleep(self.retry_after)
            if outcome.answer is None:
                outcome.sends += 1  # same seq: the host must see it as the same rating

    def data_received(self, data: bytes) -> None:
        """Handle host frames."""
        for event in self._decoder.feed(data):
            if isinstance(event, Received):
                self._handle(event)
        self._changed.set()

    def _handle(self, event: Received) -> None:
        message = event.message
        if isinstance(message, Heartbeat):
            self.heartbeats_received += 1
            self.send_message(Status(1 if self.prompts else 0, 0, self.firmware))
        elif isinstance(message, Prompt):
            self.prompts.append(message)
            self.send_message(Ack(event.seq))
            if self._next is not None:
                level, reasons = self._next
                self._next = None
                self.rate(message.ticket_id, level, reasons)
            elif self.auto_levels:
                level = random.choice(self.auto_levels)
                self.rate(message.ticket_id, level, (1,) if level <= 2 else ())
        elif isinstance(message, Ack | Nak):
            for outcome in self.outcomes:
                if outcome.seq == message.ref_seq and outcome.answer is None:
                    outcome.answer = message
