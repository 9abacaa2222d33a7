"""A call on PostgreSQL in one statement: the claim, its audit entry and the window's row.
(And a 过号 confirmed on the next call: the ticket's move and its entry.)

Call-next claims the first of the ranked candidates still waiting (`UPDATE … WHERE id =
(SELECT … FOR UPDATE SKIP LOCKED)`, `server.tickets.service.claim_first`), then records
the call in the audit log and points the window at the ticket: three round trips, each a
statement's worth of the driver's and the server's work. Here they go as one:

    WITH c AS (UPDATE tickets SET status = 'called', … WHERE id = (SELECT … SKIP LOCKED)
               AND status = 'waiting' RETURNING tickets.*),
         a AS (INSERT INTO audit_log (…) SELECT …, 'call', …, c.id, … FROM c),
         w AS (UPDATE windows SET current_ticket_id = c.id, state_since = … FROM c
               WHERE windows.id = …)
    SELECT * FROM c

The claim is the same statement with the same locking: a ticket another window holds is
passed over, one changed meanwhile is re-checked under its lock. The entry and the window
are written only when a ticket was claimed (each selects from `c`), in the flow's
transaction, after the window's row was locked by this flow (`lock_row`), as before.
SQLite, where the flow holds the database's write lock, claims as before and the flow
writes the entry and the window after.

A window calling on past an unanswered call (`confirm_no_show`) first makes that ticket a
no-show: `UPDATE … WHERE id = … AND status = 'called' RETURNING`, the same re-check under
the row's lock as `server.tickets.service.move`, with its audit entry in the same statement.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import bindparam, insert, literal, select, update
from sqlalchemy.orm import Session

from server.audit.service import AUDIT
from server.auth.principal import Principal
from server.prepared import Prepared
from server.tickets import service as tickets
from server.tickets.rows import TicketRow
from server.windows.rows import WINDOWS, WindowRow

# Why a no-show made by `confirm_no_show` was made (its audit entry's `why`).
CONFIRMED = "confirmed_on_next"
# The columns a call sets on the ticket (`calling`).
CALLING = ("status", "window_id", "staff_id", "called_at", "recalls", "recalled_at")


def calling(window: WindowRow, actor: Principal, now: datetime) -> dict[str, Any]:
    """The columns a call sets on the ticket it calls."""
    return {"status": "called", "window_id": window.id, "staff_id": actor.staff_id,
            "called_at": now, "recalls": 0, "recalled_at": None}


def _statement() -> Any:
    typed = {k: bindparam(f"t_{k}", type_=tickets.TICKETS.c[k].type) for k in CALLING}
    claimed = tickets.claiming_first(typed).cte("c")
    entry = insert(AUDIT).from_select(
        ["hall_id", "action", "at", "staff_id", "device_id", "window_id", "ticket_id",
         "detail"],
        select(bindparam("a_hall_id", type_=AUDIT.c.hall_id.type), literal("call"),
               bindparam("t_called_at", type_=AUDIT.c.at.type),
               bindparam("a_staff_id", type_=AUDIT.c.staff_id.type),
               bindparam("a_device_id", type_=AUDIT.c.device_id.type),
               bindparam("t_window_id", type_=AUDIT.c.window_id.type), claimed.c.id,
               bindparam("a_detail", type_=AUDIT.c.detail.type))
        .select_from(claimed)).cte("a")
    window = (update(WINDOWS)
              .where(WINDOWS.c.id == bindparam("t_window_id", type_=WINDOWS.c.id.type))
              .values(current_ticket_id=claimed.c.id,
                      state_since=bindparam("t_called_at", type_=WINDOWS.c.state_since.type))
              .cte("w"))
    return select(*claimed.c).add_cte(entry).add_cte(window)


_CALL_FIRST = Prepared(_statement())


def _no_show_statement() -> Any:
    t = tickets.TICKETS
    moved = (update(t).where(t.c.id == bindparam("_id"), t.c.status == "called")
             .values(status="no_show",
                     finished_at=bindparam("at", type_=t.c.finished_at.type))
             .returning(*t.c).cte("m"))
    entry = insert(AUDIT).from_select(
        ["hall_id", "action", "at", "staff_id", "device_id", "window_id", "ticket_id",
         "detail"],
        select(bindparam("a_hall_id", type_=AUDIT.c.hall_id.type), literal("no_show"),
               bindparam("at", type_=AUDIT.c.at.type),
               bindparam("a_staff_id", type_=AUDIT.c.staff_id.type),
               bindparam("a_device_id", type_=AUDIT.c.device_id.type),
               bindparam("a_window_id", type_=AUDIT.c.window_id.type), moved.c.id,
               bindparam("a_detail", type_=AUDIT.c.detail.type))
        .select_from(moved)).cte("a")
    return select(*moved.c).add_cte(entry)


_NO_SHOW = Prepared(_no_show_statement())


def call_first(db: Session, window: WindowRow, hall_id: int, ticket_ids: list[str],
               actor: Principal, now: datetime) -> tuple[TicketRow | None, bool]:
    """Claim the first of these tickets that can be claimed for `window`, called now by
    `actor`: the ticket (or None), and whether the call's audit entry and the window's
    row were written with it (PostgreSQL) or are the flow's to write (SQLite)."""
    called = calling(window, actor, now)
    if not ticket_ids:
        return None, False
    if db.get_bind().dialect.name != "postgresql":
        return tickets.claim_first(db, ticket_ids, **called), False
    params = {f"t_{k}": v for k, v in called.items()}
    params.update(_order=ticket_ids, a_hall_id=hall_id, a_staff_id=actor.staff_id,
                  a_device_id=actor.device_id, a_detail={})
    row = _CALL_FIRST.first(db, params)
    if row is None:
        return None, False
    window.written(current_ticket_id=row["id"], state_since=now)
    return TicketRow(row), True


def confirm_no_show(db: Session, window: WindowRow, hall_id: int, actor: Principal,
                    now: datetime) -> tuple[TicketRow | None, bool]:
    """The window's current ticket, if still called, made a no-show (过号) confirmed on the
    next call: the ticket (or None, when it is no longer called), and whether its audit
    entry was written with it (PostgreSQL: one statement) or is the flow's to write."""
    assert window.current_ticket_id is not None
    if db.get_bind().dialect.name != "postgresql":
        return tickets.move(db, window.current_ticket_id, ("called",), status="no_show",
                            finished_at=now), False
    row = _NO_SHOW.first(db, {"_id": window.current_ticket_id, "at": now,
                              "a_hall_id": hall_id, "a_staff_id": actor.staff_id,
                              "a_device_id": actor.device_id, "a_window_id": window.id,
                              "a_detail": {"why": CONFIRMED}})
    return (TicketRow(row), True) if row is not None else (None, False)
