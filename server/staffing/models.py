"""Presence changes (去向牌) and operators' AB岗 overrides, kept for reports and audit."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from server.db import Base


class PresenceChange(Base):
    """One change of a staff member's 去向牌 (焦作 第三十条(五), 第三十一条(三))."""

    __tablename__ = "presence_changes"
    __table_args__ = (Index("ix_presence_changes_hall_at", "hall_id", "at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    hall_id: Mapped[int] = mapped_column(ForeignKey("halls.id", ondelete="CASCADE"))
    staff_id: Mapped[int] = mapped_column(ForeignKey("staff.id", ondelete="CASCADE"))
    presence: Mapped[str] = mapped_column(String(16))
    note: Mapped[str] = mapped_column(String(200), default="")
    at: Mapped[datetime]
    # Who set it: the staff member at the counter, or an operator.
    set_by: Mapped[int | None] = mapped_column(ForeignKey("staff.id"), default=None)


class PostOverride(Base):
    """An operator lets someone other than the named staff sign in to a post for one day."""

    __tablename__ = "post_overrides"
    __table_args__ = (Index("ix_post_overrides_window_day", "window_id", "day"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    hall_id: Mapped[int] = mapped_column(ForeignKey("halls.id", ondelete="CASCADE"))
    window_id: Mapped[int] = mapped_column(ForeignKey("windows.id", ondelete="CASCADE"))
    staff_id: Mapped[int] = mapped_column(ForeignKey("staff.id", ondelete="CASCADE"))
    post: Mapped[str] = mapped_column(String(1))
    day: Mapped[date]
    reason: Mapped[str] = mapped_column(String(200))
    granted_by: Mapped[int | None] = mapped_column(ForeignKey("staff.id"), default=None)
    granted_at: Mapped[datetime]


__all__ = ["PostOverride", "PresenceChange"]
