"""The 好差评 uploader: sends the outbox to the provincial platform, in order, retried.

Exactly once: each record is written with its rating or step (outbox.py) and carries a
stable `record_id` that the platform deduplicates, so a record sent just before a crash
and sent again after the restart is stored once. In order per case: a record waits until
every earlier record of its rating's stream is sent. A failed send is retried with
exponential backoff, without limit; operators see the backlog's age (`behind`) and any
record the platform rejected.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from datetime import datetime, timedelta

from sqlalchemy import or_, select, update

from server.core import Core
from server.evaluations.platform.client import PlatformClient, UploadError
from server.evaluations.platform.models import EvaluationUpload
from server.events import schemas
from server.halls.models import Hall
from server.integrations import IntegrationSettings, next_attempt
from server.writer import in_writer

log = logging.getLogger(__name__)
BATCH = 100


class Uploader:
    """Sends every hall's upload outbox to the provincial platform."""

    def __init__(self, core: Core, settings: IntegrationSettings,
                 client: PlatformClient | None = None) -> None:
        self.core = core
        self.settings = settings
        self.client = client
        if client is None and settings.evaluation_platform_url:
            self.client = PlatformClient(settings.evaluation_platform_url,
                                         key=settings.evaluation_platform_key,
                                         timeout=settings.http_timeout_s)
        self._task: asyncio.Task[None] | None = None

    def _scaled(self, seconds: float) -> float:
        return seconds * self.core.settings.clock_speed

    def _lost(self) -> datetime:
        """Claims older than this were lost with their worker (a send lasts at most the
        HTTP timeout), and are taken again; the platform recognises a resent record."""
        lease = 3 * self.settings.http_timeout_s
        return self.core.clock.now() - timedelta(seconds=self._scaled(lease))

    async def start(self) -> None:
        """Start sending (nothing to do when no platform is configured)."""
        if self.client is not None and self._task is None:
            self._task = asyncio.create_task(self._run(), name="hallq-evaluation-upload")

    async def stop(self) -> None:
        """Stop sending; what is unsent stays in the outbox for the next start."""
        task, self._task = self._task, None
        if task is not None:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
        if self.client is not None:
            self.client.close()

    async def _run(self) -> None:
        while True:
            try:
                sent = await asyncio.to_thread(self.round)
            except Exception:  # the uploader outlives a bad round
                log.exception("evaluation upload round failed")
                sent = 0
            if not sent:
                await asyncio.sleep(self.settings.outbox_scan_s)

    def round(self) -> int:
        """Send what is due now, in order; how many records went through."""
        if self.client is None:
            return 0
        sent = 0
        blocked: set[str] = set()
        for record in self._due():
            if record.stream in blocked:
                continue
            payload = self._claim(record.id)
            if payload is None:
                blocked.add(record.stream)
                continue
            try:
                self.client.upload(payload)
            except UploadError as err:
                blocked.add(record.stream)
                self._failed(record.id, err)
                continue
            self._done(record.id)
            sent += 1
        return sent

    def _due(self) -> list[EvaluationUpload]:
        now = self.core.clock.now()
        lost = self._lost()
        with self.core.db.read_session() as db:
            rows = db.scalars(select(EvaluationUpload).where(or_(
                (EvaluationUpload.status == "pending") & (EvaluationUpload.next_attempt_at <= now),
                (EvaluationUpload.status == "sending") & (EvaluationUpload.claimed_at < lost),
            )).order_by(EvaluationUpload.id).limit(BATCH)).all()
            db.expunge_all()
            return list(rows)

    @in_writer
    def _claim(self, record_id: int) -> dict[str, object] | None:
        """Claim a record whose stream has nothing unsent before it; its payload."""
        now = self.core.clock.now()
        lost = self._lost()
        with self.core.db.begin() as db:
            record = db.get(EvaluationUpload, record_id)
            if record is None:
                return None
            earlier = db.scalar(select(EvaluationUpload.id).where(
                EvaluationUpload.stream == record.stream, EvaluationUpload.id < record.id,
                EvaluationUpload.status != "sent").limit(1))
            if earlier is not None:
                return None  # in order per case: wait for the earlier record
            taken = db.execute(update(EvaluationUpload).where(
                EvaluationUpload.id == record_id,
                or_(EvaluationUpload.status == "pending",
                    (EvaluationUpload.status == "sending") & (EvaluationUpload.claimed_at < lost)),
            ).values(status="sending", claimed_at=now)
                .execution_options(synchronize_session=False))
            if not getattr(taken, "rowcount", 0):
                return None
            return dict(record.payload)

    @in_writer
    def _done(self, record_id: int) -> None:
        with self.core.db.begin() as db:
            record = db.get(EvaluationUpload, record_id)
            assert record is not None
            record.status, record.sent_at = "sent", self.core.clock.now()
            record.attempts += 1
            record.last_error = ""

    @in_writer
    def _failed(self, record_id: int, err: UploadError) -> None:
        now = self.core.clock.now()
        with self.core.db.begin() as db:
            record = db.get(EvaluationUpload, record_id)
            assert record is not None
            record.attempts += 1
            record.last_error = str(err)[:500]
            record.status = "rejected" if err.rejected else "pending"
            record.next_attempt_at = next_attempt(
                now, record.attempts, base_s=self._scaled(self.settings.outbox_backoff_s),
                max_s=self._scaled(self.settings.outbox_backoff_max_s))
            hall = db.get(Hall, record.hall_id)
            code, attempts, rid = (hall.code if hall else ""), record.attempts, record.record_id
        log.warning("好差评 record %s not uploaded (attempt %d): %s", rid, attempts, err)
        if code:
            self.core.bus.publish(code, schemas.integration(
                link="evaluation_platform", record=rid, attempts=attempts,
                final=err.rejected, error=str(err)))


__all__ = ["Uploader"]
