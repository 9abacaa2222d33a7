"""When a notice is due: a ticket's `ahead` reaching its N, and its call.

Triggered by the flows' events (the bus) and by a periodic sweep, so a notice missed while
the core restarted is still queued; never for a ticket already called (the "N ahead"
notice) or already at the window or done (any notice).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from server.core import Core
from server.halls import service as halls
from server.halls.models import Hall
from server.notices.models import NoticeMessage, PhoneTicket
from server.tickets import engine
from server.tickets import service as tickets
from server.tickets.models import Ticket

CLOSED = ("done", "cancelled")


def decide(status: str, ahead: int | None, threshold: int, *, near_queued: bool,
           called_queued: bool) -> list[str]:
    """The notices to queue now for one ticket (pure)."""
    due: list[str] = []
    if status == "waiting" and ahead is not None and ahead <= threshold and not near_queued:
        due.append("near")
    if status == "called" and not called_queued:
        due.append("called")
    return due


@dataclass(frozen=True)
class Due:
    """One notice to queue."""

    phone_ticket_id: int
    ticket_id: str
    kind: str
    channel: str
    ahead: int | None
    window: str | None


def due_in_hall(core: Core, db: Session, hall: Hall, now: datetime) -> list[Due]:
    """Every notice due in a hall now (reads only)."""
    rows = db.execute(
        select(PhoneTicket, Ticket).join(Ticket, Ticket.id == PhoneTicket.ticket_id).where(
            PhoneTicket.hall_id == hall.id, PhoneTicket.channel != "none",
            PhoneTicket.contact_sealed.is_not(None), PhoneTicket.called_queued_at.is_(None),
            Ticket.status.in_(("waiting", "called")))
    ).all()
    if not rows:
        return []
    snap = core.cache.get(db, hall)
    services = {t.service_id for _, t in rows if t.status == "waiting"}
    queues = {sid: tickets.waiting_queue(db, hall_id=hall.id, service_ids=[sid])
              for sid in services}
    out: list[Due] = []
    for phone, ticket in rows:
        ahead = None
        if ticket.status == "waiting":
            ahead = engine.ahead_of(tickets.queued(ticket), queues[ticket.service_id], now,
                                    snap.rank)
        window = snap.windows.get(ticket.window_id) if ticket.window_id else None
        for kind in decide(ticket.status, ahead, phone.notify_ahead,
                           near_queued=phone.near_queued_at is not None,
                           called_queued=phone.called_queued_at is not None):
            out.append(Due(phone.id, ticket.id, kind, phone.channel,
                           ahead if kind == "near" else None,
                           window.number if window else None))
    return out


def queue_notices(core: Core, *, hall_id: int) -> int:
    """Queue the notices due in one hall in its outbox; how many were queued."""
    now = core.clock.now()
    with core.db.read_session() as db:
        hall = db.get(Hall, hall_id)
        if hall is None:
            return 0
        due = due_in_hall(core, db, hall, now)
    if not due:
        return 0

    def queue() -> int:  # on the writer; the reads above are not
        with core.db.begin() as db:
            insert = pg_insert if db.get_bind().dialect.name == "postgresql" else sqlite_insert
            queued = 0
            for d in due:
                # Unique per ticket and kind: two core processes seeing the same event queue
                # the notice once.
                result = db.execute(insert(NoticeMessage).values(
                    hall_id=hall_id, phone_ticket_id=d.phone_ticket_id, ticket_id=d.ticket_id,
                    kind=d.kind, channel=d.channel, ahead=d.ahead, window=d.window,
                    status="pending", attempts=0, next_attempt_at=now, created_at=now,
                    last_error="", provider_id="",
                ).on_conflict_do_nothing(index_elements=["phone_ticket_id", "kind"]))
                queued += int(getattr(result, "rowcount", 0) or 0)
                column = (PhoneTicket.near_queued_at if d.kind == "near"
                          else PhoneTicket.called_queued_at)
                db.execute(update(PhoneTicket).where(PhoneTicket.id == d.phone_ticket_id,
                                                     column.is_(None)).values({column: now}))
        return queued

    return core.db.write(queue)


def active_halls(core: Core) -> list[int]:
    """Halls with a notice contact still kept (the sweep's work list)."""
    with core.db.read_session() as db:
        return list(db.scalars(select(PhoneTicket.hall_id).where(
            PhoneTicket.contact_sealed.is_not(None)).distinct()))


def erase(core: Core) -> int:
    """PIPL erasure: a contact once its ticket is closed, all of a day once it is over."""
    now = core.clock.now()
    with core.db.read_session() as db:
        work = [hall_id for hall_id in db.scalars(select(PhoneTicket.hall_id).where(
            PhoneTicket.erased_at.is_(None)).distinct()) if _erasable(db, hall_id, now)]
    if not work:
        return 0

    def erase_work() -> int:  # on the writer; the reads above are not
        erased = 0
        with core.db.begin() as db:
            for hall_id in work:
                hall = db.get(Hall, hall_id)
                if hall is None:
                    continue
                today = halls.local_day(hall, now)
                over = db.execute(update(PhoneTicket).where(
                    PhoneTicket.hall_id == hall_id, PhoneTicket.erased_at.is_(None),
                    PhoneTicket.business_day < today,
                ).values(contact_sealed=None, phone_hash=None, erased_at=now)
                    .execution_options(synchronize_session=False))
                erased += int(getattr(over, "rowcount", 0) or 0)
                closed_ids = select(Ticket.id).where(Ticket.hall_id == hall_id,
                                                     Ticket.status.in_(CLOSED))
                db.execute(update(PhoneTicket).where(
                    PhoneTicket.hall_id == hall_id, PhoneTicket.contact_sealed.is_not(None),
                    PhoneTicket.ticket_id.in_(closed_ids),
                ).values(contact_sealed=None).execution_options(synchronize_session=False))
        return erased

    return core.db.write(erase_work)


def _erasable(db: Session, hall_id: int, now: datetime) -> bool:
    """True when a hall keeps a contact of a closed ticket or data of a past day."""
    hall = db.get(Hall, hall_id)
    if hall is None:
        return False
    past = db.scalar(select(PhoneTicket.id).where(
        PhoneTicket.hall_id == hall_id, PhoneTicket.erased_at.is_(None),
        PhoneTicket.business_day < halls.local_day(hall, now)).limit(1))
    closed = db.scalar(select(PhoneTicket.id).join(Ticket, Ticket.id == PhoneTicket.ticket_id)
                       .where(PhoneTicket.hall_id == hall_id,
                              PhoneTicket.contact_sealed.is_not(None),
                              Ticket.status.in_(CLOSED)).limit(1))
    return past is not None or closed is not None
