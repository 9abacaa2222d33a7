"""The notice worker: listens on the bus, queues due notices, sends the outbox.

A bus listener must not block (it runs in the publishing flow's thread), so it only marks
the hall as changed; the worker, a task on the app's event loop, does the database work in
a thread. A sweep every HALLQ_OUTBOX_SCAN_S seconds catches what no event announced (a
core restarted between an event and its notice, a retry that came due) and erases the
contacts that are no longer needed.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import threading

from server.core import Core
from server.events.bus import Event
from server.halls import service as halls
from server.integrations import IntegrationSettings
from server.notices import sender, triggers
from server.notices.adapters import Adapters

log = logging.getLogger(__name__)
# Events after which a waiting ticket's `ahead` or a ticket's state may have changed.
TRIGGERS = frozenset({"queue", "call", "ticket"})


class NoticeWorker:
    """Queues and sends 到号提醒 for every hall of this core."""

    def __init__(self, core: Core, settings: IntegrationSettings,
                 adapters: Adapters | None = None) -> None:
        self.core = core
        self.settings = settings
        self.adapters = adapters if adapters is not None else Adapters.from_settings(settings)
        self._changed: set[str] = set()
        self._lock = threading.Lock()
        self._wake: asyncio.Event | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._task: asyncio.Task[None] | None = None
        self.rounds = 0

    async def start(self) -> None:
        """Listen on the bus and start the loop."""
        self._loop = asyncio.get_running_loop()
        self._wake = asyncio.Event()
        self.core.bus.add_listener(self._on_event)
        self._task = asyncio.create_task(self._run(), name="hallq-notices")

    async def stop(self) -> None:
        """Stop listening and sending."""
        self.core.bus.remove_listener(self._on_event)
        task, self._task = self._task, None
        if task is not None:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
        self.adapters.close()

    def _on_event(self, hall: str, event: Event) -> None:
        # Without a notice channel nothing is due; the sweep still erases what is kept.
        if event.get("type") not in TRIGGERS or not self.settings.notices_configured:
            return
        with self._lock:
            self._changed.add(hall)
        loop, wake = self._loop, self._wake
        if loop is not None and wake is not None and not loop.is_closed():
            loop.call_soon_threadsafe(wake.set)

    async def _run(self) -> None:
        assert self._wake is not None
        while True:
            sweep = False
            try:
                await asyncio.wait_for(self._wake.wait(), self.settings.outbox_scan_s)
            except TimeoutError:
                sweep = True
            self._wake.clear()
            try:
                await asyncio.to_thread(self.round, sweep=sweep)
            except Exception:  # the worker outlives a bad round
                log.exception("notice round failed")

    def round(self, *, sweep: bool = True) -> int:
        """One round: queue due notices (changed halls, or all when sweeping), send, erase."""
        with self._lock:
            changed, self._changed = self._changed, set()
        hall_ids = set(triggers.active_halls(self.core)) if sweep else set()
        if changed:
            with self.core.db.read_session() as db:
                for code in changed:
                    with contextlib.suppress(Exception):
                        hall_ids.add(halls.get_hall(db, code).id)
        for hall_id in sorted(hall_ids):
            triggers.queue_notices(self.core, hall_id=hall_id)
        handled = sender.send_due(self.core, settings=self.settings, adapters=self.adapters)
        triggers.erase(self.core)
        self.rounds += 1
        return handled


__all__ = ["NoticeWorker"]
