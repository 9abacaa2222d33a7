"""Accounts (staff, operators, admins), devices and their bearer tokens."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from server.db import Base

ROLES = ("staff", "operator", "admin")
DEVICE_KINDS = ("kiosk", "screen", "agent", "counter")
# 去向牌 (焦作 第三十条(五), 第三十一条(三)): 在岗 / 休假 / 外出 / 会议.
PRESENCE = ("on_duty", "leave", "out", "meeting")


class Staff(Base):
    """A person who signs in: window staff, hall operator or administrator."""

    __tablename__ = "staff"

    id: Mapped[int] = mapped_column(primary_key=True)
    job_no: Mapped[str] = mapped_column(String(64), unique=True)
    name: Mapped[str] = mapped_column(String(100))
    hall_id: Mapped[int | None] = mapped_column(ForeignKey("halls.id"), default=None)
    department: Mapped[str] = mapped_column(String(200), default="")
    roles: Mapped[list[Any]] = mapped_column(default=list)
    password_hash: Mapped[str] = mapped_column(String(255))
    # HMAC of the staff badge's code, for badge-scan login at a counter PC.
    badge_hash: Mapped[str | None] = mapped_column(String(64), unique=True, default=None)
    active: Mapped[bool] = mapped_column(default=True)
    presence: Mapped[str] = mapped_column(String(16), default="on_duty")
    presence_note: Mapped[str] = mapped_column(String(200), default="")
    presence_since: Mapped[datetime | None] = mapped_column(default=None)


class Device(Base):
    """A kiosk, screen, counter PC or device agent that authenticates with a token."""

    __tablename__ = "devices"

    id: Mapped[int] = mapped_column(primary_key=True)
    hall_id: Mapped[int] = mapped_column(ForeignKey("halls.id", ondelete="CASCADE"))
    name: Mapped[str] = mapped_column(String(100))
    kind: Mapped[str] = mapped_column(String(16))
    active: Mapped[bool] = mapped_column(default=True)
    last_seen: Mapped[datetime | None] = mapped_column(default=None)
    status: Mapped[dict[str, Any]] = mapped_column(default=dict)


class AccessToken(Base):
    """A bearer token, stored only as its SHA-256."""

    __tablename__ = "access_tokens"

    token_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    staff_id: Mapped[int | None] = mapped_column(
        ForeignKey("staff.id", ondelete="CASCADE"), default=None
    )
    device_id: Mapped[int | None] = mapped_column(
        ForeignKey("devices.id", ondelete="CASCADE"), default=None
    )
    created_at: Mapped[datetime]
    expires_at: Mapped[datetime | None] = mapped_column(default=None)
