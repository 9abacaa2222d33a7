"""A generated month of a hall, played through the real flows on a ManualClock.

Every working day of November 2026 (the test hall's calendar: Monday to Friday, and Sunday
29 November as a 调休 working day): four staff sign in, tickets are issued through the
morning, then the windows call, serve, transfer, mark no-shows and pause, and citizens
rate. The generator keeps its own log of what it made happen (`Played`), from which the
tests compute the expected figures without the report code.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from sqlalchemy import select

from server.auth.models import Staff
from server.auth.principal import Principal
from server.clock import ManualClock
from server.core import Core
from server.evaluations import service as evaluations
from server.evaluations.schemas import RatingCreate
from server.tickets import flows as ticket_flows
from server.windows import flows as window_flows
from tests.factories import SHANGHAI

MONTH = date(2026, 11, 1)
WORKING = [d for d in (MONTH + timedelta(days=i) for i in range(30))
           if d.weekday() < 5 or d == date(2026, 11, 29)]
# window → (staff, services the generator issues for it)
DESKS = {"1": "s1", "2": "s2", "3": "s3", "4": "s4"}
SERVICES = ["SB01", "SB02", "BDC01", "YB01", "ZX"]
OUTCOMES = ["completed"] * 6 + ["accepted", "correction_notice", "correction_notice",
                                "rejected", "consulted"]


@dataclass
class TicketLog:
    """What happened to one ticket, as the generator saw it."""

    id: str
    service: str
    issued_at: datetime
    day: date
    status: str = "waiting"
    window: str | None = None
    staff: str | None = None
    called_at: datetime | None = None
    started_at: datetime | None = None
    finished_at: datetime | None = None
    outcome: str | None = None
    transfers: int = 0
    rating: int | None = None


@dataclass
class Played:
    """The generator's log of the month."""

    tickets: dict[str, TicketLog] = field(default_factory=dict)
    pauses: list[tuple[str, str, int]] = field(default_factory=list)  # window, staff, seconds


def principals(core: Core) -> dict[str, Principal]:
    """Staff principals by job number, as the flows take them."""
    with core.db.read_session() as db:
        return {s.job_no: Principal(roles=frozenset(s.roles), staff_id=s.id,
                                    hall_id=s.hall_id, name=s.name, job_no=s.job_no)
                for s in db.scalars(select(Staff))}


def play_month(core: Core, clock: ManualClock, *, per_day: int = 10,
               seed: int = 2026) -> Played:
    """Play every working day of November 2026; returns the log."""
    rng = random.Random(seed)
    who = principals(core)
    log = Played()
    for day in WORKING:
        _play_day(core, clock, who, log, rng, day, per_day)
    return log


def _at(day: date, hour: int, minute: int) -> datetime:
    return datetime(day.year, day.month, day.day, hour, minute, tzinfo=SHANGHAI)


def _play_day(core: Core, clock: ManualClock, who: dict[str, Principal], log: Played,
              rng: random.Random, day: date, per_day: int) -> None:
    clock.set(_at(day, 8, 30))
    for window, staff in DESKS.items():
        window_flows.sign_in(core, hall="h1", window=window, post="A", actor=who[staff])
    kiosk = who["op"]
    for _ in range(per_day):
        clock.advance(minutes=rng.randint(1, 8))
        t = ticket_flows.issue(core, hall="h1", service=rng.choice(SERVICES), actor=kiosk)
        log.tickets[t.id] = TicketLog(t.id, t.service, clock.now(), day)
    if rng.random() < 0.5:  # a pause at window 3 on some days
        clock.advance(minutes=1)
        window_flows.pause(core, hall="h1", window="3", reason="rest", actor=who["s3"])
        minutes = rng.randint(3, 12)
        clock.advance(minutes=minutes)
        window_flows.resume(core, hall="h1", window="3", actor=who["s3"])
        log.pauses.append(("3", "s3", minutes * 60))
    idle_rounds = 0
    while idle_rounds < 2:
        idle_rounds += 1
        for window, staff in DESKS.items():
            clock.advance(minutes=rng.randint(1, 4))
            out = window_flows.call_next(core, hall="h1", window=window, actor=who[staff])
            if out.ticket is None:
                continue
            idle_rounds = 0
            _serve(core, clock, who[staff], log, rng, window, staff, out.ticket.id)


def _serve(core: Core, clock: ManualClock, actor: Principal, log: Played,
           rng: random.Random, window: str, staff: str, ticket_id: str) -> None:
    entry = log.tickets[ticket_id]
    entry.called_at, entry.window, entry.staff, entry.status = clock.now(), window, staff, "called"
    roll = rng.random()
    if roll < 0.1:
        clock.advance(minutes=2)
        window_flows.no_show(core, hall="h1", window=window, actor=actor)
        entry.status = "no_show"
        return
    clock.advance(minutes=1)
    window_flows.start(core, hall="h1", window=window, actor=actor)
    entry.started_at = clock.now()
    clock.advance(minutes=rng.randint(2, 15), seconds=rng.randint(0, 59))
    if roll < 0.16 and entry.service != "YB01" and window != "4":
        window_flows.transfer(core, hall="h1", window=window, service="YB01", actor=actor)
        entry.service, entry.transfers, entry.status = "YB01", entry.transfers + 1, "waiting"
        entry.window = entry.staff = entry.called_at = entry.started_at = None
        return
    outcome = rng.choice(OUTCOMES)
    window_flows.finish(core, hall="h1", window=window, outcome=outcome, actor=actor)
    entry.status, entry.outcome, entry.finished_at = "done", outcome, clock.now()
    if rng.random() < 0.7:
        level = rng.choice([5, 5, 5, 4, 4, 3, 2, 1])
        evaluations.record(core, ticket_id=ticket_id, rating=RatingCreate(level=level),
                           channel="evaluator")
        entry.rating = level
