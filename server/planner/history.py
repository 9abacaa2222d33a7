"""What the planner learns from a hall's own history: arrivals by hour, handling times."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from server.halls import service as halls
from server.halls.hours import HallHours, periods_on
from server.halls.models import Hall
from server.tickets.models import Ticket


@dataclass(frozen=True)
class History:
    """Mean arrivals per open minute by (hour, service code) and mean handling seconds."""

    days: list[date]
    rate_per_min: dict[int, dict[str, float]]
    handle_s: dict[str, float]
    samples: dict[str, int]


def open_minutes(hours: HallHours, day: date) -> dict[int, float]:
    """Minutes the hall issues tickets in each local hour of a day."""
    out: dict[int, float] = {}
    for period in periods_on(hours, day):
        start = period.opens.hour * 60 + period.opens.minute
        end = period.closes.hour * 60 + period.closes.minute + (1 if period.closes.second else 0)
        for minute in range(start, end):
            out[minute // 60] = out.get(minute // 60, 0) + 1
    return out


def _aware(when: datetime) -> datetime:
    return when if when.tzinfo is not None else when.replace(tzinfo=UTC)


def learn(db: Session, hall: Hall, *, day: date, weeks: int = 4) -> History:
    """Arrival rates and handling times from the `weeks` weeks before `day`.

    Arrivals come from the same weekday when the history has it, else from every day
    the hall worked; handling time is call to finish (the window is busy from the call),
    per service, of tickets served or marked no-show.
    """
    since = day - timedelta(weeks=weeks)
    rows = db.execute(
        select(Ticket.business_day, Ticket.issued_at, Ticket.called_at, Ticket.finished_at,
               Ticket.status, Ticket.service_id)
        .where(Ticket.hall_id == hall.id, Ticket.business_day >= since,
               Ticket.business_day < day)
    ).all()
    codes = {s.id: s.code for s in halls.list_services(db, hall)}
    worked = sorted({r.business_day for r in rows})
    same = [d for d in worked if d.weekday() == day.weekday()]
    days = same or worked
    chosen = set(days)
    hours = halls.hours_of(db, hall)
    counts: dict[int, dict[str, int]] = {}
    minutes: dict[int, float] = {}
    for d in days:
        for hour, m in open_minutes(hours, d).items():
            minutes[hour] = minutes.get(hour, 0) + m
    handle: dict[str, list[float]] = {}
    for r in rows:
        code = codes.get(r.service_id, "?")
        if r.business_day in chosen:
            hour = halls.local_time(hall, _aware(r.issued_at)).hour
            counts.setdefault(hour, {})
            counts[hour][code] = counts[hour].get(code, 0) + 1
        if r.status in ("done", "no_show") and r.called_at and r.finished_at:
            span = (_aware(r.finished_at) - _aware(r.called_at)).total_seconds()
            if span > 0:
                handle.setdefault(code, []).append(span)
    rate = {h: {code: n / minutes[h] for code, n in per.items()}
            for h, per in counts.items() if minutes.get(h)}
    defaults = {s.code: s.avg_handle_s for s in halls.list_services(db, hall)}
    handle_s = {code: (sum(v) / len(v) if (v := handle.get(code)) else float(defaults[code]))
                for code in defaults}
    return History(days=days, rate_per_min=rate, handle_s=handle_s,
                   samples={k: len(v) for k, v in handle.items()})
