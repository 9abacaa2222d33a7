"""Help-desk reads: the desk's overview, a ticket by number with its history, bookings."""

from __future__ import annotations

from typing import Any

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from server.audit.models import AuditEntry
from server.auth.models import Staff
from server.auth.principal import Principal
from server.auth.security import pii_digest
from server.core import Core
from server.errors import Invalid, NotFound
from server.halls import service as halls
from server.halls.models import Hall, Service
from server.tickets import service as tickets
from server.tickets.models import GREEN_CATEGORIES, Appointment, Ticket

__all__ = ["appointments", "guide", "hall_for", "history", "lookup", "overview"]

# What a ticket's history shows; sign-ins and the like are the window's, not the ticket's.
HISTORY_ACTIONS = ("issue", "call", "call_specific", "recall", "no_show", "start", "finish",
                   "transfer", "requeue", "cancel", "reissue")


def hall_for(db: Session, hall: str) -> Hall:
    """The hall the caller was admitted to (by `server.auth.access.DeskInHall`)."""
    return halls.get_hall(db, hall)


def overview(core: Core, *, hall: str, actor: Principal) -> dict[str, Any]:
    """What the desk page needs: the hall, its services with their materials, categories."""
    with core.db.read_session() as db:
        h = hall_for(db, hall)
        snap = core.cache.get(db, h)
        counts = tickets.waiting_counts(db, h)
        services = db.scalars(select(Service).where(Service.hall_id == h.id, Service.active)
                              .order_by(Service.sort, Service.code)).all()
        return {
            "hall": {"code": h.code, "name": h.name},
            "me": {"name": actor.name, "job_no": actor.job_no},
            "services": [{"code": s.code, "name": s.name, "prefix": s.prefix,
                          "domain": snap.services[s.id].domain if s.id in snap.services
                          else None,
                          "materials": list(s.materials or []),
                          "waiting": counts.get(s.id, 0)} for s in services],
            "green_categories": list(GREEN_CATEGORIES),
        }


def lookup(core: Core, *, hall: str, number: str, actor: Principal) -> dict[str, Any]:
    """Today's ticket with this number, with its history (calls, transfers, no-shows …)."""
    now = core.clock.now()
    with core.db.read_session() as db:
        h = hall_for(db, hall)
        ticket = tickets.find_by_number(db, h, number.strip())
        if ticket is None:
            raise NotFound(f"no ticket {number.strip().upper()} today", code="unknown_ticket")
        snap = core.cache.get(db, h)
        return {"ticket": tickets.view(db, h, ticket, now, snap).model_dump(),
                "history": history(db, h, ticket.id)}


def history(db: Session, hall: Hall, ticket_id: str) -> list[dict[str, Any]]:
    """A ticket's steps from the audit trail, oldest first, with window and staff names."""
    rows = db.scalars(select(AuditEntry).where(
        AuditEntry.hall_id == hall.id, AuditEntry.ticket_id == ticket_id,
        AuditEntry.action.in_(HISTORY_ACTIONS)).order_by(AuditEntry.at, AuditEntry.id)).all()
    staff_ids = {r.staff_id for r in rows if r.staff_id is not None}
    names = dict(db.execute(select(Staff.id, Staff.name).where(Staff.id.in_(staff_ids))).all()
                 ) if staff_ids else {}
    windows = {w.id: w.number for w in halls.list_windows(db, hall)}
    services = {s.id: s.code for s in halls.list_services(db, hall)}
    out = []
    for r in rows:
        detail = {k: v for k, v in (r.detail or {}).items()
                  if k in ("to_service", "to_window", "note", "reason", "why", "outcome",
                           "channel", "priority", "green_reason", "old_ticket_number",
                           "new_ticket_number")}
        if "from_service" in (r.detail or {}):
            detail["from_service"] = services.get(r.detail["from_service"])
        out.append({"at": tickets.iso(hall, r.at), "action": r.action,
                    "window": windows.get(r.window_id) if r.window_id else None,
                    "staff": names.get(r.staff_id) if r.staff_id else None, **detail})
    return out


def appointments(core: Core, *, hall: str, code: str | None, id_number: str | None,
                 phone: str | None, actor: Principal) -> list[dict[str, Any]]:
    """Today's bookings found by code, ID number or phone (numbers are matched by HMAC)."""
    if not (code or id_number or phone):
        raise Invalid("give a booking code, an ID number or a phone number", code="invalid")
    pepper = core.settings.pepper
    with core.db.read_session() as db:
        h = hall_for(db, hall)
        conds = []
        if code:
            conds.append(Appointment.code == code.strip())
        if id_number:
            conds.append(Appointment.id_hash == pii_digest(id_number.strip(), pepper))
        if phone:
            conds.append(Appointment.phone_hash == pii_digest(phone.strip(), pepper))
        rows = db.scalars(select(Appointment).where(Appointment.hall_id == h.id, or_(*conds))
                          .order_by(Appointment.slot_start)).all()
        snap = core.cache.get(db, h)
        today = halls.local_day(h, core.clock.now())
        out = []
        for a in rows:
            if halls.local_day(h, a.slot_start) != today:
                continue
            service = snap.services.get(a.service_id)
            ticket = db.get(Ticket, a.ticket_id) if a.ticket_id else None
            out.append({"code": a.code, "service": service.code if service else "",
                        "service_name": service.name if service else "",
                        "slot_start": tickets.iso(h, a.slot_start),
                        "slot_end": tickets.iso(h, a.slot_end), "status": a.status,
                        "ticket": ticket.number if ticket else None})
        return out


def guide(core: Core, *, hall: str, service: str, actor: Principal) -> dict[str, Any]:
    """The 办事指南 slip of a service: its name and the materials it needs."""
    with core.db.read_session() as db:
        h = hall_for(db, hall)
        s = halls.get_service(db, h, service)
        materials = [str(m) for m in (s.materials or [])]
        lines = [f"事项：{s.name}（{s.code}）", "所需材料："]
        listed = [f"{i}. {m}" for i, m in enumerate(materials, 1)]
        lines += listed or ["（本事项未列出材料，请咨询窗口）"]
        return {"title": "办事指南", "centre": h.name, "lines": lines, "url": "",
                "footer": "请备齐材料后取号办理", "number": s.code}
