"""The provincial booking platform (省级网上预约平台): records in, applied idempotently.

Bookings made on the province's platform reach the hall either way, chosen by configuration
(HALLQ_BOOKING_PLATFORM_MODE):

- `push`: the platform POSTs batches to `/api/v1/halls/{hall}/appointments/platform`
  (with the bearer token of an operator account of the hall, or of its centre);
- `poll`: the core GETs `{HALLQ_BOOKING_PLATFORM_URL}/api/bookings?hall=…&after=CURSOR`
  every HALLQ_BOOKING_PLATFORM_POLL_S seconds and reports its results back to
  `/api/bookings/results`.

Each record is applied in its own transaction and keyed by the platform's `booking_id`
(`Appointment.external_id`), so a record delivered twice, or a whole batch replayed,
changes nothing the second time. A booking the hall cannot honour is refused with the same
codes as any booking (closed day, full slot …) and nothing is kept of it.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from datetime import datetime
from functools import lru_cache
from typing import Literal

import httpx
from pydantic import BaseModel, Field, ValidationError
from pydantic_settings import BaseSettings, SettingsConfigDict
from sqlalchemy import select
from sqlalchemy.orm import Session

from server.appointments import flows
from server.appointments import service as appts
from server.core import Core
from server.errors import HallqError
from server.halls import service as halls
from server.halls.models import Hall
from server.tickets.models import Appointment
from server.writer import in_writer

log = logging.getLogger(__name__)

CANCEL_REASON = "cancelled on the booking platform"


class BookingPlatformSettings(BaseSettings):
    """HALLQ_BOOKING_PLATFORM_*: how bookings come from the provincial platform."""

    model_config = SettingsConfigDict(env_prefix="HALLQ_BOOKING_PLATFORM_", extra="ignore")

    mode: Literal["off", "push", "poll"] = "off"
    url: str | None = None
    key: str = ""
    poll_s: float = Field(30.0, gt=0)
    batch: int = Field(100, ge=1, le=1000)
    timeout_s: float = Field(5.0, gt=0)


@lru_cache(maxsize=1)
def get_platform_settings() -> BookingPlatformSettings:
    """The process-wide booking platform settings, read once."""
    return BookingPlatformSettings()


class PlatformRecord(BaseModel):
    """One booking or cancellation as the platform sends it."""

    booking_id: str = Field(min_length=1, max_length=64, pattern=r"^[0-9A-Za-z_-]+$")
    version: int | None = Field(None, ge=0, le=2**62,
                                description="the platform's change counter: older is stale")
    status: Literal["booked", "cancelled"]
    item: str = Field(min_length=1, max_length=64, description="the platform's service code")
    start: str = Field(min_length=10, max_length=40)
    end: str | None = Field(None, min_length=10, max_length=40)
    code: str | None = Field(None, min_length=4, max_length=64, pattern=r"^[0-9A-Za-z_-]+$")
    id_number: str | None = Field(None, min_length=6, max_length=32)
    phone: str | None = Field(None, min_length=5, max_length=32)


class PlatformBatch(BaseModel):
    """A push from the platform."""

    items: list[PlatformRecord] = Field(max_length=1000)


class RecordResult(BaseModel):
    """What became of one record: created, moved, cancelled, unchanged, refused or unknown."""

    booking_id: str
    result: str
    code: str | None = None
    refusal: str | None = None
    detail: str | None = None


def apply_records(
    core: Core, *, hall: str, records: Sequence[PlatformRecord]
) -> list[RecordResult]:
    """Apply a batch in order, each record in its own transaction (idempotent)."""
    return [apply_record(core, hall=hall, record=r) for r in records]


@in_writer
def apply_record(core: Core, *, hall: str, record: PlatformRecord) -> RecordResult:
    """Apply one record: create, move or cancel the booking it names, or nothing if done."""
    try:
        with core.db.begin() as db:
            h = halls.get_hall(db, hall)
            existing = db.scalar(select(Appointment).where(
                Appointment.hall_id == h.id, Appointment.external_id == record.booking_id)
                .with_for_update())
            if existing is not None and _stale(existing, record):
                return RecordResult(booking_id=record.booking_id, result="unchanged",
                                    code=existing.code, detail="stale")
            if record.status == "cancelled":
                result = _cancel(core, db, h, existing, record)
            elif existing is not None:
                result = _update(core, db, h, existing, record)
            else:
                result = _create(core, db, h, record)
            if existing is not None and record.version is not None:
                existing.external_version = record.version
            return result
    except HallqError as err:
        return RecordResult(booking_id=record.booking_id, result="refused", refusal=err.code,
                            detail=err.detail)


def _stale(existing: Appointment, record: PlatformRecord) -> bool:
    """A record older than (or the same as) the last one applied to this booking."""
    return (record.version is not None and existing.external_version is not None
            and record.version <= existing.external_version)


def _create(core: Core, db: Session, hall: Hall, record: PlatformRecord) -> RecordResult:
    """A booking not seen before, checked like any booking."""
    snap = core.cache.get(db, hall)
    service = appts.rules_of(snap).platform_services.get(record.item, record.item)
    appt, _ = flows.new_booking(
        core, db, hall=hall, service=service, slot_start=record.start, slot_end=record.end,
        code=record.code, id_number=record.id_number, phone=record.phone, source="platform",
        actor=None, external_id=record.booking_id)
    appt.external_version = record.version
    return RecordResult(booking_id=record.booking_id, result="created", code=appt.code)


def _cancel(core: Core, db: Session, hall: Hall, existing: Appointment | None,
            record: PlatformRecord) -> RecordResult:
    if existing is None:
        return RecordResult(booking_id=record.booking_id, result="unknown")
    if existing.status != "booked":
        return RecordResult(booking_id=record.booking_id, result="unchanged",
                            code=existing.code, detail=existing.status)
    flows.cancel_booking(db, hall, existing, now=core.clock.now(), reason=CANCEL_REASON,
                         actor=None)
    return RecordResult(booking_id=record.booking_id, result="cancelled", code=existing.code)


def _update(core: Core, db: Session, hall: Hall, existing: Appointment,
            record: PlatformRecord) -> RecordResult:
    """A booking seen before: unchanged, or moved by the platform to another slot."""
    start = flows.parse_when(record.start)
    end = flows.parse_when(record.end, "end") if record.end else None
    same = _same(existing.slot_start, start) and (end is None or _same(existing.slot_end, end))
    if same or existing.status != "booked":
        return RecordResult(booking_id=record.booking_id, result="unchanged",
                            code=existing.code, detail=existing.status)
    flows.move_booking(core, db, hall=hall, appt=existing, start=start, end=end, actor=None)
    return RecordResult(booking_id=record.booking_id, result="moved", code=existing.code)


def _same(a: datetime, b: datetime) -> bool:
    return a.timestamp() == b.timestamp()


class PlatformError(Exception):
    """The platform could not be reached or answered nonsense."""


class PlatformClient:
    """The HTTP client of the platform's poll API (a real platform or its simulator)."""

    def __init__(self, settings: BookingPlatformSettings,
                 transport: httpx.BaseTransport | None = None) -> None:
        if not settings.url:
            raise ValueError("HALLQ_BOOKING_PLATFORM_URL is needed to poll the platform")
        headers = {"Authorization": f"Bearer {settings.key}"} if settings.key else {}
        self._http = httpx.Client(base_url=settings.url.rstrip("/"), headers=headers,
                                  timeout=settings.timeout_s, transport=transport)
        self.batch = settings.batch

    def fetch(self, *, hall: str, after: str) -> tuple[list[PlatformRecord], str, bool]:
        """The records after `after` for a hall: (records, new cursor, more waiting)."""
        try:
            r = self._http.get("/api/bookings", params={"hall": hall, "after": after,
                                                        "limit": self.batch})
            r.raise_for_status()
            body = r.json()
            records = [PlatformRecord.model_validate(i) for i in body["items"]]
            return records, str(body["cursor"]), bool(body.get("more", False))
        except (httpx.HTTPError, ValueError, KeyError, TypeError, ValidationError) as err:
            raise PlatformError(f"poll of {hall}: {err}") from err

    def report(self, *, hall: str, results: Sequence[RecordResult]) -> None:
        """Tell the platform what became of each record (so it can tell the citizen)."""
        try:
            r = self._http.post("/api/bookings/results", json={
                "hall": hall, "results": [x.model_dump(exclude_none=True) for x in results]})
            r.raise_for_status()
        except httpx.HTTPError as err:
            raise PlatformError(f"report for {hall}: {err}") from err

    def close(self) -> None:
        """Close the connection pool."""
        self._http.close()
