"""The alert log and a window's services moved for one day."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import ForeignKey, Index, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from server.db import Base

ALERT_KINDS = ("long_wait", "group_waiting", "window_empty", "window_paused",
               "device_offline", "paper_out", "bad_review", "case_overdue", "link_behind",
               "link_rejected", "link_down", "notice_failed", "booking_reminder_failed")


class AlertEntry(Base):
    """One alert episode: raised once (its key is unique per hall), resolved when it ends."""

    __tablename__ = "alerts"
    __table_args__ = (UniqueConstraint("hall_id", "key"),
                      Index("ix_alerts_hall_raised", "hall_id", "raised_at"))

    id: Mapped[int] = mapped_column(primary_key=True)
    hall_id: Mapped[int] = mapped_column(ForeignKey("halls.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(32))
    # Names the episode (e.g. window 3 empty since 09:12), so it is logged exactly once
    # even when several core processes scan at the same moment.
    key: Mapped[str] = mapped_column(String(200))
    severity: Mapped[str] = mapped_column(String(16), default="warning")
    subject: Mapped[str] = mapped_column(String(100), default="")
    detail: Mapped[dict[str, Any]] = mapped_column(default=dict)
    raised_at: Mapped[datetime]
    resolved_at: Mapped[datetime | None] = mapped_column(default=None)
    acknowledged_at: Mapped[datetime | None] = mapped_column(default=None)
    acknowledged_by: Mapped[int | None] = mapped_column(ForeignKey("staff.id"), default=None)


class WindowDayOverride(Base):
    """A window moved to other services for one business day by an operator."""

    __tablename__ = "window_day_overrides"
    __table_args__ = (UniqueConstraint("window_id", "day"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    hall_id: Mapped[int] = mapped_column(ForeignKey("halls.id", ondelete="CASCADE"))
    window_id: Mapped[int] = mapped_column(ForeignKey("windows.id", ondelete="CASCADE"))
    day: Mapped[date]
    service_ids: Mapped[list[Any]] = mapped_column(default=list)
    set_by: Mapped[int | None] = mapped_column(ForeignKey("staff.id"), default=None)
    set_at: Mapped[datetime]


__all__ = ["ALERT_KINDS", "AlertEntry", "WindowDayOverride"]
