"""Report figures as pure functions over plain rows (no database).

Definitions (docs/reports.md):
- wait = called_at - issued_at of every ticket that was called (a transferred ticket's
  wait runs to its last call); handling = finished_at - started_at of every served ticket;
- no-show rate = no-shows / (served + no-shows);
- p90 = the nearest-rank 90th percentile (the value at rank ceil(0.9 n));
- satisfaction = ratings 3-5 (基本满意 and better) / all ratings, voided ones left out;
- pause time = the pauses that ended in the period (resume), by window and staff member;
- presence = the 去向牌 changes to 休假, 外出 and 会议 that began in the period, by staff
  member, department and hall (焦作 第三十条(五)); windows and services count them in the
  total only.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Hashable, Iterable
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from server.tickets.models import OUTCOMES

DIMENSIONS = ("window", "staff", "department", "service", "hall")
CASE_STATES = ("open", "verified", "rectified", "answered", "closed", "appealing", "voided")
AWAY = ("leave", "out", "meeting")


@dataclass(frozen=True)
class TicketRow:
    """One ticket as reports need it."""

    hall_id: int
    service_id: int
    window_id: int | None
    staff_id: int | None
    department: str | None
    status: str
    outcome: str | None
    issued_at: datetime
    called_at: datetime | None
    started_at: datetime | None
    finished_at: datetime | None
    transfers: int
    day: date


@dataclass(frozen=True)
class RatingRow:
    """One rating (voided ones are not loaded)."""

    hall_id: int
    service_id: int
    window_id: int | None
    staff_id: int | None
    department: str | None
    level: int


@dataclass(frozen=True)
class CaseRow:
    """One 差评 case."""

    hall_id: int
    service_id: int
    window_id: int | None
    staff_id: int | None
    department: str | None
    status: str
    overdue: bool


@dataclass(frozen=True)
class PauseRow:
    """One ended pause."""

    hall_id: int
    window_id: int | None
    staff_id: int | None
    department: str | None
    seconds: int


@dataclass(frozen=True)
class PresenceRow:
    """One 去向牌 change away from the window (休假, 外出, 会议)."""

    hall_id: int
    staff_id: int | None
    department: str | None
    presence: str
    window_id: int | None = None


def p90(values: list[float]) -> float | None:
    """Nearest-rank 90th percentile."""
    if not values:
        return None
    ordered = sorted(values)
    return ordered[max(0, math.ceil(0.9 * len(ordered)) - 1)]


def mean(values: list[float]) -> float | None:
    """Arithmetic mean, None for no values."""
    return sum(values) / len(values) if values else None


def pct(part: int, whole: int) -> float | None:
    """A percentage with one decimal, None when there is nothing to divide."""
    return round(100.0 * part / whole, 1) if whole else None


@dataclass
class Figures:
    """The figures of one report row."""

    issued: int = 0
    served: int = 0
    no_show: int = 0
    cancelled: int = 0
    waits: list[float] = field(default_factory=list)
    handles: list[float] = field(default_factory=list)
    transfers: int = 0
    outcomes: dict[str, int] = field(default_factory=lambda: dict.fromkeys(OUTCOMES, 0))
    ratings: dict[int, int] = field(default_factory=lambda: dict.fromkeys(range(1, 6), 0))
    cases: dict[str, int] = field(default_factory=lambda: dict.fromkeys(CASE_STATES, 0))
    overdue: int = 0
    pause_s: int = 0
    pauses: int = 0
    presence: dict[str, int] = field(default_factory=lambda: dict.fromkeys(AWAY, 0))

    def add_ticket(self, t: TicketRow) -> None:
        """Count one ticket."""
        self.issued += 1
        self.transfers += t.transfers
        if t.status == "done":
            self.served += 1
            if t.outcome in self.outcomes:
                self.outcomes[t.outcome] += 1
            if t.started_at is not None and t.finished_at is not None:
                self.handles.append((t.finished_at - t.started_at).total_seconds())
        elif t.status == "no_show":
            self.no_show += 1
        elif t.status == "cancelled":
            self.cancelled += 1
        if t.called_at is not None:
            self.waits.append((t.called_at - t.issued_at).total_seconds())

    def as_dict(self) -> dict[str, Any]:
        """The row's values, rounded for people."""
        rated = sum(self.ratings.values())
        good = sum(n for level, n in self.ratings.items() if level >= 3)

        def secs(v: float | None) -> float | None:
            return None if v is None else round(v, 1)

        return {
            "issued": self.issued, "served": self.served, "no_show": self.no_show,
            "cancelled": self.cancelled,
            "no_show_rate": pct(self.no_show, self.served + self.no_show),
            "wait_avg_s": secs(mean(self.waits)), "wait_p90_s": secs(p90(self.waits)),
            "handle_avg_s": secs(mean(self.handles)), "handle_p90_s": secs(p90(self.handles)),
            "transfers": self.transfers,
            "outcomes": dict(self.outcomes),
            "one_time_notice": self.outcomes.get("correction_notice", 0),
            "ratings": {str(k): v for k, v in self.ratings.items()}, "rated": rated,
            "satisfaction": pct(good, rated),
            "bad": self.ratings[1] + self.ratings[2],
            "cases": sum(self.cases.values()), "case_status": dict(self.cases),
            "cases_overdue": self.overdue,
            "pause_s": self.pause_s, "pauses": self.pauses,
            **{f"presence_{k}": v for k, v in self.presence.items()},
        }


Row = TicketRow | RatingRow | CaseRow | PauseRow | PresenceRow


def key_of(dimension: str) -> Callable[[Row], Hashable]:
    """The grouping key of a row for a dimension."""
    if dimension not in DIMENSIONS:
        raise ValueError(f"dimension must be one of {', '.join(DIMENSIONS)}")

    def key(row: Row) -> Hashable:
        if dimension == "window":
            return row.window_id
        if dimension == "staff":
            return row.staff_id
        if dimension == "department":
            return row.department
        if dimension == "hall":
            return row.hall_id
        return getattr(row, "service_id", None)

    return key


def tabulate(dimension: str, tickets: Iterable[TicketRow], ratings: Iterable[RatingRow],
             cases: Iterable[CaseRow], pauses: Iterable[PauseRow],
             presence: Iterable[PresenceRow] = ()) -> tuple[dict[Hashable, Figures], Figures]:
    """Figures per group of a dimension, and the total."""
    key = key_of(dimension)
    groups: dict[Hashable, Figures] = {}
    total = Figures()

    def both(row: Row) -> tuple[Figures, Figures]:
        return groups.setdefault(key(row), Figures()), total

    for t in tickets:
        for f in both(t):
            f.add_ticket(t)
    for r in ratings:
        for f in both(r):
            f.ratings[r.level] += 1
    for c in cases:
        for f in both(c):
            f.cases[c.status] = f.cases.get(c.status, 0) + 1
            f.overdue += int(c.overdue)
    for p in pauses:
        if dimension == "service":
            total.pause_s += p.seconds
            total.pauses += 1
            continue
        for f in both(p):
            f.pause_s += p.seconds
            f.pauses += 1
    for a in presence:
        if a.presence not in AWAY:
            continue
        targets = (total,) if dimension in ("window", "service") else both(a)
        for f in targets:
            f.presence[a.presence] += 1
    return groups, total


__all__ = ["AWAY", "DIMENSIONS", "CaseRow", "Figures", "PauseRow", "PresenceRow", "RatingRow",
           "TicketRow", "key_of", "mean", "p90", "pct", "tabulate"]
