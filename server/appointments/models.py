"""The reminder outbox and the booking platform's poll cursor."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from server.db import Base

REMINDER_KINDS = ("day_before", "soon")
# pending → sending (claimed by the SMS sender) → sent; failed after the last attempt;
# void when the booking was cancelled or moved.
REMINDER_STATES = ("pending", "sending", "sent", "failed", "void")


class AppointmentReminder(Base):
    """A reminder a booking is owed (outbox): picked up by the notification sender when due.

    Voided, never deleted, when the booking is cancelled or moved, so a sender that already
    holds it can tell it must not go out.
    """

    __tablename__ = "appointment_reminders"
    __table_args__ = (Index("ix_appointment_reminders_due", "state", "due_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    hall_id: Mapped[int] = mapped_column(ForeignKey("halls.id", ondelete="CASCADE"))
    appointment_id: Mapped[int] = mapped_column(
        ForeignKey("appointments.id", ondelete="CASCADE"), index=True)
    kind: Mapped[str] = mapped_column(String(16))
    due_at: Mapped[datetime]
    state: Mapped[str] = mapped_column(String(16), default="pending")
    sent_at: Mapped[datetime | None] = mapped_column(default=None)
    created_at: Mapped[datetime]
    # Only when the citizen asked for an SMS reminder: the mobile number sealed with
    # AES-GCM (HALLQ_PII_KEY) for the sender, erased once sent, void or past (PIPL).
    contact_sealed: Mapped[str | None] = mapped_column(Text, default=None)
    lang: Mapped[str] = mapped_column(String(8), default="zh")
    attempts: Mapped[int] = mapped_column(default=0)
    next_attempt_at: Mapped[datetime | None] = mapped_column(default=None)
    claimed_at: Mapped[datetime | None] = mapped_column(default=None)
    last_error: Mapped[str] = mapped_column(String(300), default="")


class PlatformCursor(Base):
    """How far this deployment has read one hall's bookings from the provincial platform."""

    __tablename__ = "booking_platform_cursors"

    hall_id: Mapped[int] = mapped_column(
        ForeignKey("halls.id", ondelete="CASCADE"), primary_key=True)
    cursor: Mapped[str] = mapped_column(String(64), default="0")
    polled_at: Mapped[datetime | None] = mapped_column(default=None)
    applied: Mapped[int] = mapped_column(default=0)
    last_error: Mapped[str | None] = mapped_column(String(300), default=None)


__all__ = ["REMINDER_KINDS", "REMINDER_STATES", "AppointmentReminder", "PlatformCursor"]
