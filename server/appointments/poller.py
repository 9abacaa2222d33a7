"""Polling the provincial booking platform (HALLQ_BOOKING_PLATFORM_MODE=poll).

Every HALLQ_BOOKING_PLATFORM_POLL_S seconds, for each hall that takes bookings, the core
reads the records after the hall's cursor, applies them, reports the results back, and only
then moves the cursor: a core stopped in between reads the batch again, which the records'
idempotency makes harmless. A platform that cannot be reached is logged, noted on the
cursor row (`last_error`) and tried again next round; it never stops the core.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging

from sqlalchemy import select

from server.appointments import platform
from server.appointments.models import PlatformCursor
from server.core import Core
from server.halls import service as halls
from server.halls.models import Hall
from server.writer import in_writer

log = logging.getLogger(__name__)
MAX_ROUNDS = 50  # batches per hall per poll, so one busy hall cannot hold the others


def poll_hall(core: Core, client: platform.PlatformClient, hall: str) -> int:
    """Read, apply and acknowledge a hall's new records; the number applied."""
    applied = 0
    for _ in range(MAX_ROUNDS):
        with core.db.read_session() as db:
            h = halls.get_hall(db, hall)
            row = db.get(PlatformCursor, h.id)
            after = row.cursor if row else "0"
        try:
            records, cursor, more = client.fetch(hall=hall, after=after)
            results = platform.apply_records(core, hall=hall, records=records)
            if results:
                client.report(hall=hall, results=results)
        except platform.PlatformError as err:
            _note(core, hall, error=str(err)[:300])
            raise
        applied += len(records)
        _note(core, hall, cursor=cursor, applied=len(records))
        if not more:
            break
    return applied


@in_writer
def _note(core: Core, hall: str, *, cursor: str | None = None, applied: int = 0,
          error: str | None = None) -> None:
    with core.db.begin() as db:
        h = halls.get_hall(db, hall)
        row = db.get(PlatformCursor, h.id)
        if row is None:
            row = PlatformCursor(hall_id=h.id, cursor="0", applied=0)
            db.add(row)
        row.polled_at = core.clock.now()
        row.last_error = error
        if cursor is not None:
            row.cursor = cursor
        row.applied += applied


def poll_all(core: Core, client: platform.PlatformClient) -> dict[str, int]:
    """Poll every hall that takes bookings; a failing hall does not stop the others."""
    with core.db.read_session() as db:
        codes = [h.code for h in db.scalars(select(Hall).order_by(Hall.code))
                 if halls.rules_of(h).booking.enabled]
    done: dict[str, int] = {}
    for code in codes:
        try:
            done[code] = poll_hall(core, client, code)
        except platform.PlatformError as err:
            log.warning("booking platform: %s", err)
    return done


class BookingPoller:
    """A task on the app's event loop that runs `poll_all` every `poll_s` seconds."""

    def __init__(self, core: Core, settings: platform.BookingPlatformSettings) -> None:
        self.core = core
        self.settings = settings
        self.rounds = 0
        self._task: asyncio.Task[None] | None = None
        self._client: platform.PlatformClient | None = None

    async def start(self) -> None:
        """Start polling when the configuration says so."""
        if self.settings.mode == "poll" and self._task is None:
            self._client = platform.PlatformClient(self.settings)
            self._task = asyncio.create_task(self._run(), name="hallq-booking-poller")

    async def stop(self) -> None:
        """Stop polling."""
        task, self._task = self._task, None
        if task is not None:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
        if self._client is not None:
            self._client.close()
            self._client = None

    async def _run(self) -> None:
        assert self._client is not None
        while True:
            try:
                await asyncio.to_thread(poll_all, self.core, self._client)
            except Exception:  # a bug must not end the loop; the next round tries again
                log.exception("booking platform poll failed")
            self.rounds += 1
            await asyncio.sleep(self.settings.poll_s)
