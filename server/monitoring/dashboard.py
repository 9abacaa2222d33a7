"""What the operator's dashboard shows: the load now, the day so far, by hour, alerts."""

from __future__ import annotations

import threading
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from server.auth.principal import Principal
from server.core import Core
from server.devices import status as devices
from server.evaluations import cases as case_flows
from server.evaluations.models import Evaluation, ReviewCase
from server.events import snapshots
from server.halls import flows as hall_flows
from server.halls import service as halls
from server.halls.models import Hall
from server.monitoring import access, alerts
from server.monitoring.models import WindowDayOverride
from server.reports import compute
from server.tickets.models import Ticket

# How many past same weekdays make the "usual" curve of the hourly charts.
SAME_WEEKDAYS = 4


def _hourly(hall: Hall, tickets: list[Ticket]) -> tuple[list[int], list[float | None]]:
    """Arrivals per local hour, and the average wait of the tickets called in that hour."""
    arrivals = [0] * 24
    waits: list[list[float]] = [[] for _ in range(24)]
    for t in tickets:
        arrivals[halls.local_time(hall, t.issued_at).hour] += 1
        if t.called_at is not None:
            waits[halls.local_time(hall, t.called_at).hour].append(
                (t.called_at - t.issued_at).total_seconds())
    return arrivals, [None if not w else round(sum(w) / len(w), 1) for w in waits]


Usual = tuple[list[float], list[float | None]]
# Past days do not change: the usual curves are computed once per hall and day per process.
_usual_cache: dict[tuple[str, int, date], Usual] = {}
_usual_lock = threading.Lock()


def _usual(db: Session, hall: Hall, day: date) -> Usual:
    """The same weekday's average over the last weeks (arrivals and waits by hour)."""
    key = (str(db.get_bind().engine.url), hall.id, day)
    with _usual_lock:
        cached = _usual_cache.get(key)
    if cached is not None:
        return cached
    value = _usual_uncached(db, hall, day)
    with _usual_lock:
        if len(_usual_cache) > 4096:
            _usual_cache.clear()
        _usual_cache[key] = value
    return value


def _usual_uncached(db: Session, hall: Hall, day: date) -> Usual:
    days = [day - timedelta(weeks=k) for k in range(1, SAME_WEEKDAYS + 1)]
    rows = list(db.scalars(select(Ticket).where(Ticket.hall_id == hall.id,
                                                Ticket.business_day.in_(days))))
    present = {t.business_day for t in rows} or set()
    arrivals, waits = _hourly(hall, rows)
    n = max(1, len(present))
    return [round(a / n, 1) for a in arrivals], waits


def hall_view(core: Core, db: Session, hall: Hall, now: datetime) -> dict[str, Any]:
    """One hall's dashboard data."""
    live = hall_flows.queue(core, hall=hall.code)
    day = hall.business_day or halls.local_day(hall, now)
    tickets = list(db.scalars(select(Ticket).where(Ticket.hall_id == hall.id,
                                                   Ticket.business_day == day)))
    figures = compute.Figures()
    for t in tickets:
        figures.add_ticket(compute.TicketRow(
            t.hall_id, t.service_id, t.window_id, t.staff_id, None, t.status, t.outcome,
            t.issued_at, t.called_at, t.started_at, t.finished_at, t.transfers,
            t.business_day))
    ids = [t.id for t in tickets]
    for e in db.scalars(select(Evaluation).where(Evaluation.hall_id == hall.id,
                                                 Evaluation.voided.is_(False),
                                                 Evaluation.ticket_id.in_(ids))):
        figures.ratings[e.level] += 1
    today = figures.as_dict()
    today["waiting"] = sum(s["waiting"] for s in live["services"])
    arrivals, waits = _hourly(hall, tickets)
    usual_arrivals, usual_waits = _usual(db, hall, day)
    snap = core.cache.get(db, hall)
    overrides = {o.window_id: [snap.services[s].code for s in o.service_ids
                               if s in snap.services]
                 for o in db.scalars(select(WindowDayOverride).where(
                     WindowDayOverride.hall_id == hall.id, WindowDayOverride.day == day))}
    numbers = {w.number: w.id for w in snap.windows.values()}
    windows = []
    for w in live["windows"]:
        since = datetime.fromisoformat(w["since"]) if w.get("since") else None
        windows.append({**w, "for_s": int((now - since).total_seconds()) if since else None,
                        "moved_to": overrides.get(numbers.get(w["number"], 0))})
    open_cases = list(db.scalars(select(ReviewCase).where(
        ReviewCase.hall_id == hall.id, ReviewCase.status.not_in(case_flows.FINAL))))
    month_start = day.replace(day=1)
    month_cases = list(db.scalars(select(ReviewCase).where(
        ReviewCase.hall_id == hall.id,
        ReviewCase.opened_at >= datetime.combine(month_start, datetime.min.time(),
                                                 tzinfo=halls.local_time(hall, now).tzinfo))))
    local_today = halls.local_day(hall, now)
    return {
        "hall": hall.code, "hall_name": hall.name, "hall_name_en": hall.name_en,
        "level": hall.level,
        "at": live["at"], "day": day.isoformat(), "scroll_text": hall.scroll_text,
        "services": live["services"], "windows": windows, "today": today,
        "hourly": {"arrivals": arrivals, "waits": waits, "usual_arrivals": usual_arrivals,
                   "usual_waits": usual_waits},
        "alerts": alerts.recent(db, hall),
        "calls": snapshots.recent_calls(db, hall),
        "cases": {"open": len(open_cases),
                  "overdue": sum(1 for c in open_cases if case_flows.is_overdue(c, local_today)),
                  "month": case_flows.rates(month_cases, local_today).as_dict()},
        "devices": devices.device_status(core, hall.code),
    }


def dashboard(core: Core, *, hall: str, actor: Principal, below: bool = False,
              scan: bool = True) -> dict[str, Any]:
    """The dashboard of a hall, and with `below` of every hall under it side by side."""
    with core.db.read_session() as db:
        targets = [h.code for h in access.halls_below(db, hall, below=below)]
    if scan:
        for code in targets:
            alerts.scan(core, code)  # alerts as of this moment, logged once
    now = core.clock.now()
    with core.db.read_session() as db:
        views = [hall_view(core, db, halls.get_hall(db, code), now) for code in targets]
    return {"hall": hall, "at": views[0]["at"], "halls": views}


__all__ = ["SAME_WEEKDAYS", "dashboard", "hall_view"]
