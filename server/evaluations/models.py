"""Ratings (好差评) stored against the ticket, window, staff member and service."""

from __future__ import annotations

from datetime import date, datetime
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


# The states of a 差评 case, in order (国办发〔2019〕51号; 江苏 第五条 "三个100%"):
# 待核实 open → 已核实 verified → 已整改 rectified → 已反馈 answered → 已回访 closed;
# or 申诉 appealing → 申诉作废 voided (a mistaken or malicious review, approved by a second
# person); a refused appeal goes back to where it was.
CASE_STATES = ("open", "verified", "rectified", "answered", "closed", "appealing", "voided")
CITIZEN_VIEWS = ("satisfied", "basically_satisfied", "unsatisfied")


class ReviewCase(Base):
    """The handling of one 差评, from verification to the follow-up call (焦作 第五十四条)."""

    __tablename__ = "review_cases"
    __table_args__ = (Index("ix_review_cases_hall_opened", "hall_id", "opened_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    hall_id: Mapped[int] = mapped_column(ForeignKey("halls.id", ondelete="CASCADE"))
    evaluation_id: Mapped[int] = mapped_column(ForeignKey("evaluations.id"), unique=True)
    # Copied from the rating, so reports group cases without joining through it.
    window_id: Mapped[int | None] = mapped_column(ForeignKey("windows.id"), default=None)
    staff_id: Mapped[int | None] = mapped_column(ForeignKey("staff.id"), default=None)
    service_id: Mapped[int] = mapped_column(ForeignKey("services.id"))
    level: Mapped[int]
    status: Mapped[str] = mapped_column(String(16), default="open")
    opened_at: Mapped[datetime]
    # The last working day (hall calendar) by which the citizen must have been answered.
    deadline: Mapped[date]
    verified_at: Mapped[datetime | None] = mapped_column(default=None)
    verified_by: Mapped[int | None] = mapped_column(ForeignKey("staff.id"), default=None)
    verify_note: Mapped[str] = mapped_column(String(1000), default="")
    appealed_at: Mapped[datetime | None] = mapped_column(default=None)
    appealed_by: Mapped[int | None] = mapped_column(ForeignKey("staff.id"), default=None)
    appeal_reason: Mapped[str] = mapped_column(String(1000), default="")
    void_approver_id: Mapped[int | None] = mapped_column(ForeignKey("staff.id"), default=None)
    voided_at: Mapped[datetime | None] = mapped_column(default=None)
    void_reason: Mapped[str] = mapped_column(String(1000), default="")
    void_approver: Mapped[str] = mapped_column(String(100), default="")
    rectified_at: Mapped[datetime | None] = mapped_column(default=None)
    rectify_note: Mapped[str] = mapped_column(String(1000), default="")
    rectified_by: Mapped[int | None] = mapped_column(ForeignKey("staff.id"), default=None)
    answered_at: Mapped[datetime | None] = mapped_column(default=None)
    answer_note: Mapped[str] = mapped_column(String(1000), default="")
    answered_by: Mapped[int | None] = mapped_column(ForeignKey("staff.id"), default=None)
    followed_up_at: Mapped[datetime | None] = mapped_column(default=None)
    followup_note: Mapped[str] = mapped_column(String(1000), default="")
    followed_up_by: Mapped[int | None] = mapped_column(ForeignKey("staff.id"), default=None)
    citizen_view: Mapped[str | None] = mapped_column(String(32), default=None)
