"""线上取号 and 到号提醒: a phone's ticket with its notice contact, and the notice outbox."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from server.db import Base

CHANNELS = ("none", "sms", "wechat")
KINDS = ("near", "called")
# pending → sending (claimed by one worker) → sent; or failed after the last attempt;
# dropped when it no longer makes sense (ticket already called or served, contact erased).
STATES = ("pending", "sending", "sent", "failed", "dropped")


class PhoneTicket(Base):
    """A ticket taken from a phone, or a ticket whose holder asked for 到号提醒.

    PIPL (minimum, time-limited): the phone number is kept as an HMAC for the daily limit
    and, only when SMS notices are asked for, sealed with AES-GCM (`contact_sealed`, with
    the WeChat openid likewise) for the sender; both are erased at the end of the day.
    """

    __tablename__ = "phone_tickets"
    __table_args__ = (Index("ix_phone_tickets_hall_day", "hall_id", "business_day"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    hall_id: Mapped[int] = mapped_column(ForeignKey("halls.id", ondelete="CASCADE"))
    ticket_id: Mapped[str] = mapped_column(ForeignKey("tickets.id"), unique=True)
    business_day: Mapped[date]
    phone_hash: Mapped[str | None] = mapped_column(String(64), default=None, index=True)
    channel: Mapped[str] = mapped_column(String(8), default="none")
    contact_sealed: Mapped[str | None] = mapped_column(Text, default=None)
    notify_ahead: Mapped[int] = mapped_column(default=3)
    lang: Mapped[str] = mapped_column(String(8), default="zh")
    # Set once its notice is queued: each notice goes out at most once.
    near_queued_at: Mapped[datetime | None] = mapped_column(default=None)
    called_queued_at: Mapped[datetime | None] = mapped_column(default=None)
    created_at: Mapped[datetime]
    erased_at: Mapped[datetime | None] = mapped_column(default=None)


class NoticeMessage(Base):
    """One notice to send (the outbox): the request path only writes it; a worker sends."""

    __tablename__ = "notice_outbox"
    __table_args__ = (
        UniqueConstraint("phone_ticket_id", "kind"),
        Index("ix_notice_outbox_due", "status", "next_attempt_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    hall_id: Mapped[int] = mapped_column(ForeignKey("halls.id", ondelete="CASCADE"))
    phone_ticket_id: Mapped[int] = mapped_column(ForeignKey("phone_tickets.id"))
    ticket_id: Mapped[str] = mapped_column(ForeignKey("tickets.id"))
    kind: Mapped[str] = mapped_column(String(8))
    channel: Mapped[str] = mapped_column(String(8))
    ahead: Mapped[int | None] = mapped_column(default=None)
    window: Mapped[str | None] = mapped_column(String(16), default=None)
    status: Mapped[str] = mapped_column(String(8), default="pending")
    attempts: Mapped[int] = mapped_column(default=0)
    next_attempt_at: Mapped[datetime]
    claimed_at: Mapped[datetime | None] = mapped_column(default=None)
    last_error: Mapped[str] = mapped_column(String(300), default="")
    created_at: Mapped[datetime]
    sent_at: Mapped[datetime | None] = mapped_column(default=None)
    provider_id: Mapped[str] = mapped_column(String(64), default="")


__all__ = ["CHANNELS", "KINDS", "STATES", "NoticeMessage", "PhoneTicket"]
