"""The counter terminal's view of its window: queue, today's counts, the 空岗 warning."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from server.auth.models import Staff
from server.auth.principal import Principal
from server.core import Core
from server.desk import service as help_desk
from server.errors import Conflict, Forbidden
from server.evaluations.models import BAD_LEVELS, Evaluation
from server.events import schemas
from server.halls import service as halls
from server.halls.cache import HallConfigSnapshot
from server.halls.models import Hall, Service
from server.tickets import notices
from server.tickets import service as tickets
from server.tickets.models import Ticket
from server.windows import service as windows
from server.windows.models import Window

WAITING_SHOWN = 50


def _signed_in(db: Session, hall: str, number: str, actor: Principal) -> tuple[Hall, Window]:
    h = halls.get_hall(db, hall)
    window = halls.get_window(db, h, number)
    if not actor.is_staff or window.staff_id != actor.staff_id:
        raise Forbidden(f"you are not signed in to window {number}")
    return h, window


def _presence(db: Session, actor: Principal) -> str | None:
    """The caller's 去向牌 (焦作 第三十条(五))."""
    staff = db.get(Staff, actor.staff_id) if actor.staff_id else None
    return staff.presence if staff else None


def choices(core: Core, *, hall: str, actor: Principal) -> dict[str, Any]:
    """The windows a staff member may pick (with who works them now) and the services."""
    with core.db.read_session() as db:
        h = halls.get_hall(db, hall)
        return {
            "hall": {"code": h.code, "name": h.name, "name_en": h.name_en},
            "me": {"name": actor.name, "job_no": actor.job_no,
                   "presence": _presence(db, actor)},
            "windows": [{**windows.view(db, h, w).model_dump(), "open": w.open,
                         "mine": w.staff_id == actor.staff_id}
                        for w in halls.list_windows(db, h)],
            "services": [{"code": s.code, "name": s.name, "name_en": s.name_en}
                         for s in halls.list_services(db, h)
                         if s.active],
        }


def desk(core: Core, *, hall: str, window: str, actor: Principal) -> dict[str, Any]:
    """Everything the counter screen shows for a window its caller is signed in to."""
    now = core.clock.now()
    with core.db.read_session() as db:
        h, w = _signed_in(db, hall, window, actor)
        current = db.get(Ticket, w.current_ticket_id) if w.current_ticket_id else None
        if current is not None and current.status not in ("called", "serving"):
            current = None
        rows, total = waiting(db, core.cache.get(db, h), h, w, now)
        return {
            "window": windows.view(db, h, w).model_dump(),
            "ticket": (tickets.view(db, h, current, now, core.cache.get(db, h)).model_dump()
                       if current else None),
            "note": current.note if current else "",
            # Where the ticket has been (transfers, re-queues) and, for a 补正告知, the
            # materials its service needs (焦作 第三十八条).
            "history": help_desk.history(db, h, current.id) if current else [],
            "materials": notices.materials_of(db, current.service_id) if current else [],
            "waiting": rows, "waiting_total": total,
            "today": _today(db, h, w),
            "alarm": _alarm(h, w, now),
            "at": tickets.iso(h, now),
        }


def waiting(db: Session, snap: HallConfigSnapshot, hall: Hall, window: Window,
            now: datetime) -> tuple[list[schemas.WaitingRow], int]:
    """The tickets this window would call, best first (the first `WAITING_SHOWN`), and how
    many there are: the rows of the desk view and of the counter stream's `waiting`."""
    shown, total = tickets.window_top(db, snap, hall, window.id, now, WAITING_SHOWN)
    out: list[schemas.WaitingRow] = []
    for t in shown:
        s = snap.services.get(t.service_id)
        out.append({
            "ticket": t.number, "ticket_id": t.id, "service": s.code if s else "",
            "service_name": s.name if s else "", "priority": t.priority,
            "issued_at": tickets.iso(hall, t.issued_at),
            "waited_s": max(0, int((now - t.issued_at).total_seconds())),
            "transferred": t.transfers > 0, "transferred_here": t.target_window_id == window.id,
            "note": t.note,
        })
    return out, total


def _today(db: Session, hall: Hall, window: Window) -> dict[str, Any]:
    """Today's counts at this window: served, no-shows, average handling time, ratings."""
    rows = db.scalars(select(Ticket).where(
        Ticket.hall_id == hall.id, Ticket.business_day == hall.business_day,
        Ticket.window_id == window.id, Ticket.status.in_(("done", "no_show")))).all()
    done = [t for t in rows if t.status == "done"]
    spans = [(t.finished_at - t.started_at).total_seconds() for t in done
             if t.finished_at and t.started_at]
    levels = db.scalars(select(Evaluation.level).join(Ticket, Ticket.id == Evaluation.ticket_id)
                        .where(Evaluation.window_id == window.id, Evaluation.voided.is_(False),
                               Ticket.business_day == hall.business_day)).all()
    return {
        "served": len(done), "no_show": len(rows) - len(done),
        "avg_handle_s": round(sum(spans) / len(spans)) if spans else None,
        "ratings": {"count": len(levels),
                    "average": round(sum(levels) / len(levels), 2) if levels else None,
                    "bad": sum(1 for v in levels if v in BAD_LEVELS)},
    }


def _alarm(hall: Hall, window: Window, now: datetime) -> dict[str, Any]:
    """The 空岗 warning: paused (or empty) longer than the hall allows (焦作 第四十二条)."""
    threshold = halls.rules_of(hall).empty_window_alarm_min
    since = window.paused_at if window.paused_reason else (
        window.empty_since if window.staff_id is None else None)
    minutes = int((now - since).total_seconds() // 60) if since else 0
    return {"state": "paused" if window.paused_reason else (
                "empty" if window.staff_id is None else "staffed"),
            "since": tickets.iso(hall, since), "minutes": minutes,
            "threshold_min": threshold, "alarm": since is not None and minutes >= threshold}


def invite_rating(core: Core, *, hall: str, window: str, actor: Principal) -> dict[str, Any]:
    """Send the window's evaluator its prompt for the current (or just finished) ticket."""
    with core.db.read_session() as db:
        h, w = _signed_in(db, hall, window, actor)
        ticket = db.get(Ticket, w.current_ticket_id) if w.current_ticket_id else None
        if ticket is None or ticket.status not in ("called", "serving"):
            ticket = db.scalar(select(Ticket).where(
                Ticket.hall_id == h.id, Ticket.window_id == w.id, Ticket.status == "done",
                Ticket.business_day == h.business_day,
            ).order_by(Ticket.finished_at.desc()).limit(1))
        if ticket is None:
            raise Conflict("no ticket to rate at this window", code="no_ticket_to_rate")
        service = db.get(Service, ticket.service_id)
        event = schemas.evaluate(ticket_id=ticket.id, ticket=ticket.number,
                                 service=service.code if service else None, window=w.number,
                                 staff_name=actor.name, staff_no=actor.job_no)
    core.bus.publish(hall, event)
    return {"sent": True, "ticket": event["ticket"], "ticket_id": event["ticket_id"]}
