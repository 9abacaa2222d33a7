"""Halls, domains, services, opening hours and the calendar."""

from __future__ import annotations

from datetime import date, time
from typing import Any

from sqlalchemy import ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from server.db import Base

LEVELS = ("province", "city", "county", "township", "village")
SERVICE_KINDS = ("general", "special")
# 专窗 types (邵阳 第十二条; 焦作 第三十条(三)).
SPECIAL_TYPES = (
    "consult",  # 综合咨询
    "agency",  # 帮办代办
    "cross_province",  # 跨省通办
    "one_thing",  # 一件事一次办
    "complaint",  # "办不成事"反映
    "enterprise_policy",  # 惠企政策兑现
    "delivery",  # 统一出件
)


class Hall(Base):
    """A service hall (政务服务中心 / 便民服务中心); may belong to a parent centre."""

    __tablename__ = "halls"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(32), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    # English name (optional): shown on every page read in English; the Chinese name
    # stays the one printed, spoken and reported.
    name_en: Mapped[str | None] = mapped_column(String(200), default=None)
    level: Mapped[str] = mapped_column(String(16), default="county")
    parent_id: Mapped[int | None] = mapped_column(ForeignKey("halls.id"), default=None)
    timezone: Mapped[str] = mapped_column(String(64), default="Asia/Shanghai")
    # Thresholds and switches, validated by `halls.schemas.HallRules`.
    rules: Mapped[dict[str, Any]] = mapped_column(default=dict)
    # The business day the hall's tickets belong to; rolled over lazily by the flows.
    business_day: Mapped[date | None] = mapped_column(default=None)
    scroll_text: Mapped[str] = mapped_column(String(500), default="")
    # Bumped by every configuration change, so each core process knows when its cached
    # copy of the configuration (`halls.cache`) is stale.
    config_version: Mapped[int] = mapped_column(default=0)


class Domain(Base):
    """A group of services (领域): 社保, 医保, 不动产 …"""

    __tablename__ = "domains"
    __table_args__ = (UniqueConstraint("hall_id", "code"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    hall_id: Mapped[int] = mapped_column(ForeignKey("halls.id", ondelete="CASCADE"))
    code: Mapped[str] = mapped_column(String(32))
    name: Mapped[str] = mapped_column(String(200))
    # English name (optional): shown on every page read in English; the Chinese name
    # stays the one printed, spoken and reported.
    name_en: Mapped[str | None] = mapped_column(String(200), default=None)


class Service(Base):
    """A kind of business a ticket is taken for (事项)."""

    __tablename__ = "services"
    __table_args__ = (UniqueConstraint("hall_id", "code"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    hall_id: Mapped[int] = mapped_column(ForeignKey("halls.id", ondelete="CASCADE"))
    code: Mapped[str] = mapped_column(String(32))
    name: Mapped[str] = mapped_column(String(200))
    # English name (optional): shown on every page read in English; the Chinese name
    # stays the one printed, spoken and reported.
    name_en: Mapped[str | None] = mapped_column(String(200), default=None)
    prefix: Mapped[str] = mapped_column(String(2))
    domain_id: Mapped[int | None] = mapped_column(ForeignKey("domains.id"), default=None)
    kind: Mapped[str] = mapped_column(String(16), default="general")
    special_type: Mapped[str | None] = mapped_column(String(32), default=None)
    active: Mapped[bool] = mapped_column(default=True)
    avg_handle_s: Mapped[int] = mapped_column(default=600)
    sort: Mapped[int] = mapped_column(default=0)
    # 办事指南: the materials the service needs (also the list a 一次性告知 picks from).
    materials: Mapped[list[Any] | None] = mapped_column(default=None)


class OpeningPeriod(Base):
    """One opening period on a weekday (0 = Monday); a day may have several."""

    __tablename__ = "opening_periods"

    id: Mapped[int] = mapped_column(primary_key=True)
    hall_id: Mapped[int] = mapped_column(ForeignKey("halls.id", ondelete="CASCADE"))
    weekday: Mapped[int]
    opens: Mapped[time]
    closes: Mapped[time]


class CalendarDay(Base):
    """A holiday, or a working weekend (调休) that follows a weekday's hours."""

    __tablename__ = "calendar_days"
    __table_args__ = (UniqueConstraint("hall_id", "day"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    hall_id: Mapped[int] = mapped_column(ForeignKey("halls.id", ondelete="CASCADE"))
    day: Mapped[date]
    kind: Mapped[str] = mapped_column(String(16))  # "holiday" | "workday"
    name: Mapped[str] = mapped_column(String(100), default="")
    # For a working weekend: whose hours apply (0 = Monday).
    as_weekday: Mapped[int] = mapped_column(default=0)


__all__ = ["LEVELS", "SERVICE_KINDS", "SPECIAL_TYPES", "CalendarDay", "Domain", "Hall",
           "OpeningPeriod", "Service"]
