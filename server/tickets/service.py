"""Ticket queries: numbering, the waiting lists, views, and the day's rollover."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from server.halls import service as halls
from server.halls.models import Hall, Service
from server.tickets import engine
from server.tickets.models import OPEN_STATUSES, NumberCounter, Ticket
from server.tickets.schemas import TicketRead
from server.windows.models import Window


def next_number(db: Session, *, hall_id: int, day: date, prefix: str) -> int:
    """Take the next number of a prefix for the day, atomically (no gaps, no duplicates).

    One upsert statement: the counter row is created or incremented under its own row
    lock, and rolled back with the ticket if the issuing transaction fails.
    """
    insert = pg_insert if db.get_bind().dialect.name == "postgresql" else sqlite_insert
    stmt = (
        insert(NumberCounter)
        .values(hall_id=hall_id, business_day=day, prefix=prefix, last=1)
        .on_conflict_do_update(
            index_elements=["hall_id", "business_day", "prefix"],
            set_={"last": NumberCounter.last + 1},
        )
        .returning(NumberCounter.last)
    )
    return int(db.execute(stmt).scalar_one())


def format_number(prefix: str, seq: int) -> str:
    """A001 … A999, then A1000."""
    return f"{prefix}{seq:03d}"


def queued(ticket: Ticket) -> engine.QueuedTicket:
    """The engine's view of a ticket."""
    return engine.QueuedTicket(
        id=ticket.id, number=ticket.number, service_id=ticket.service_id,
        priority=ticket.priority, issued_at=ticket.issued_at, queued_at=ticket.queued_at,
        slot_start=ticket.slot_start, slot_end=ticket.slot_end,
        target_window_id=ticket.target_window_id,
    )


def waiting(
    db: Session, *, hall_id: int, service_ids: Iterable[int] | None = None,
    window_id: int | None = None,
) -> Sequence[Ticket]:
    """Waiting tickets of a hall, of some services and/or transferred to one window."""
    query = select(Ticket).where(Ticket.hall_id == hall_id, Ticket.status == "waiting")
    if service_ids is not None:
        ids = list(service_ids)
        cond = Ticket.service_id.in_(ids) & Ticket.target_window_id.is_(None)
        if window_id is not None:
            cond = cond | (Ticket.target_window_id == window_id)
        query = query.where(cond)
    return db.scalars(query.order_by(Ticket.queued_at)).all()


def find_by_number(db: Session, hall: Hall, number: str) -> Ticket | None:
    """Today's ticket with this number in a hall."""
    return db.scalar(select(Ticket).where(
        Ticket.hall_id == hall.id, Ticket.business_day == hall.business_day,
        Ticket.number == number.upper()))


def waiting_stats(db: Session, hall: Hall) -> dict[int, tuple[int, datetime | None]]:
    """Per service id: how many wait and the earliest issue time among them."""
    rows = db.execute(
        select(Ticket.service_id, func.count(), func.min(Ticket.issued_at))
        .where(Ticket.hall_id == hall.id, Ticket.status == "waiting")
        .group_by(Ticket.service_id)
    ).all()
    out: dict[int, tuple[int, datetime | None]] = {}
    for sid, count, oldest in rows:
        if isinstance(oldest, str):  # SQLite returns MIN() over a datetime as text
            oldest = datetime.fromisoformat(oldest)
        if oldest is not None and oldest.tzinfo is None:
            oldest = oldest.replace(tzinfo=UTC)
        out[sid] = (int(count), oldest)
    return out


def serving_windows(db: Session, hall: Hall, service_id: int) -> int:
    """How many open windows serve a service (staffed ones if any are)."""
    scopes = halls.window_scopes(db, hall)
    windows = [w for w in halls.list_windows(db, hall)
               if w.open and service_id in scopes[w.id].services]
    staffed = [w for w in windows if w.staff_id is not None]
    return len(staffed) or len(windows)


def estimate(db: Session, hall: Hall, ticket: Ticket, now: datetime) -> tuple[int, int]:
    """How many are ahead of a waiting ticket and its estimated wait in seconds."""
    rules = halls.rank_rules(halls.rules_of(hall))
    others = [queued(t) for t in waiting(db, hall_id=hall.id, service_ids=[ticket.service_id])]
    ahead = engine.ahead_of(queued(ticket), others, now, rules)
    service = db.get(Service, ticket.service_id)
    avg = service.avg_handle_s if service else 600
    return ahead, engine.estimate_wait_s(ahead, avg, serving_windows(db, hall, ticket.service_id))


def iso(hall: Hall, when: datetime | None) -> str | None:
    """ISO 8601 with the hall's offset."""
    return halls.local_time(hall, when).isoformat() if when else None


def view(db: Session, hall: Hall, ticket: Ticket, now: datetime) -> TicketRead:
    """The ticket as its holder sees it, with `ahead` while it waits."""
    service = db.get(Service, ticket.service_id)
    window = db.get(Window, ticket.window_id) if ticket.window_id else None
    ahead = wait = None
    if ticket.status == "waiting":
        ahead, wait = estimate(db, hall, ticket, now)
    return TicketRead(
        id=ticket.id, number=ticket.number, hall=hall.code,
        service=service.code if service else "", service_name=service.name if service else "",
        status=ticket.status, priority=ticket.priority, channel=ticket.channel,
        ahead=ahead, estimated_wait_s=wait, issued_at=iso(hall, ticket.issued_at) or "",
        window=window.number if window else None, window_name=window.name if window else None,
        called_at=iso(hall, ticket.called_at), started_at=iso(hall, ticket.started_at),
        finished_at=iso(hall, ticket.finished_at), outcome=ticket.outcome,
        recalls=ticket.recalls, close_reason=ticket.close_reason,
    )


def rollover(db: Session, hall: Hall, now: datetime) -> dict[str, Any] | None:
    """Start a new business day when the hall's calendar day has changed.

    Yesterday's open tickets are closed with the reason `day_closed`, never silently lost,
    and windows let go of them; numbers restart because counters are per day.
    """
    today = halls.local_day(hall, now)
    if hall.business_day == today:
        return None
    closed = db.execute(
        update(Ticket)
        .where(Ticket.hall_id == hall.id, Ticket.business_day < today,
               Ticket.status.in_(OPEN_STATUSES))
        .values(status="cancelled", close_reason="day_closed", finished_at=now)
        .execution_options(synchronize_session=False)
    ).rowcount
    # Nobody stays signed in overnight: windows start the day empty.
    db.execute(
        update(Window).where(Window.hall_id == hall.id)
        .values(current_ticket_id=None, staff_id=None, post=None, paused_reason=None,
                paused_at=None, empty_since=now, state_since=now)
        .execution_options(synchronize_session=False)
    )
    previous, hall.business_day = hall.business_day, today
    return {"from": previous.isoformat() if previous else None, "to": today.isoformat(),
            "closed": closed}
