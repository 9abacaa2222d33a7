"""The 好差评 upload outbox: one row per record for the provincial platform."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from server.db import Base

# pending → sending (claimed) → sent; rejected when the platform refuses the record itself
# (a bad record never becomes good by sending it again: operators see it and fix the config).
STATES = ("pending", "sending", "sent", "rejected")


class EvaluationUpload(Base):
    """A rating or a 差评 case step to upload, written in the same transaction as it.

    `record_id` is the platform's idempotency key, so a record sent again after a crash is
    recognised; records of one rating and its case (`stream`) go out in `id` order.
    """

    __tablename__ = "evaluation_uploads"
    __table_args__ = (Index("ix_evaluation_uploads_due", "status", "next_attempt_at"),
                      Index("ix_evaluation_uploads_stream", "stream", "id"))

    id: Mapped[int] = mapped_column(primary_key=True)
    hall_id: Mapped[int] = mapped_column(ForeignKey("halls.id", ondelete="CASCADE"))
    record_id: Mapped[str] = mapped_column(String(80), unique=True)
    stream: Mapped[str] = mapped_column(String(40))
    kind: Mapped[str] = mapped_column(String(8))  # "rating" | "case"
    evaluation_id: Mapped[int] = mapped_column(ForeignKey("evaluations.id"))
    case_id: Mapped[int | None] = mapped_column(ForeignKey("review_cases.id"), default=None)
    step: Mapped[str | None] = mapped_column(String(16), default=None)
    payload: Mapped[dict[str, Any]] = mapped_column(default=dict)
    status: Mapped[str] = mapped_column(String(10), default="pending")
    attempts: Mapped[int] = mapped_column(default=0)
    next_attempt_at: Mapped[datetime]
    claimed_at: Mapped[datetime | None] = mapped_column(default=None)
    last_error: Mapped[str] = mapped_column(String(500), default="")
    created_at: Mapped[datetime]
    sent_at: Mapped[datetime | None] = mapped_column(default=None)


__all__ = ["STATES", "EvaluationUpload"]
