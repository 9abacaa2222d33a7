"""Ticket requests and views."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, Field


class TicketCreate(BaseModel):
    """Take a ticket (public contract)."""

    service: str = Field(min_length=1, max_length=32)
    priority: str = Field("normal", pattern=r"^(normal|green)$")
    channel: str = Field("kiosk", pattern=r"^(kiosk|desk|api)$")
    id_number: str | None = Field(None, min_length=6, max_length=32,
                                  description="only for the daily limit; never stored")
    # The 绿色通道 category chosen at the kiosk or the desk; it reaches the counter.
    green_reason: str | None = Field(
        None, pattern=r"^(elderly|disabled|pregnant|military|other)$")


class TicketRead(BaseModel):
    """A ticket as its holder, the screens and the staff see it."""

    id: str
    number: str
    hall: str
    hall_name: str = ""
    hall_name_en: str | None = None
    service: str
    service_name: str
    service_name_en: str | None = None
    status: str
    priority: str
    channel: str
    ahead: int | None = None
    estimated_wait_s: int | None = None
    issued_at: str
    window: str | None = None
    window_name: str | None = None
    window_name_en: str | None = None
    called_at: str | None = None
    started_at: str | None = None
    finished_at: str | None = None
    outcome: str | None = None
    recalls: int = 0
    close_reason: str | None = None
    green_category: str | None = None
    slot_start: str | None = None
    slot_end: str | None = None
    transfers: int = 0
    requeues: int = 0
    # Priority tickets of other services (绿色通道, due appointments, transfers) that the
    # windows serving this one will call first: `ahead` alone would say 0 (无需等待).
    served_first: int | None = None
    notice: dict[str, Any] | None = None


class IssuedTicket(TicketRead):
    """A ticket as the one who took it gets it: with its rating key (only here, never in
    `GET /tickets/{id}` nor on a screen; the holder's page passes it as `k`)."""

    rating_key: str


class AppointmentCreate(BaseModel):
    """A booking made by staff or an operator (or pushed through one): the slot is checked
    against the hall's hours, calendar and capacity; `code` is generated when absent."""

    service: str = Field(min_length=1, max_length=32)
    code: str | None = Field(None, min_length=4, max_length=64, pattern=r"^[0-9A-Za-z_-]+$")
    slot_start: str = Field(min_length=10, max_length=40)
    slot_end: str | None = Field(None, min_length=10, max_length=40)
    id_number: str | None = Field(None, min_length=6, max_length=32)
    phone: str | None = Field(None, min_length=5, max_length=32)


class AppointmentRead(BaseModel):
    """A booking."""

    code: str
    service: str
    slot_start: str
    slot_end: str
    status: str
    ticket_id: str | None
    service_name: str = ""
    hall: str = ""
    source: str = "operator"
    reschedules: int = 0
    cancel_reason: str | None = None
    external_id: str | None = None


class RequeueRequest(BaseModel):
    """A returning no-show asks to be put back in the queue (过号重排)."""

    number: str = Field(min_length=2, max_length=16)


class CancelRequest(BaseModel):
    """Cancel a ticket with a reason."""

    reason: str = Field(min_length=1, max_length=200)
