"""The queue engine: which waiting ticket a window calls next, as pure functions.

No database and no clock in here: the flows load the waiting tickets, pass `now`, and make
the choice atomic around these functions.

Order for one window (焦作 第二十九条(六), 第三十条(一), 第四十一条):
1. green channel (绿色通道: elderly, disabled, pregnant, military — 依法优先);
2. appointments inside their slot (from `appointment_early_s` before its start);
3. everyone else by their place in time (`queued_at`), where the window's primary services
   count as having waited `primary_bonus_s` longer (or come strictly first with
   `primary_first`).
Ties go to the earlier issue time, then the ticket number.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

GREEN, APPOINTMENT_DUE, ORDINARY = 0, 1, 2


@dataclass(frozen=True, slots=True)
class QueuedTicket:
    """What the engine needs to know of a waiting ticket."""

    id: str
    number: str
    service_id: int
    priority: str
    issued_at: datetime
    queued_at: datetime
    slot_start: datetime | None = None
    slot_end: datetime | None = None
    target_window_id: int | None = None


@dataclass(frozen=True, slots=True)
class WindowScope:
    """The services a window may call, and which of them are its primary ones."""

    window_id: int
    services: frozenset[int]
    primary: frozenset[int]


@dataclass(frozen=True, slots=True)
class RankRules:
    """The hall's ordering rules."""

    primary_bonus_s: int = 600
    primary_first: bool = False
    appointment_early_s: int = 900
    appointment_grace_s: int = 900


@dataclass(frozen=True, slots=True)
class ServiceInfo:
    """What the engine needs to know of a service to route it."""

    id: int
    domain_id: int | None
    kind: str  # "general" | "special"


@dataclass(frozen=True, slots=True)
class ServingEntry:
    """One line of a window's configuration: a service or a domain, primary or backup."""

    service_id: int | None = None
    domain_id: int | None = None
    primary: bool = True


def window_scope(
    window_id: int, kind: str, entries: Iterable[ServingEntry], services: Iterable[ServiceInfo]
) -> WindowScope:
    """Work out which services a window serves from its kind and configuration.

    An any-matter window (无差别综合窗口) serves every general service; a domain window
    (分领域综合窗口) the services of its domains; a special window (专窗) only what it names.
    Named services and domains add to any kind.
    """
    entries = list(entries)
    services = list(services)
    served: set[int] = set()
    primary: set[int] = set()
    if kind == "any":
        general = {s.id for s in services if s.kind == "general"}
        served |= general
        primary |= general
    for entry in entries:
        if entry.service_id is not None:
            ids = {entry.service_id}
        else:
            ids = {s.id for s in services if s.domain_id == entry.domain_id}
            if kind != "special":
                # A domain window does not take the domain's special services by default.
                ids = {s.id for s in services if s.domain_id == entry.domain_id
                       and s.kind == "general"}
        served |= ids
        if entry.primary:
            primary |= ids
        else:
            primary -= ids
    return WindowScope(window_id, frozenset(served), frozenset(primary & served))


def callable_by(ticket: QueuedTicket, scope: WindowScope) -> bool:
    """True when the window may call this ticket at all."""
    if ticket.target_window_id is not None:
        return ticket.target_window_id == scope.window_id
    return ticket.service_id in scope.services


def priority_class(ticket: QueuedTicket, now: datetime, rules: RankRules) -> int:
    """0 green channel, 1 appointment due in its slot, 2 everyone else."""
    if ticket.priority == "green":
        return GREEN
    if ticket.priority == "appointment" and ticket.slot_start is not None:
        opens = ticket.slot_start - timedelta(seconds=rules.appointment_early_s)
        closes = (ticket.slot_end or ticket.slot_start) + timedelta(
            seconds=rules.appointment_grace_s
        )
        if opens <= now <= closes:
            return APPOINTMENT_DUE
    return ORDINARY


def sort_key(
    ticket: QueuedTicket, now: datetime, rules: RankRules, primary: bool = False
) -> tuple[int, int, datetime, datetime, str]:
    """The key the queue is ordered by for one window (smaller is called first)."""
    cls = priority_class(ticket, now, rules)
    place = ticket.queued_at
    tier = 0
    if not primary:
        if rules.primary_first:
            tier = 1
        else:
            place = place + timedelta(seconds=rules.primary_bonus_s)
    return (cls, tier, place, ticket.issued_at, ticket.number)


def rank(
    tickets: Iterable[QueuedTicket], scope: WindowScope, now: datetime, rules: RankRules
) -> list[QueuedTicket]:
    """The tickets this window may call, best first."""
    mine = [t for t in tickets if callable_by(t, scope)]
    mine.sort(key=lambda t: sort_key(t, now, rules, t.service_id in scope.primary))
    return mine


def ahead_of(
    ticket: QueuedTicket, waiting: Iterable[QueuedTicket], now: datetime, rules: RankRules
) -> int:
    """How many waiting tickets of the same service come before this one."""
    key = sort_key(ticket, now, rules, primary=True)
    return sum(
        1
        for other in waiting
        if other.id != ticket.id
        and other.service_id == ticket.service_id
        and other.target_window_id is None
        and sort_key(other, now, rules, primary=True) < key
    )


def estimate_wait_s(ahead: int, avg_handle_s: float, windows: int) -> int:
    """Estimated wait: the tickets ahead shared over the windows serving the service."""
    return round(ahead * avg_handle_s / max(windows, 1))


def requeue_place(queued: Sequence[datetime], places: int, now: datetime) -> datetime:
    """Where a returning no-show goes back in (过号重排): after `places` waiting tickets.

    `queued` is the sorted places in time of the tickets now waiting for its service; with
    fewer than `places` of them the ticket goes to the end of the line.
    """
    if places >= len(queued):
        return max(now, queued[-1] + timedelta(microseconds=1)) if queued else now
    if places <= 0:
        return queued[0] - timedelta(microseconds=1)
    before, after = queued[places - 1], queued[places]
    return before + (after - before) / 2
