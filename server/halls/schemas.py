"""The hall configuration document (YAML file or admin API) and public views."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from server.appointments.schemas import BookingRules
from server.halls.hours import WEEKDAYS, parse_period
from server.halls.models import LEVELS, SERVICE_KINDS, SPECIAL_TYPES

_Strict = ConfigDict(extra="forbid")


class HallRules(BaseModel):
    """Thresholds and switches of one hall; every one has a sensible default."""

    model_config = _Strict

    issue_cutoff_min: int = Field(0, ge=0, le=240, description="stop issuing N min before closing")
    daily_limit_per_person: int = Field(0, ge=0, description="tickets per ID number a day; 0 = off")
    require_id_number: bool = False
    max_recalls: int = Field(2, ge=0, le=10, description="recalls before a ticket is a no-show")
    requeue_after: int = Field(3, ge=0, le=100, description="过号重排: places to go back behind")
    # Call-next while a ticket is still called, never a silent 过号: with
    # `no_show_on_next` off it is refused (409 ticket_in_hand); on, it is refused with
    # 409 confirm_no_show unless the ticket was recalled `no_show_min_recalls` times and
    # `no_show_min_wait_s` passed since its last announcement, or the staff confirms.
    no_show_on_next: bool = True
    no_show_min_recalls: int = Field(1, ge=0, le=10)
    no_show_min_wait_s: int = Field(60, ge=0, le=1800)
    primary_bonus_s: int = Field(600, ge=0)
    primary_first: bool = False
    appointment_early_min: int = Field(15, ge=0)
    appointment_grace_min: int = Field(15, ge=0)
    empty_window_alarm_min: int = Field(15, ge=1, description="焦作 第四十二条")
    max_wait_alarm_min: int = Field(20, ge=1)
    group_waiting_alarm: int = Field(30, ge=1)
    device_offline_alarm_min: int = Field(2, ge=0, description="device offline before alarm")
    bad_review_deadline_days: int = Field(5, ge=1)
    case_close_not_subject: bool = Field(
        True, description="差评: whoever closes (回访) a case is not the staff member it is about")
    voice_template: str = "请{ticket}号到{window}号窗口办理"
    # 线上取号 and 到号提醒 (docs/integrations.md): off unless the hall turns it on.
    phone_tickets: bool = Field(False, description="citizens may take a number from a phone")
    phone_services: list[str] = Field(
        default_factory=list, description="services offered on the phone; empty = all general")
    phone_daily_limit: int = Field(2, ge=0, le=20, description="phone tickets per number a day")
    notice_ahead: int = Field(3, ge=1, le=50, description="default N of 'N ahead' notices")
    notice_ahead_max: int = Field(10, ge=1, le=50, description="the largest N a citizen may pick")
    # Who the hall is to the provincial 好差评 platform (GB/T 39735-2020 data items).
    evaluation_area_code: str = Field("", max_length=12, description="行政区划代码")
    evaluation_org_code: str = Field("", max_length=18, description="统一社会信用代码")
    evaluation_org_name: str = Field("", max_length=200, description="实施主体 name")
    booking: BookingRules = BookingRules()
    voice_repeat: int = Field(1, ge=1, le=3, description="times a call is said (docs/voice.md)")
    screen_next_ticket: bool = Field(
        False, description="screens show each window's next ticket, 请 X 号准备 (docs/displays.md)")
    staff_token_hours: int = Field(12, ge=1, le=72,
                                   description="how long a staff login lasts (hours)")


class HallInfo(BaseModel):
    """Identity of a hall."""

    model_config = _Strict

    code: str = Field(pattern=r"^[a-z0-9][a-z0-9_-]{0,31}$")
    name: str = Field(min_length=1, max_length=200)
    name_en: str | None = Field(None, min_length=1, max_length=200,
                                description="English name, for pages read in English")
    level: str = "county"
    parent: str | None = None
    timezone: str = "Asia/Shanghai"

    @field_validator("level")
    @classmethod
    def _level(cls, v: str) -> str:
        if v not in LEVELS:
            raise ValueError(f"level must be one of {', '.join(LEVELS)}")
        return v


class DomainIn(BaseModel):
    """A domain (领域)."""

    model_config = _Strict

    code: str = Field(min_length=1, max_length=32)
    name: str = Field(min_length=1, max_length=200)
    name_en: str | None = Field(None, min_length=1, max_length=200,
                                description="English name, for pages read in English")


class ServiceIn(BaseModel):
    """A service (事项)."""

    model_config = _Strict

    code: str = Field(min_length=1, max_length=32)
    name: str = Field(min_length=1, max_length=200)
    name_en: str | None = Field(None, min_length=1, max_length=200,
                                description="English name, for pages read in English")
    prefix: str = Field(pattern=r"^[A-Z]{1,2}$")
    domain: str | None = None
    kind: str = "general"
    special_type: str | None = None
    active: bool = True
    # At least half a minute: estimates divide by it, and a tiny value would break them.
    avg_handle_min: float = Field(10, ge=0.5, le=480)
    # 办事指南 (焦作 第二十九条): what to bring; a 一次性告知 picks the missing ones from it.
    materials: list[Annotated[str, Field(min_length=1, max_length=100)]] = Field(
        [], max_length=40)

    @model_validator(mode="after")
    def _kind(self) -> ServiceIn:
        if self.kind not in SERVICE_KINDS:
            raise ValueError(f"kind must be one of {', '.join(SERVICE_KINDS)}")
        if self.kind == "special" and self.special_type not in SPECIAL_TYPES:
            raise ValueError(f"a special service needs special_type in {', '.join(SPECIAL_TYPES)}")
        return self


class WindowIn(BaseModel):
    """A window and what it serves; `backup_*` are served after the primary ones."""

    model_config = _Strict

    number: str = Field(pattern=r"^[0-9A-Za-z-]{1,16}$")
    name: str = Field(min_length=1, max_length=200)
    name_en: str | None = Field(None, min_length=1, max_length=200,
                                description="English name, for pages read in English")
    kind: str = Field("any", pattern=r"^(any|domain|special)$")
    services: list[str] = []
    domains: list[str] = []
    backup_services: list[str] = []
    backup_domains: list[str] = []
    open: bool = True
    # AB岗 named in advance (邵阳 第十六条, 焦作 第三十九条): job numbers of the main (A)
    # and stand-in (B) staff; when named, only they sign in to that post.
    a_staff: str | None = Field(None, min_length=1, max_length=64)
    b_staff: str | None = Field(None, min_length=1, max_length=64)


class StaffIn(BaseModel):
    """An account; give `password` (hashed on load) or an argon2 `password_hash`."""

    model_config = _Strict

    job_no: str = Field(min_length=1, max_length=64)
    name: str = Field(min_length=1, max_length=100)
    department: str = ""
    # A person's roles; device kinds (kiosk, agent …) and the deployment administrator are
    # never given by a hall's configuration.
    roles: list[Literal["staff", "operator", "admin"]] = ["staff"]
    password: str | None = None
    password_hash: str | None = None
    badge: str | None = Field(None, min_length=4, max_length=128,
                              description="the staff badge's code; stored only as an HMAC")
    badge_hash: str | None = None


class CalendarIn(BaseModel):
    """A holiday or a working weekend."""

    model_config = _Strict

    date: date
    kind: str = Field(pattern=r"^(holiday|workday)$")
    name: str = ""
    as_weekday: str = Field("mon", pattern=r"^(mon|tue|wed|thu|fri|sat|sun)$")


class HallConfig(BaseModel):
    """One hall's whole configuration, as in `hallq load hall.yaml`."""

    model_config = _Strict

    hall: HallInfo
    rules: HallRules = HallRules()
    hours: dict[str, list[str]] = {}
    calendar: list[CalendarIn] = []
    domains: list[DomainIn] = []
    services: list[ServiceIn] = []
    windows: list[WindowIn] = []
    staff: list[StaffIn] = []

    @model_validator(mode="after")
    def _consistent(self) -> HallConfig:
        for day, periods in self.hours.items():
            if day not in WEEKDAYS:
                raise ValueError(f"hours: unknown weekday {day!r} (use {', '.join(WEEKDAYS)})")
            for text in periods:
                parse_period(text)
        domains = {d.code for d in self.domains}
        services = {s.code for s in self.services}
        _unique("domain", [d.code for d in self.domains])
        _unique("service", [s.code for s in self.services])
        _unique("window", [w.number for w in self.windows])
        for s in self.services:
            if s.domain is not None and s.domain not in domains:
                raise ValueError(f"service {s.code}: unknown domain {s.domain}")
        for w in self.windows:
            for code in w.services + w.backup_services:
                if code not in services:
                    raise ValueError(f"window {w.number}: unknown service {code}")
            for code in w.domains + w.backup_domains:
                if code not in domains:
                    raise ValueError(f"window {w.number}: unknown domain {code}")
            if w.a_staff is not None and w.a_staff == w.b_staff:
                raise ValueError(f"window {w.number}: the A and B post are two people")
            if w.kind != "any" and not (w.services or w.domains or w.backup_services
                                        or w.backup_domains):
                raise ValueError(f"window {w.number}: a {w.kind} window must name what it serves")
        booking = self.rules.booking
        for code in [*(booking.services or []), *booking.capacity,
                     *booking.platform_services.values()]:
            if code not in services:
                raise ValueError(f"rules.booking: unknown service {code}")
        for code in self.rules.phone_services:
            if code not in services:
                raise ValueError(f"rules.phone_services: unknown service {code}")
        return self


def _unique(what: str, codes: list[str]) -> None:
    seen: set[str] = set()
    for code in codes:
        if code in seen:
            raise ValueError(f"duplicate {what} {code}")
        seen.add(code)


class ServiceRead(BaseModel):
    """A service as the public contract lists it."""

    code: str
    name: str
    prefix: str
    domain: str | None
