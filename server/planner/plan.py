"""Windows to open per hour and window group, by Erlang C, and the waits of a given plan.

Windows are grouped by what they serve (all any-matter windows are one group; domain and
special windows with the same scope another), named by the first window's name. Each
service's load goes to the most specific group that serves it (a special window's own
services, a domain window's domain, the rest to the any-matter windows): this ignores the
help that broader windows give, so the recommendation errs on the safe side.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from datetime import date

from sqlalchemy.orm import Session

from server.halls import service as halls
from server.halls.models import Hall
from server.planner import erlang
from server.planner.history import History, open_minutes


@dataclass
class Group:
    """Windows with the same kind and scope."""

    name: str
    kind: str
    windows: list[str]
    services: set[str]


@dataclass
class Cell:
    """One group in one hour: its load and the waits with `windows` open."""

    windows: int
    available: int
    arrivals_per_h: float
    handle_min: float
    load: float
    p_wait: float
    mean_min: float
    p90_min: float
    meets: bool


@dataclass
class Plan:
    """Hour → group name → cell, for one day."""

    day: date
    target_min: float
    groups: list[Group]
    hours: dict[int, dict[str, Cell]] = field(default_factory=dict)
    history_days: int = 0

    def windows(self) -> dict[str, dict[str, int]]:
        """The plan as `{"09": {"group": windows}}` (the format `--plan` reads)."""
        return {f"{h:02d}": {g: c.windows for g, c in cells.items()}
                for h, cells in sorted(self.hours.items())}


def window_groups(db: Session, hall: Hall) -> list[Group]:
    """The hall's open windows grouped by kind and scope."""
    scopes = halls.window_scopes(db, hall)
    codes = {s.id: s.code for s in halls.list_services(db, hall)}
    groups: dict[tuple[str, frozenset[str]], Group] = {}
    for w in halls.list_windows(db, hall):
        if not w.open:
            continue
        served = frozenset(codes[i] for i in scopes[w.id].services)
        key = (w.kind, served)
        if key not in groups:
            name = w.name
            if any(g.name == name for g in groups.values()):
                name = f"{w.name}#{w.number}"
            groups[key] = Group(name, w.kind, [], set(served))
        groups[key].windows.append(w.number)
    return list(groups.values())


def assign(groups: list[Group]) -> dict[str, str]:
    """Service code → the name of the most specific group that serves it."""
    out: dict[str, str] = {}
    for g in sorted(groups, key=lambda g: (len(g.services), g.name), reverse=True):
        for code in g.services:
            out[code] = g.name
    return out


def cell(windows: int, available: int, per_min: float, handle_s: float,
         target_min: float) -> Cell:
    """The Erlang C figures of one group in one hour."""
    load = per_min * handle_s / 60
    p90 = erlang.quantile_wait_s(windows, load, handle_s) / 60 if windows or load else 0.0
    mean = erlang.mean_wait_s(windows, load, handle_s) / 60 if windows or load else 0.0
    return Cell(windows=windows, available=available, arrivals_per_h=per_min * 60,
                handle_min=handle_s / 60, load=load,
                p_wait=erlang.erlang_c(windows, load) if load else 0.0,
                mean_min=mean, p90_min=p90, meets=p90 <= target_min)


def _loads(history: History, groups: list[Group], hour: int) -> dict[str, tuple[float, float]]:
    """Group name → (arrivals per minute, mean handling seconds) in one hour."""
    owner = assign(groups)
    per: dict[str, list[tuple[float, float]]] = {}
    for code, rate in history.rate_per_min.get(hour, {}).items():
        if code in owner:
            per.setdefault(owner[code], []).append((rate, history.handle_s.get(code, 600.0)))
    out = {}
    for name, items in per.items():
        total = sum(r for r, _ in items)
        out[name] = (total, sum(r * s for r, s in items) / total if total else 600.0)
    return out


def _hours(db: Session, hall: Hall, day: date, history: History) -> list[int]:
    open_now = set(open_minutes(halls.hours_of(db, hall), day))
    return sorted(open_now | {h for h in history.rate_per_min if h in open_now})


def recommend(db: Session, hall: Hall, *, day: date, history: History,
              target_min: float = 20.0) -> Plan:
    """The fewest windows per group and hour that keep the p90 wait under the target."""
    groups = window_groups(db, hall)
    plan = Plan(day, target_min, groups, history_days=len(history.days))
    for hour in _hours(db, hall, day, history):
        loads = _loads(history, groups, hour)
        plan.hours[hour] = {}
        for g in groups:
            per_min, handle_s = loads.get(g.name, (0.0, 600.0))
            load = per_min * handle_s / 60
            need = erlang.servers_needed(load, handle_s, target_min * 60) if load else 0
            # Keep one window of each group open while the hall is open: nobody is turned
            # away from a matter because its window is shut.
            need = max(need, 1) if g.windows else 0
            plan.hours[hour][g.name] = cell(min(need, len(g.windows)), len(g.windows),
                                            per_min, handle_s, target_min)
            if need > len(g.windows):
                plan.hours[hour][g.name].meets = False
    return plan


def evaluate(db: Session, hall: Hall, *, day: date, history: History,
             windows: dict[str, dict[str, int]], target_min: float = 20.0) -> Plan:
    """The expected waits of a manager's own plan (`{"09": {"group": windows}}`)."""
    groups = window_groups(db, hall)
    known = {g.name for g in groups}
    unknown = {name for per in windows.values() for name in per} - known
    if unknown:
        raise ValueError(f"unknown window groups {sorted(unknown)}; groups: {sorted(known)}")
    plan = Plan(day, target_min, groups, history_days=len(history.days))
    for hour in _hours(db, hall, day, history):
        loads = _loads(history, groups, hour)
        given = windows.get(f"{hour:02d}", {})
        plan.hours[hour] = {}
        for g in groups:
            per_min, handle_s = loads.get(g.name, (0.0, 600.0))
            n = given.get(g.name, 0)
            c = cell(n, len(g.windows), per_min, handle_s, target_min)
            if per_min > 0 and n == 0:
                c.p90_min = c.mean_min = math.inf
                c.meets = False
            plan.hours[hour][g.name] = c
    return plan
