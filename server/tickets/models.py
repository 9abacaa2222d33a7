"""Tickets (号), their daily number counters and appointments (预约)."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import BigInteger, ForeignKey, Index, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from server.db import Base

STATUSES = ("waiting", "called", "serving", "done", "no_show", "cancelled")
OPEN_STATUSES = ("waiting", "called", "serving")
PRIORITIES = ("normal", "green", "appointment")
CHANNELS = ("kiosk", "desk", "appointment", "api", "phone")
# 绿色通道 categories (依法优先; 焦作 第二十九条(六)): chosen at the kiosk or the help desk.
GREEN_CATEGORIES = ("elderly", "disabled", "pregnant", "military", "other")
# Outcomes at the counter: 办结, 受理, 补正告知 (一次性告知), 不予受理, 咨询.
OUTCOMES = ("completed", "accepted", "correction_notice", "rejected", "consulted")


class Ticket(Base):
    """One citizen's place in the queue; `id` is unguessable (it is the ticket page's key)."""

    __tablename__ = "tickets"
    __table_args__ = (
        UniqueConstraint("hall_id", "business_day", "number"),
        Index("ix_tickets_queue", "hall_id", "status", "service_id", "queued_at"),
        Index("ix_tickets_hall_day", "hall_id", "business_day"),
    )

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    hall_id: Mapped[int] = mapped_column(ForeignKey("halls.id", ondelete="CASCADE"))
    service_id: Mapped[int] = mapped_column(ForeignKey("services.id"))
    number: Mapped[str] = mapped_column(String(16))
    business_day: Mapped[date]
    priority: Mapped[str] = mapped_column(String(16), default="normal")
    channel: Mapped[str] = mapped_column(String(16), default="kiosk")
    status: Mapped[str] = mapped_column(String(16), default="waiting")
    issued_at: Mapped[datetime]
    # The ticket's place in time: the issue time, kept on transfer (首问负责); moved on 过号重排.
    queued_at: Mapped[datetime]
    # A transfer to one window: only that window may call it.
    target_window_id: Mapped[int | None] = mapped_column(ForeignKey("windows.id"), default=None)
    appointment_id: Mapped[int | None] = mapped_column(
        ForeignKey("appointments.id", use_alter=True), default=None
    )
    slot_start: Mapped[datetime | None] = mapped_column(default=None)
    slot_end: Mapped[datetime | None] = mapped_column(default=None)
    # HMAC of the ID number (PIPL: the number itself is never stored).
    id_hash: Mapped[str | None] = mapped_column(String(64), default=None, index=True)
    window_id: Mapped[int | None] = mapped_column(ForeignKey("windows.id"), default=None)
    staff_id: Mapped[int | None] = mapped_column(ForeignKey("staff.id"), default=None)
    issued_by_staff_id: Mapped[int | None] = mapped_column(ForeignKey("staff.id"), default=None)
    called_at: Mapped[datetime | None] = mapped_column(default=None)
    started_at: Mapped[datetime | None] = mapped_column(default=None)
    finished_at: Mapped[datetime | None] = mapped_column(default=None)
    outcome: Mapped[str | None] = mapped_column(String(32), default=None)
    recalls: Mapped[int] = mapped_column(default=0)
    # When the ticket was last announced again (the call-next guard waits from it).
    recalled_at: Mapped[datetime | None] = mapped_column(default=None)
    green_category: Mapped[str | None] = mapped_column(String(16), default=None)
    transfers: Mapped[int] = mapped_column(default=0)
    requeues: Mapped[int] = mapped_column(default=0)
    note: Mapped[str] = mapped_column(String(500), default="")
    close_reason: Mapped[str | None] = mapped_column(String(64), default=None)
    # 一次性告知 (焦作 第三十八条): the missing materials told in writing, kept for the reports.
    notice: Mapped[dict[str, Any] | None] = mapped_column(default=None)


class NumberCounter(Base):
    """The last number given for one prefix in one hall on one day."""

    __tablename__ = "number_counters"

    hall_id: Mapped[int] = mapped_column(
        ForeignKey("halls.id", ondelete="CASCADE"), primary_key=True
    )
    business_day: Mapped[date] = mapped_column(primary_key=True)
    prefix: Mapped[str] = mapped_column(String(2), primary_key=True)
    last: Mapped[int] = mapped_column(default=0)


APPOINTMENT_STATUSES = ("booked", "checked_in", "cancelled", "missed")
# Who made a booking: the citizen online, staff at the help desk, an operator or the
# provincial booking platform (then `external_id` is the platform's id).
APPOINTMENT_SOURCES = ("citizen", "desk", "operator", "platform")


class Appointment(Base):
    """An online booking for a time slot, checked in at the kiosk (焦作 第四十一条)."""

    __tablename__ = "appointments"
    __table_args__ = (
        UniqueConstraint("hall_id", "code"),
        UniqueConstraint("external_id", "hall_id"),
        Index("ix_appointments_slot", "hall_id", "service_id", "slot_start"),
        Index("ix_appointments_id_hash", "hall_id", "id_hash"),
        Index("ix_appointments_phone_hash", "hall_id", "phone_hash"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    hall_id: Mapped[int] = mapped_column(ForeignKey("halls.id", ondelete="CASCADE"))
    service_id: Mapped[int] = mapped_column(ForeignKey("services.id"))
    code: Mapped[str] = mapped_column(String(64))
    slot_start: Mapped[datetime]
    slot_end: Mapped[datetime]
    id_hash: Mapped[str | None] = mapped_column(String(64), default=None)
    phone_hash: Mapped[str | None] = mapped_column(String(64), default=None)
    status: Mapped[str] = mapped_column(String(16), default="booked")
    ticket_id: Mapped[str | None] = mapped_column(ForeignKey("tickets.id"), default=None)
    created_at: Mapped[datetime]
    source: Mapped[str] = mapped_column(String(16), default="operator")
    external_id: Mapped[str | None] = mapped_column(String(64), default=None)
    # The platform's change counter of the last record applied: an older one is stale.
    external_version: Mapped[int | None] = mapped_column(BigInteger, default=None)
    updated_at: Mapped[datetime | None] = mapped_column(default=None)
    cancel_reason: Mapped[str | None] = mapped_column(String(200), default=None)
    reschedules: Mapped[int] = mapped_column(default=0)
