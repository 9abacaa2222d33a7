"""Ratings (好差评) stored against the ticket, window, staff member and service."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from server.db import Base

# Five levels, 5 非常满意 … 1 非常不满意; 2 and 1 are 差评 (国办发〔2019〕51号).
LEVELS = {5: "非常满意", 4: "满意", 3: "基本满意", 2: "不满意", 1: "非常不满意"}
BAD_LEVELS = (1, 2)
CHANNELS = ("evaluator", "web", "sms", "desk")


class Evaluation(Base):
    """One rating of one service; the unique ticket id enforces 一次一评 (焦作 第四十五条)."""

    __tablename__ = "evaluations"
    __table_args__ = (Index("ix_evaluations_hall_at", "hall_id", "created_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    hall_id: Mapped[int] = mapped_column(ForeignKey("halls.id", ondelete="CASCADE"))
    ticket_id: Mapped[str] = mapped_column(ForeignKey("tickets.id"), unique=True)
    window_id: Mapped[int | None] = mapped_column(ForeignKey("windows.id"), default=None)
    staff_id: Mapped[int | None] = mapped_column(ForeignKey("staff.id"), default=None)
    service_id: Mapped[int] = mapped_column(ForeignKey("services.id"))
    level: Mapped[int]
    reasons: Mapped[list[Any]] = mapped_column(default=list)
    comment: Mapped[str] = mapped_column(String(500), default="")
    channel: Mapped[str] = mapped_column(String(16), default="evaluator")
    # Set by the device agent so a rating delivered twice is stored once.
    uid: Mapped[str | None] = mapped_column(String(64), unique=True, default=None)
    created_at: Mapped[datetime]
    # Voided by an approved appeal (malicious or mistaken review); kept for the record.
    voided: Mapped[bool] = mapped_column(default=False)
