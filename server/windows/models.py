"""Windows (窗口) with what they serve and their live state."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from server.db import Base

WINDOW_KINDS = ("any", "domain", "special")
# Live states; "closed" and "empty" are derived from `open` and `staff_id`.
WINDOW_STATES = ("closed", "empty", "idle", "called", "serving", "paused")
PAUSE_REASONS = ("rest", "out", "meeting", "other")  # 休息, 外出, 会议


class Window(Base):
    """A counter: any-matter (无差别), domain (分领域) or special (专窗)."""

    __tablename__ = "windows"
    __table_args__ = (UniqueConstraint("hall_id", "number"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    hall_id: Mapped[int] = mapped_column(ForeignKey("halls.id", ondelete="CASCADE"))
    number: Mapped[str] = mapped_column(String(16))
    name: Mapped[str] = mapped_column(String(200))
    # English name (optional): shown on every page read in English; the Chinese name
    # stays the one printed, spoken and reported.
    name_en: Mapped[str | None] = mapped_column(String(200), default=None)
    kind: Mapped[str] = mapped_column(String(16), default="any")
    sort: Mapped[int] = mapped_column(default=0)
    # Live state. The row is locked by every counter action on the window.
    open: Mapped[bool] = mapped_column(default=True)
    staff_id: Mapped[int | None] = mapped_column(ForeignKey("staff.id"), default=None)
    post: Mapped[str | None] = mapped_column(String(1), default=None)  # AB岗: "A" | "B"
    # AB岗 named in advance in the hall configuration (邵阳 第十六条, 焦作 第三十九条).
    a_staff_id: Mapped[int | None] = mapped_column(ForeignKey("staff.id"), default=None)
    b_staff_id: Mapped[int | None] = mapped_column(ForeignKey("staff.id"), default=None)
    current_ticket_id: Mapped[str | None] = mapped_column(
        ForeignKey("tickets.id", use_alter=True), default=None
    )
    paused_reason: Mapped[str | None] = mapped_column(String(200), default=None)
    paused_at: Mapped[datetime | None] = mapped_column(default=None)
    # Since when nobody has been signed in while the window is open (空岗, 焦作 第四十二条).
    empty_since: Mapped[datetime | None] = mapped_column(default=None)
    state_since: Mapped[datetime | None] = mapped_column(default=None)


class WindowServing(Base):
    """A service or a whole domain that a window serves, primary or as backup."""

    __tablename__ = "window_serving"

    id: Mapped[int] = mapped_column(primary_key=True)
    window_id: Mapped[int] = mapped_column(ForeignKey("windows.id", ondelete="CASCADE"))
    service_id: Mapped[int | None] = mapped_column(
        ForeignKey("services.id", ondelete="CASCADE"), default=None
    )
    domain_id: Mapped[int | None] = mapped_column(
        ForeignKey("domains.id", ondelete="CASCADE"), default=None
    )
    primary: Mapped[bool] = mapped_column(default=True)
