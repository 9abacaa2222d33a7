"""What a screen, counter or ticket page is sent on connect (blocking; run off the loop)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from server.core import Core
from server.counter import service as counter
from server.events import schemas
from server.halls import flows as hall_flows
from server.halls import service as halls
from server.halls.models import Hall, Service
from server.tickets import flows as ticket_flows
from server.tickets import service as tickets
from server.tickets.models import Ticket
from server.windows.models import Window

RECENT_CALLS = 10


def hall_snapshot(core: Core, *, hall: str) -> schemas.HallSnapshot:
    """Every window, waiting per service, the last calls and the hall's texts."""
    live = hall_flows.queue(core, hall=hall)
    waiting = {s["code"]: s for s in live["services"]}
    with core.db.read_session() as db:
        h = halls.get_hall(db, hall)
        domains = halls.domain_codes(db, h)
        services: list[schemas.SnapshotService] = []
        for s in halls.list_services(db, h):
            if not s.active and s.code not in waiting:
                continue
            row = waiting.get(s.code, {})
            services.append({
                "code": s.code, "name": s.name, "name_en": s.name_en, "prefix": s.prefix,
                "domain": domains.get(s.domain_id) if s.domain_id else None,
                "kind": s.kind, "waiting": row.get("waiting", 0),
                "longest_wait_s": row.get("longest_wait_s", 0),
            })
        rules = halls.rules_of(h)
        return {
            "type": "snapshot", "hall": h.code, "hall_name": h.name,
            "hall_name_en": h.name_en, "timezone": h.timezone,
            "scroll_text": h.scroll_text, "at": live["at"], "windows": live["windows"],
            "services": services, "calls": recent_calls(db, h),
            "voice": {"template": rules.voice_template, "repeat": rules.voice_repeat},
        }


def recent_calls(db: Session, hall: Hall, limit: int = RECENT_CALLS) -> list[schemas.CallEvent]:
    """Today's last calls, newest first, as `call` events."""
    rows = db.execute(
        select(Ticket, Window, Service)
        .join(Window, Window.id == Ticket.window_id)
        .join(Service, Service.id == Ticket.service_id)
        .where(Ticket.hall_id == hall.id, Ticket.business_day == hall.business_day,
               Ticket.called_at.is_not(None))
        .order_by(Ticket.called_at.desc()).limit(limit)
    ).all()
    domains = halls.domain_codes(db, hall) if rows else {}
    return [schemas.call(
        ticket=t.number, ticket_id=t.id, window=w.number, window_name=w.name,
        service=s.code, service_name=s.name,
        domain=domains.get(s.domain_id) if s.domain_id else None, priority=t.priority,
        recall=False, status=t.status, at=tickets.iso(hall, t.called_at),
    ) for t, w, s in rows]


def wants_next(core: Core, *, hall: str) -> bool:
    """Whether the hall's screens show each window's next ticket (rule screen_next_ticket)."""
    with core.db.read_session() as db:
        return halls.rules_of(halls.get_hall(db, hall)).screen_next_ticket


def next_tickets(core: Core, *, hall: str,
                 window: str | None = None) -> schemas.NextMessage:
    """The ticket each staffed window would call next ("请 A002 号准备"), or None."""
    now = core.clock.now()
    with core.db.read_session() as db:
        h = halls.get_hall(db, hall)
        snap = core.cache.get(db, h)
        query = select(Window).where(Window.hall_id == h.id, Window.open.is_(True),
                                     Window.staff_id.is_not(None))
        if window is not None:
            query = query.where(Window.number == window)
        out: dict[str, str | None] = {}
        for w in db.scalars(query):
            if w.id not in snap.scopes:
                continue
            out[w.number] = tickets.window_next(db, snap, h, w.id, now)
    return schemas.next_tickets(out)


def window_view(snapshot: Mapping[str, Any], window: str) -> dict[str, Any] | None:
    """A hall snapshot cut down to one window's screen (None: no such window)."""
    rows = [w for w in snapshot["windows"] if w["number"] == window]
    if not rows:
        return None
    return {**snapshot, "window": window, "windows": rows,
            "calls": [c for c in snapshot["calls"] if c["window"] == window]}


def counter_waiting(core: Core, *, hall: str, window: str) -> schemas.WaitingMessage:
    """The tickets this window would call, best first (the counter terminal's list)."""
    now = core.clock.now()
    with core.db.read_session() as db:
        h = halls.get_hall(db, hall)
        w = halls.get_window(db, h, window)
        rows, count = counter.waiting(db, core.cache.get(db, h), h, w, now)
    return schemas.waiting(window=window, count=count, tickets=rows)


def counter_snapshot(core: Core, *, hall: str, window: str) -> schemas.CounterSnapshot:
    """The window's state and its waiting list."""
    live = hall_flows.queue(core, hall=hall)
    rows = [w for w in live["windows"] if w["number"] == window]
    waiting = counter_waiting(core, hall=hall, window=window)
    return {"type": "snapshot", "hall": hall, "window": rows[0] if rows else None,
            "waiting": waiting, "services": live["services"]}


def ticket_view(core: Core, *, ticket_id: str) -> dict[str, Any]:
    """A ticket as its holder sees it (raises NotFound)."""
    return ticket_flows.get(core, ticket_id=ticket_id).model_dump()
