"""A scenario: a hall configuration and how its day goes (arrivals, mix, behaviour)."""

from __future__ import annotations

import math
import random
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import yaml
from pydantic import BaseModel, ConfigDict, Field, model_validator

from server.halls.hours import HallHours, issuing_refusal, parse_period
from server.halls.schemas import HallConfig, StaffIn

SCENARIOS = Path(__file__).resolve().parent.parent / "scenarios"
WEEKDAY_INDEX = {d: i for i, d in enumerate(("mon", "tue", "wed", "thu", "fri", "sat", "sun"))}
_Strict = ConfigDict(extra="forbid")


class Handling(BaseModel):
    """A service's share of the arrivals and its lognormal handling time."""

    model_config = _Strict

    share: float = Field(gt=0)
    median_min: float = Field(gt=0)
    sigma: float = Field(0.5, ge=0, le=2)


class Behaviour(BaseModel):
    """How citizens and staff behave; every rate is a probability per ticket or window."""

    model_config = _Strict

    green_share: float = Field(0.05, ge=0, le=1)
    appointment_share: float = Field(0.08, ge=0, le=1)
    no_show_rate: float = Field(0.05, ge=0, le=1)
    return_rate: float = Field(0.4, ge=0, le=1, description="no-shows who come back")
    return_after_min: tuple[float, float] = (5, 30)
    transfer_rate: float = Field(0.03, ge=0, le=1)
    cancel_rate: float = Field(0.01, ge=0, le=1)
    cancel_after_min: tuple[float, float] = (10, 40)
    walk_s: tuple[float, float] = (10, 45)
    recall_interval_s: float = Field(40, gt=0)
    rating_share: float = Field(0.7, ge=0, le=1)
    ratings: dict[int, float] = {5: 0.80, 4: 0.12, 3: 0.04, 2: 0.025, 1: 0.015}
    pauses_per_window: float = Field(1.0, ge=0, description="per window per day")
    pause_min: tuple[float, float] = (5, 20)
    takeovers_per_window: float = Field(0.5, ge=0, description="B-post takeovers per day")
    takeover_min: tuple[float, float] = (10, 40)
    # 线上取号: the share of walk-in visitors who take their number from a phone with an SMS
    # reminder when `notice_ahead` are ahead of them (and when called).
    phone_share: float = Field(0.0, ge=0, le=1)
    notice_ahead: int = Field(3, ge=1, le=50)


class Scenario(BaseModel):
    """A scenario file of `simulators/scenarios/`."""

    model_config = _Strict

    name: str
    title: str = ""
    date: date
    seed: int = 1
    password: str = "sim"
    hall: HallConfig | None = None
    hall_file: str | None = None
    extra_staff: list[StaffIn] = []
    tickets: int = Field(gt=0)
    # Relative arrival intensity by local hour ("08" … "17"); arrivals only while issuing.
    curve: dict[str, float]
    services: dict[str, Handling]
    behaviour: Behaviour = Behaviour()
    # Staffed windows per hour and window kind (e.g. {"09": {"any": 4}}); None: all open.
    staffing: dict[str, dict[str, int]] | None = None
    source: Path | None = Field(None, exclude=True)

    @model_validator(mode="after")
    def _hall(self) -> Scenario:
        if (self.hall is None) == (self.hall_file is None):
            raise ValueError("give exactly one of hall (a HallConfig document) or hall_file")
        return self

    def hall_config(self) -> HallConfig:
        """The hall's configuration with the extra staff added."""
        config = self.hall
        if config is None:
            assert self.hall_file is not None
            base = self.source.parent if self.source else SCENARIOS
            raw = yaml.safe_load((base / self.hall_file).read_text(encoding="utf-8"))
            config = HallConfig.model_validate(raw)
        if self.extra_staff:
            config = config.model_copy(update={"staff": config.staff + self.extra_staff})
        if self.behaviour.phone_share > 0:
            rules = config.rules.model_copy(update={
                "phone_tickets": True, "phone_daily_limit": 0,
                "notice_ahead": self.behaviour.notice_ahead,
                "notice_ahead_max": max(self.behaviour.notice_ahead, 10)})
            config = config.model_copy(update={"rules": rules})
        codes = {s.code for s in config.services}
        unknown = set(self.services) - codes
        if unknown:
            raise ValueError(f"scenario {self.name}: unknown services {sorted(unknown)}")
        return config

    @property
    def tz(self) -> ZoneInfo:
        """The hall's time zone."""
        return ZoneInfo(self.hall_config().hall.timezone)


def load_scenario(name_or_path: str, *, citizens: int | None = None) -> Scenario:
    """A scenario by name (a file of `simulators/scenarios/`) or by path.

    `citizens` replaces the day's number of visitors (same curve and mix).
    """
    path = Path(name_or_path)
    if not path.exists():
        path = SCENARIOS / f"{name_or_path}.yaml"
    if not path.exists():
        known = ", ".join(sorted(p.stem for p in SCENARIOS.glob("*.yaml")))
        raise FileNotFoundError(f"no scenario {name_or_path!r} (known: {known})")
    raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    if citizens is not None:
        raw["tickets"] = citizens
    scenario = Scenario.model_validate(raw)
    scenario.source = path
    return scenario


def hall_hours(config: HallConfig) -> HallHours:
    """The weekly opening periods of a configuration (calendar exceptions included)."""
    weekly = {WEEKDAY_INDEX[d]: tuple(parse_period(p) for p in ps)
              for d, ps in config.hours.items()}
    holidays = frozenset(c.date for c in config.calendar if c.kind == "holiday")
    workdays = {c.date: WEEKDAY_INDEX[c.as_weekday] for c in config.calendar
                if c.kind == "workday"}
    return HallHours(weekly, holidays, workdays)


def serves(config: HallConfig) -> dict[str, set[str]]:
    """Window number → the service codes it may call (mirrors the engine's scopes)."""
    general = {s.code for s in config.services if s.kind == "general" and s.active}
    by_domain: dict[str, set[str]] = {}
    for s in config.services:
        if s.domain and s.active:
            by_domain.setdefault(s.domain, set()).add(s.code)
    kinds = {s.code: s.kind for s in config.services}
    out: dict[str, set[str]] = {}
    for w in config.windows:
        codes = set(general) if w.kind == "any" else set()
        codes |= set(w.services) | set(w.backup_services)
        for d in w.domains + w.backup_domains:
            codes |= {c for c in by_domain.get(d, set())
                      if w.kind == "special" or kinds[c] == "general"}
        out[w.number] = codes
    return out


@dataclass
class Citizen:
    """One visitor of the day, drawn in advance so that a run is reproducible."""

    index: int
    arrival: datetime
    service: str
    handle_s: float
    green: bool = False
    appointment: str | None = None
    absent: bool = False  # does not come when first called
    returns_after_s: float | None = None  # a no-show who comes back after this long
    transfer_to: str | None = None
    transfer_handle_s: float = 0.0
    cancel_after_s: float | None = None
    cancel_reason: str = ""
    walk_s: float = 20.0
    rating: int | None = None
    outcome: str = "completed"
    extra: dict[str, Any] = field(default_factory=dict)


@dataclass
class StaffEvent:
    """A pause or a B-post takeover of one window at a time, for a duration."""

    window: str
    at: datetime
    minutes: float
    kind: str  # "pause" | "takeover"
    reason: str = ""


PAUSE_REASONS = ("休息", "外出取件", "会议", "系统故障报修")
CANCEL_REASONS = ("群众主动放弃", "材料不全，改日再办", "已在网上办理")
OUTCOMES = (("completed", 0.78), ("accepted", 0.1), ("correction_notice", 0.08),
            ("consulted", 0.03), ("rejected", 0.01))


def issuing_minutes(scenario: Scenario, day: date) -> list[tuple[datetime, float]]:
    """Every local minute of the day when tickets are issued, with its arrival weight."""
    config = scenario.hall_config()
    hours = hall_hours(config)
    tz = scenario.tz
    out = []
    for minute in range(24 * 60):
        local = datetime.combine(day, time(minute // 60, minute % 60), tzinfo=tz)
        weight = scenario.curve.get(f"{local.hour:02d}", 0.0)
        if weight > 0 and issuing_refusal(hours, local, config.rules.issue_cutoff_min) is None:
            out.append((local, weight))
    return out


def draw_day(scenario: Scenario, day: date | None = None) -> list[Citizen]:
    """The day's citizens, sorted by arrival."""
    day = day or scenario.date
    rnd = random.Random(scenario.seed)
    minutes = issuing_minutes(scenario, day)
    if not minutes:
        raise ValueError(f"the hall of scenario {scenario.name} issues no tickets on {day}")
    b = scenario.behaviour
    codes = list(scenario.services)
    shares = [scenario.services[c].share for c in codes]
    levels = list(b.ratings)
    level_weights = [b.ratings[x] for x in levels]
    starts = rnd.choices([m for m, _ in minutes], weights=[w for _, w in minutes],
                         k=scenario.tickets)
    arrivals = sorted(s + timedelta(seconds=rnd.uniform(0, 60)) for s in starts)
    people = []
    for i, at in enumerate(arrivals):
        service = rnd.choices(codes, weights=shares)[0]
        c = Citizen(index=i, arrival=at, service=service,
                    handle_s=_handle(rnd, scenario.services[service]))
        c.green = rnd.random() < b.green_share
        if not c.green and rnd.random() < b.appointment_share:
            c.appointment = f"{scenario.name}-{day:%m%d}-{i:05d}"
        c.absent = rnd.random() < b.no_show_rate
        if c.absent and rnd.random() < b.return_rate:
            c.returns_after_s = rnd.uniform(*b.return_after_min) * 60
        if not c.absent and len(codes) > 1 and rnd.random() < b.transfer_rate:
            c.transfer_to = rnd.choice([x for x in codes if x != service])
            c.transfer_handle_s = _handle(rnd, scenario.services[c.transfer_to])
        if not c.absent and rnd.random() < b.cancel_rate:
            c.cancel_after_s = rnd.uniform(*b.cancel_after_min) * 60
            c.cancel_reason = rnd.choice(CANCEL_REASONS)
        c.walk_s = rnd.uniform(*b.walk_s)
        if rnd.random() < b.rating_share:
            c.rating = rnd.choices(levels, weights=level_weights)[0]
        c.outcome = rnd.choices([o for o, _ in OUTCOMES], weights=[w for _, w in OUTCOMES])[0]
        people.append(c)
    return people


def _handle(rnd: random.Random, h: Handling) -> float:
    return max(30.0, math.exp(rnd.gauss(math.log(h.median_min * 60), h.sigma)))


def draw_staff_events(scenario: Scenario, day: date | None = None) -> list[StaffEvent]:
    """Pauses and B-post takeovers of the day, at random open minutes."""
    day = day or scenario.date
    rnd = random.Random(scenario.seed + 1)
    minutes = [m for m, _ in issuing_minutes(scenario, day)]
    b = scenario.behaviour
    out = []
    for w in scenario.hall_config().windows:
        if not w.open:
            continue
        for kind, rate, span in (("pause", b.pauses_per_window, b.pause_min),
                                 ("takeover", b.takeovers_per_window, b.takeover_min)):
            count = int(rate) + (1 if rnd.random() < rate - int(rate) else 0)
            for _ in range(count):
                out.append(StaffEvent(w.number, rnd.choice(minutes), rnd.uniform(*span), kind,
                                      rnd.choice(PAUSE_REASONS) if kind == "pause" else ""))
    return sorted(out, key=lambda e: e.at)
