"""A hall's business day: opening it for a writing flow and rolling it over at midnight.

Every flow that changes a hall's queue (issue, check-in, call, requeue, the monitor's
actions) opens the hall here first, so a new calendar day starts the same way whichever
flow comes first: yesterday's open tickets are closed, windows start empty, numbers
restart (counters are per day).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import CursorResult, update
from sqlalchemy.orm import Session

from server.audit import service as audit
from server.halls import service as halls
from server.halls.models import Hall
from server.tickets.models import OPEN_STATUSES, Ticket
from server.windows.models import Window


def open_hall(db: Session, code: str, now: datetime) -> Hall:
    """Load a hall for a writing flow and roll its day over if the date has changed."""
    hall = halls.get_hall(db, code)
    change = rollover(db, hall, now)
    if change is not None:
        audit.record(db, hall_id=hall.id, action="rollover", at=now, **change)
    return hall


def rollover(db: Session, hall: Hall, now: datetime) -> dict[str, Any] | None:
    """Start a new business day when the hall's calendar day has changed.

    Yesterday's open tickets are closed with the reason `day_closed`, never silently lost,
    and windows let go of them; numbers restart because counters are per day.
    """
    today = halls.local_day(hall, now)
    if hall.business_day == today:
        return None
    closed: CursorResult[Any] = db.execute(  # type: ignore[assignment]
        update(Ticket)
        .where(Ticket.hall_id == hall.id, Ticket.business_day < today,
               Ticket.status.in_(OPEN_STATUSES))
        .values(status="cancelled", close_reason="day_closed", finished_at=now)
        .execution_options(synchronize_session=False)
    )
    # Nobody stays signed in overnight: windows start the day empty.
    db.execute(
        update(Window).where(Window.hall_id == hall.id)
        .values(current_ticket_id=None, staff_id=None, post=None, paused_reason=None,
                paused_at=None, empty_since=now, state_since=now)
        .execution_options(synchronize_session=False)
    )
    previous, hall.business_day = hall.business_day, today
    return {"from": previous.isoformat() if previous else None, "to": today.isoformat(),
            "closed": closed.rowcount}
