"""Four weeks of past days for the demo hall, so `hallq plan` and the reports have history.

A new demo has only today: the staffing planner learns arrival rates and handling times
from the weeks before, and a month's report of an empty month says little. The days are
made once (skipped when the hall already has tickets before today), reproducibly (a fixed
seed), on working days 08:30–12:00 and 13:30–17:30 with a morning peak, each ticket
served at a window that serves its service, for about its service's handling time.
"""

from __future__ import annotations

import random
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import insert, select

from server.core import Core
from server.halls import service as halls
from server.halls.models import Hall, Service
from server.tickets.models import OUTCOMES, Ticket
from server.windows.models import Window, WindowServing

__all__ = ["seed_history"]

#: Visitors per hour of a weekday, by hour of the day (a hall's usual morning peak).
HOURLY = {8: 16, 9: 36, 10: 40, 11: 28, 13: 20, 14: 28, 15: 28, 16: 20, 17: 6}
OPEN = ((time(8, 30), time(12, 0)), (time(13, 30), time(17, 30)))


def _eligible(db_windows: list[Window], serving: list[WindowServing],
              service: Service) -> list[Window]:
    ids = {s.window_id for s in serving
           if s.primary and (s.service_id == service.id
                             or (s.domain_id is not None and s.domain_id == service.domain_id))}
    # 综合受理 (kind any) windows take every service; the others, what they serve.
    chosen = [w for w in db_windows if w.id in ids or w.kind == "any"]
    return chosen or db_windows


def _open_at(moment: time) -> bool:
    return any(start <= moment < end for start, end in OPEN)


def seed_history(core: Core, *, hall: str = "demo", weeks: int = 4, seed: int = 7) -> int:
    """Add `weeks` weeks of served tickets before today, once; returns how many were added."""
    rng = random.Random(seed)
    with core.db.begin() as db:
        h: Hall = halls.get_hall(db, hall)
        today = halls.local_day(h, core.clock.now())
        since = today - timedelta(weeks=weeks)
        if db.scalar(select(Ticket.id).where(Ticket.hall_id == h.id,
                                             Ticket.business_day < today).limit(1)):
            return 0
        services = [s for s in halls.list_services(db, h) if s.active]
        windows = list(halls.list_windows(db, h))
        serving = list(db.scalars(select(WindowServing).where(
            WindowServing.window_id.in_([w.id for w in windows]))))
        if not services or not windows:
            return 0
        eligible = {s.id: _eligible(windows, serving, s) for s in services}
        weights = [max(1, 900 // max(60, s.avg_handle_s)) for s in services]
        added = 0
        rows: list[dict[str, Any]] = []
        day = since
        while day < today:
            scale = {5: 0.4, 6: 0.0}.get(day.weekday(), 1.0)
            busy_until: dict[int, datetime] = {}
            numbers: dict[str, int] = {}
            arrivals: list[datetime] = []
            for hour, per_hour in HOURLY.items():
                for _ in range(round(per_hour * scale * rng.uniform(0.8, 1.2))):
                    moment = time(hour, rng.randrange(60), rng.randrange(60))
                    if _open_at(moment):
                        arrivals.append(_utc(h, day, moment))
            for issued in sorted(arrivals):
                service = rng.choices(services, weights)[0]
                window = min(eligible[service.id],
                             key=lambda w: busy_until.get(w.id, issued))
                called = max(issued + timedelta(seconds=20), busy_until.get(window.id, issued))
                handle = max(60.0, rng.gauss(service.avg_handle_s, service.avg_handle_s / 4))
                finished = called + timedelta(seconds=handle)
                busy_until[window.id] = finished + timedelta(seconds=15)
                numbers[service.prefix] = numbers.get(service.prefix, 0) + 1
                number = f"{service.prefix}{numbers[service.prefix]:03d}"
                no_show = rng.random() < 0.04
                outcome = rng.choices(OUTCOMES, (80, 8, 6, 2, 4))[0]
                rows.append({
                    "id": f"h{day:%Y%m%d}{added:06d}", "hall_id": h.id,
                    "service_id": service.id, "number": number, "business_day": day,
                    "issued_at": issued, "queued_at": issued, "window_id": window.id,
                    "called_at": called,
                    "started_at": None if no_show else called + timedelta(seconds=30),
                    "finished_at": called + timedelta(seconds=90) if no_show else finished,
                    "status": "no_show" if no_show else "done",
                    "outcome": None if no_show else outcome})
                added += 1
            day += timedelta(days=1)
        if rows:
            db.execute(insert(Ticket), rows)
    return added


def _utc(hall: Hall, day: date, moment: time) -> datetime:
    """A wall-clock moment of the hall's day, in UTC."""
    return datetime.combine(day, moment, ZoneInfo(hall.timezone)).astimezone(UTC)
