"""Ticket flows: issue, appointment check-in, requeue of a returning no-show, cancel.

Each flow owns its transaction and publishes its events after the commit.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import func, insert, select
from sqlalchemy.orm import Session

from server.appointments import flows as booking_flows
from server.audit import service as audit
from server.auth.principal import Principal
from server.auth.security import new_ticket_id, pii_digest
from server.core import Core
from server.errors import Conflict, NotFound, Refused
from server.events import schemas
from server.halls import hours as hall_hours
from server.halls import service as halls
from server.halls.cache import HallConfigSnapshot, ServiceEntry
from server.halls.day import open_hall
from server.halls.models import Hall
from server.prepared import Prepared
from server.tickets import engine, picture
from server.tickets import service as tickets
from server.tickets.models import GREEN_CATEGORIES, STATUSES, Appointment, Ticket
from server.tickets.rows import TicketRow
from server.tickets.schemas import AppointmentCreate, AppointmentRead, TicketRead
from server.windows.models import Window

# Built once (a statement object memoizes its cache key), run on the connection.
# The ticket's INSERT, run on the driver's cursor (server.prepared): the ORM's unit of work,
# and even Core's execution, cost more than the rest of the flow.
_INSERT = Prepared(insert(tickets.TICKETS), keys=(
    "id", "hall_id", "service_id", "number", "business_day", "priority", "channel", "status",
    "issued_at", "queued_at", "id_hash", "issued_by_staff_id", "green_category",
    "appointment_id", "slot_start", "slot_end", "recalls", "transfers", "requeues", "note"))
_UNSET = dict.fromkeys(TicketRow.columns)

_REFUSALS = {
    "closed_day": "the hall is closed today",
    "closed_hours": "the hall is closed now",
    "closing_soon": "tickets are no longer issued before closing time",
}


def issue(
    core: Core, *, hall: str, service: str, priority: str = "normal", channel: str = "kiosk",
    actor: Principal, id_number: str | None = None, green_reason: str | None = None,
    appointment: Appointment | None = None, db: Session | None = None,
    id_hash: str | None = None,
) -> TicketRead:
    """Issue a ticket: check hours, the service and the daily limit, then take a number.

    `id_hash` is an ID number already hashed (a card read by an ID-card reader).
    """
    if db is not None:
        return _issue(core, db, hall, service, priority, channel, actor, id_number,
                      green_reason, appointment, id_hash=id_hash)
    with core.db.begin() as session:
        result = _issue(core, session, hall, service, priority, channel, actor, id_number,
                        green_reason, appointment, id_hash=id_hash)
    publish_issued(core, result)
    return result


def _issue(
    core: Core, db: Session, hall_code: str, service_code: str, priority: str, channel: str,
    actor: Principal, id_number: str | None, green_reason: str | None,
    appointment: Appointment | None, *, id_hash: str | None = None, check_hours: bool = True,
) -> TicketRead:
    now = core.clock.now()
    hall = open_hall(db, hall_code, now)
    snap = core.cache.get(db, hall)
    service = issuable(snap, hall, service_code, now, check_hours=check_hours)
    id_hash = _check_daily_limit(core, db, hall, id_number, snap.rules.daily_limit_per_person,
                                 snap.rules.require_id_number, id_hash)
    seq = tickets.next_number(db, hall_id=hall.id, day=hall.business_day or now.date(),
                              prefix=service.prefix)
    row = ticket_row(hall, service, now, priority=priority, channel=channel, actor=actor,
                     number=tickets.format_number(service.prefix, seq), id_hash=id_hash,
                     green_reason=green_reason, appointment=appointment)
    _INSERT.execute(db, row)  # the flow never changes the row again
    audit.record(db, hall_id=hall.id, action="issue", at=now, ticket_id=row["id"],
                 **issue_audit(actor, channel, priority, green_reason))
    return issued_view(db, hall, row, now, snap)


def issuable(snap: HallConfigSnapshot, hall: Hall, service_code: str, now: datetime, *,
             check_hours: bool = True) -> ServiceEntry:
    """The service a ticket is asked for, if the hall issues it now; else Refused (or
    NotFound for an unknown service)."""
    service = snap.service(service_code)
    if not service.active:
        raise Refused(f"service {service.code} is closed", code="service_closed")
    refusal = hall_hours.issuing_refusal(
        snap.hours, halls.local_time(hall, now), snap.rules.issue_cutoff_min
    ) if check_hours else None
    if refusal is not None:
        raise Refused(_REFUSALS[refusal], code=refusal)
    return service


def ticket_row(
    hall: Hall, service: ServiceEntry, now: datetime, *, priority: str, channel: str,
    actor: Principal, number: str | None, id_hash: str | None = None,
    green_reason: str | None = None, appointment: Appointment | None = None,
) -> dict[str, Any]:
    """A new waiting ticket's columns (`number` None where the statement formats it)."""
    return {
        "id": new_ticket_id(), "hall_id": hall.id, "service_id": service.id,
        "number": number, "business_day": hall.business_day, "priority": priority,
        "channel": channel, "status": "waiting", "issued_at": now, "queued_at": now,
        "id_hash": id_hash, "issued_by_staff_id": actor.staff_id,
        "green_category": (green_reason if green_reason in GREEN_CATEGORIES else "other")
        if priority == "green" else None,
        "appointment_id": appointment.id if appointment else None,
        "slot_start": appointment.slot_start if appointment else None,
        "slot_end": appointment.slot_end if appointment else None,
        "recalls": 0, "transfers": 0, "requeues": 0, "note": "",
    }


def issue_audit(actor: Principal, channel: str, priority: str,
                green_reason: str | None) -> dict[str, Any]:
    """The audit entry's fields of an issue, besides the hall, time and ticket."""
    return {**actor.audit(), "channel": channel, "priority": priority,
            "green_reason": green_reason}


def issued_view(db: Session, hall: Hall, row: dict[str, Any], now: datetime,
                snap: HallConfigSnapshot) -> TicketRead:
    """The new ticket noted in the hall's picture (applied at the commit), as its holder
    sees it."""
    ticket = TicketRow({**_UNSET, **row})  # only for the view
    picture.note_waiting(db, hall, tickets.queued(ticket), 0)
    return tickets.view(db, hall, ticket, now, snap)


def _check_daily_limit(
    core: Core, db: Session, hall: Hall, id_number: str | None, limit: int, required: bool,
    id_hash: str | None = None,
) -> str | None:
    """Hash the ID number (never stored in clear, PIPL) and apply the daily limit."""
    if not id_number and not id_hash:
        if required:
            raise Refused("this hall asks for an ID number to take a ticket", code="id_required")
        return None
    digest = id_hash or pii_digest(id_number or "", core.settings.pepper)
    if limit:
        taken = db.scalar(select(func.count()).select_from(Ticket).where(
            Ticket.hall_id == hall.id, Ticket.business_day == hall.business_day,
            Ticket.id_hash == digest, Ticket.status != "cancelled"))
        if (taken or 0) >= limit:
            raise Refused(f"the daily limit of {limit} tickets per person is reached",
                          code="daily_limit")
    return digest


def publish_issued(core: Core, ticket: TicketRead) -> None:
    """Tell the screens and counters that a ticket joined the queue (after the commit)."""
    core.bus.publish(ticket.hall, schemas.ticket_issued(ticket))
    publish_queue(core, ticket.hall)


def queue_event(core: Core, db: Session, hall: Hall) -> schemas.QueueEvent:
    """The waiting count of every service of a hall, as a `queue` event (from the database)."""
    stats = tickets.waiting_stats(db, hall)
    snap = core.cache.get(db, hall)
    return schemas.queue(
        {s.code: stats.get(s.id, (0, None))[0] for s in snap.services.values()})


def publish_queue(core: Core, hall_code: str, *, from_db: bool = False) -> None:
    """Publish the waiting count of every service of a hall, after a flow's commit.

    Counted from the hall's picture in memory when it is held (the flow that just ran
    loaded it and its configuration); from the database otherwise, or with `from_db`
    (the hall's configuration itself just changed).
    """
    pic = None if from_db else core.pictures.held_code(hall_code)
    snap = core.cache.peek(pic.hall_id) if pic is not None else None
    if pic is not None and snap is not None:
        counts = pic.counts()
        event = schemas.queue({s.code: counts.get(s.id, 0) for s in snap.services.values()})
    else:
        with core.db.read_session() as db:
            event = queue_event(core, db, halls.get_hall(db, hall_code))
    core.bus.publish(hall_code, event)


def get(core: Core, *, ticket_id: str) -> TicketRead:
    """A ticket by its unguessable id."""
    with core.db.read_session() as db:
        ticket = db.get(Ticket, ticket_id)
        if ticket is None:
            raise NotFound("no such ticket", code="unknown_ticket")
        hall = db.get(Hall, ticket.hall_id)
        assert hall is not None
        return tickets.view(db, hall, ticket, core.clock.now(), core.cache.get(db, hall))


def create_appointment(
    core: Core, *, hall: str, body: AppointmentCreate, actor: Principal
) -> AppointmentRead:
    """Record a booking made at the hall, checked like any booking (`appointments.flows`)."""
    return booking_flows.book(
        core, hall=hall, service=body.service, slot_start=body.slot_start,
        slot_end=body.slot_end, code=body.code, id_number=body.id_number, phone=body.phone,
        source="operator" if actor.has("operator", "admin") else "desk", actor=actor)


def check_in(
    core: Core, *, hall: str, code: str, actor: Principal, id_hash: str | None = None
) -> TicketRead:
    """Check in a booking at the kiosk: it becomes an appointment-priority ticket.

    With `id_hash` (the holder's ID card was read) the daily limit applies to it too.

    A booking checked in after its slot (and the grace period) is served as a walk-in:
    邵阳 第三十三条 forbids making the online booking a precondition, so nobody is sent away.
    """
    now = core.clock.now()
    with core.db.begin() as db:
        h = open_hall(db, hall, now)
        appt = db.scalar(select(Appointment).where(
            Appointment.hall_id == h.id, Appointment.code == code.strip()).with_for_update())
        if appt is None:
            raise NotFound(f"no appointment {code!r}", code="unknown_appointment")
        # A booking marked missed can still be checked in the same day: as a walk-in.
        if appt.status not in ("booked", "missed"):
            raise Conflict(f"appointment {code} is {appt.status}", code="appointment_used")
        snap = core.cache.get(db, h)
        service = snap.services[appt.service_id]
        if halls.local_day(h, appt.slot_start) != h.business_day:
            raise Refused("this appointment is for another day", code="appointment_other_day")
        rules = snap.rank
        late = now > appt.slot_end + timedelta(seconds=rules.appointment_grace_s)
        early = now < appt.slot_start - timedelta(seconds=rules.appointment_early_s)
        # A booking was checked against the hours (and 预约服务 off-hours) when it was made,
        # so in its window it is honoured even near closing; late, it is a walk-in.
        result = _issue(core, db, hall, service.code, "normal" if late else "appointment",
                        "appointment", actor, None, None, None if late else appt,
                        id_hash=id_hash, check_hours=late or early)
        appt.status, appt.ticket_id = "checked_in", result.id
    publish_issued(core, result)
    return result


def requeue(core: Core, *, hall: str, number: str, actor: Principal) -> TicketRead:
    """Put a returning no-show back in the queue behind a few others (过号重排)."""
    now = core.clock.now()
    with core.db.begin() as db:
        h = open_hall(db, hall, now)
        found = tickets.find_by_number(db, h, number)
        if found is None:
            raise NotFound(f"no ticket {number} today", code="unknown_ticket")
        # Claimed atomically, like every path that moves a ticket (see tickets.lock).
        ticket = tickets.lock(db, found.id, "no_show")
        if ticket is None:
            db.refresh(found)
            raise Conflict(f"ticket {found.number} is {found.status}, not a no-show")
        snap = core.cache.get(db, h)
        rules = snap.rules
        pic = tickets.picture(db, h)
        places = (pic.places(ticket.service_id) if pic is not None else sorted(
            t.queued_at for t in
            tickets.waiting_queue(db, hall_id=h.id, service_ids=[ticket.service_id])))
        ticket.queued_at = engine.requeue_place(places, rules.requeue_after, now)
        ticket.status, ticket.window_id, ticket.staff_id = "waiting", None, None
        ticket.called_at, ticket.recalls = None, 0
        ticket.requeues += 1
        picture.note_waiting(db, h, tickets.queued(ticket), picture.generation(ticket))
        audit.record(db, hall_id=h.id, action="requeue", at=now, ticket_id=ticket.id,
                     **actor.audit())
        result = tickets.view(db, h, ticket, now, snap)
    publish_ticket(core, result)
    publish_queue(core, hall)
    return result


def reissue(core: Core, *, hall: str, ticket_id: str, service: str | None,
            actor: Principal) -> TicketRead:
    """A new ticket in place of an old one, in one transaction (the help desk's 补号).

    The old ticket is locked first: one at a window now is refused (409), a waiting or
    no-show one is cancelled, so a window calling it at the same instant either has it
    (and this is refused) or finds it cancelled. The new ticket keeps its priority.
    """
    now = core.clock.now()
    with core.db.begin() as db:
        h = open_hall(db, hall, now)
        found = db.get(Ticket, ticket_id)
        if found is None or found.hall_id != h.id:
            raise NotFound("no such ticket in this hall", code="unknown_ticket")
        old = tickets.lock(db, found.id, *STATUSES)  # any status: serialise
        assert old is not None
        if old.status in ("called", "serving"):
            raise Conflict(f"ticket {old.number} is at a window now", code="ticket_in_hand")
        snap = core.cache.get(db, h)
        code = service or snap.services[old.service_id].code
        priority = old.priority if old.priority != "appointment" else "normal"
        cancelled, still_open = None, old.status in ("waiting", "no_show")
        if still_open:
            old.status, old.close_reason, old.finished_at = "cancelled", "reissued", now
            picture.note_gone(db, h, old)
        # The 绿色通道 category goes with the priority to the new ticket.
        result = _issue(core, db, hall, code, priority, "desk", actor, None,
                        old.green_category, None)
        if still_open:
            audit.record(db, hall_id=h.id, action="cancel", at=now, ticket_id=old.id,
                         **actor.audit(), reason="reissued", new_ticket_number=result.number)
            cancelled = tickets.view(db, h, old, now, snap)
        audit.record(db, hall_id=h.id, action="reissue", at=now, ticket_id=result.id,
                     **actor.audit(), old_ticket=ticket_id, old_ticket_number=old.number)
    if cancelled is not None:
        publish_ticket(core, cancelled)
    publish_issued(core, result)
    return result


def cancel(core: Core, *, hall: str, ticket_id: str, reason: str, actor: Principal) -> TicketRead:
    """Cancel a waiting or called ticket with a reason (help desk, operator)."""
    now = core.clock.now()
    with core.db.begin() as db:
        h = open_hall(db, hall, now)
        found = db.get(Ticket, ticket_id)
        if found is None or found.hall_id != h.id:
            raise NotFound("no such ticket in this hall", code="unknown_ticket")
        # Locks in the counter flows' order, the window before its ticket, or a window
        # recalling this ticket and this cancel would each wait for the other.
        holder = found.window_id if found.status in ("called", "serving") else None
        if holder is not None:
            db.scalar(select(Window.id).where(Window.id == holder).with_for_update())
        ticket = tickets.lock(db, found.id, "waiting", "called", "no_show")
        if ticket is None:
            db.refresh(found)
            raise Conflict(f"ticket {found.number} is {found.status}")
        if ticket.status == "called" and ticket.window_id != holder:
            raise Conflict(f"ticket {ticket.number} was just called; try again",
                           code="just_called")
        ticket.status, ticket.close_reason, ticket.finished_at = "cancelled", reason, now
        picture.note_gone(db, h, ticket)
        _release_windows(db, ticket)
        audit.record(db, hall_id=h.id, action="cancel", at=now, ticket_id=ticket.id,
                     **actor.audit(), reason=reason)
        result = tickets.view(db, h, ticket, now, core.cache.get(db, h))
    publish_ticket(core, result)
    publish_queue(core, hall)
    return result


def _release_windows(db: Session, ticket: Ticket) -> None:
    for window in db.scalars(select(Window).where(Window.current_ticket_id == ticket.id)):
        window.current_ticket_id = None


def publish_ticket(core: Core, ticket: TicketRead) -> None:
    """Tell the ticket page and the counters that a ticket changed."""
    core.bus.publish(ticket.hall, schemas.ticket(ticket))
