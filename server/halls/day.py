"""A hall's business day: opening it for a writing flow and rolling it over at midnight.

Every flow that changes a hall's queue (issue, check-in, call, requeue, the monitor's
actions) opens the hall here first, so a new calendar day starts the same way whichever
flow comes first: yesterday's open tickets are closed, windows start empty, numbers
restart (counters are per day).
"""

from __future__ import annotations

import threading
from datetime import datetime
from typing import Any

from sqlalchemy import CursorResult, Table, bindparam, select, update
from sqlalchemy.orm import Session

from server.audit import service as audit
from server.errors import NotFound
from server.halls import service as halls
from server.halls.models import Hall
from server.prepared import Prepared
from server.tickets.models import OPEN_STATUSES, Ticket
from server.windows.models import Window

HALLS: Table = Hall.__table__  # type: ignore[assignment]
# On the driver's cursor (server.prepared): every writing flow runs it.
_ROW = Prepared(select(HALLS).where(HALLS.c.code == bindparam("code")))


class _Copies:
    """Detached copies of hall rows, by code, each kept with the row it was made from.

    Every flow still reads the hall's row (so a change committed by any process is seen
    by the next flow, without messages), but as plain columns: loading it through the
    ORM session cost 10-13 % of each flow. When the row is unchanged the same copy is
    handed out again. A copy is shared by concurrent flows and must never be changed or
    added to a session: a flow that changes the hall loads it with `halls.get_hall`.
    """

    def __init__(self) -> None:
        self._copies: dict[str, tuple[tuple[Any, ...], Hall]] = {}
        self._lock = threading.Lock()

    def of(self, db: Session, code: str, raw: tuple[Any, ...]) -> Hall:
        """The copy of the row `raw` (as the driver returned it: compared as it is, and
        its columns' types applied only when it changed)."""
        kept = self._copies.get(code)
        if kept is not None and kept[0] == raw:
            return kept[1]
        copy = Hall(**_ROW.as_row(db, raw))
        with self._lock:
            self._copies[code] = (raw, copy)
        return copy


_COPIES = _Copies()


def copy_of(db: Session, code: str, raw: tuple[Any, ...]) -> Hall:
    """The shared read-only copy of a hall's row as the driver returned it (`_Copies`)."""
    return _COPIES.of(db, code, raw)


def open_hall(db: Session, code: str, now: datetime) -> Hall:
    """A hall for a writing flow, its day rolled over if the date has changed.

    Returns a read-only copy of the hall's row as it is in this transaction (see
    `_Copies`); on the first flow of a new day, the row itself, locked and rolled over.
    """
    raw = _ROW.first_raw(db, {"code": code})
    if raw is None:
        raise NotFound(f"no hall {code!r}", code="unknown_hall")
    hall = _COPIES.of(db, code, raw)
    if hall.business_day == halls.local_day(hall, now):
        return hall
    # A new day: the row through the session, locked so that of two flows only one
    # closes yesterday (the other finds the day already rolled over). FOR NO KEY UPDATE
    # (`key_share`), as an UPDATE of the row would take: a plain FOR UPDATE would also
    # block the foreign-key checks of other flows' inserts (tickets, counters) and
    # deadlock with them on PostgreSQL.
    hall = db.scalars(select(Hall).where(Hall.id == hall.id).with_for_update(key_share=True)
                      .execution_options(populate_existing=True)).one()
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
