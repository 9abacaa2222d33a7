"""The audit trail: every staff and operator action (焦作 第五十三条; 邵阳 第三十七条)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from server.db import Base


class AuditEntry(Base):
    """Who did what, at which window, to which ticket, and when."""

    __tablename__ = "audit_log"
    __table_args__ = (Index("ix_audit_hall_at", "hall_id", "at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    hall_id: Mapped[int] = mapped_column(ForeignKey("halls.id", ondelete="CASCADE"))
    at: Mapped[datetime]
    action: Mapped[str] = mapped_column(String(32))
    staff_id: Mapped[int | None] = mapped_column(ForeignKey("staff.id"), default=None)
    device_id: Mapped[int | None] = mapped_column(ForeignKey("devices.id"), default=None)
    window_id: Mapped[int | None] = mapped_column(ForeignKey("windows.id"), default=None)
    ticket_id: Mapped[str | None] = mapped_column(ForeignKey("tickets.id"), default=None)
    detail: Mapped[dict[str, Any]] = mapped_column(default=dict)
