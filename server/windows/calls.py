"""Counter actions in fewer statements: on PostgreSQL a change, its audit entry (and, for
a call, the window's row) in one.

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

A 过号 (confirmed on the next call, or by hand), start, finish and a recall below the
hall's limit change the window's ticket while it is in the statuses the action needs:
`UPDATE … WHERE id = … AND status IN (…) RETURNING`, the status re-checked under the row's
lock (a transaction changing the same row at the same instant waits for it); before,
the row was locked, then written, then the entry added. A ticket not in those
statuses is left as it is, with no entry, and the flow answers 409 as before; a recall at
the limit changes nothing here, and the flow makes the ticket a no-show, as before.

SQLite has no data-modifying WITH; there the flow holds the database's write lock, and
the same moves are the ticket's `UPDATE … RETURNING` followed by its entry: two
statements, where locking the row, writing it and the entry took three. The flows take
one path on both databases; only a call is claimed one candidate at a time on SQLite
(`in_one_statement`).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import bindparam, func, insert, literal, or_, select, update
from sqlalchemy.orm import Session

from server.audit import service as audit
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


def _entry(source: Any, action: str, detail: Any = None) -> Any:
    """The audit entry of the ticket `source` (a CTE) returns, if it returns one; its
    detail `a_detail`, or the expression `detail`."""
    return insert(AUDIT).from_select(
        ["hall_id", "action", "at", "staff_id", "device_id", "window_id", "ticket_id",
         "detail"],
        select(bindparam("a_hall_id", type_=AUDIT.c.hall_id.type), literal(action),
               bindparam("at", type_=AUDIT.c.at.type),
               bindparam("a_staff_id", type_=AUDIT.c.staff_id.type),
               bindparam("a_device_id", type_=AUDIT.c.device_id.type),
               bindparam("a_window_id", type_=AUDIT.c.window_id.type), source.c.id,
               bindparam("a_detail", type_=AUDIT.c.detail.type) if detail is None
               else detail)
        .select_from(source)).cte("a")


def _call_statement() -> Any:
    typed = {k: bindparam(f"t_{k}", type_=tickets.TICKETS.c[k].type) for k in CALLING}
    typed["called_at"] = bindparam("at", type_=tickets.TICKETS.c.called_at.type)
    typed["window_id"] = bindparam("a_window_id", type_=tickets.TICKETS.c.window_id.type)
    claimed = tickets.claiming_first(typed).cte("c")
    window = (update(WINDOWS)
              .where(WINDOWS.c.id == bindparam("a_window_id", type_=WINDOWS.c.id.type))
              .values(current_ticket_id=claimed.c.id,
                      state_since=bindparam("at", type_=WINDOWS.c.state_since.type))
              .cte("w"))
    return select(*claimed.c).add_cte(_entry(claimed, "call")).add_cte(window)


@dataclass(frozen=True)
class _Move:
    """A move of the window's ticket (`_id`) and its audit entry: on PostgreSQL one
    statement (`fused`), on SQLite the move (`alone`) and then the entry."""

    action: str
    fused: Prepared
    alone: Prepared
    # SQLite: the entry's detail from the moved ticket, where it tells the ticket (a
    # recall's count); else the detail given (`a_detail`).
    detail_of: Callable[[TicketRow], dict[str, Any]] | None = None

    def run(self, db: Session, params: Mapping[str, Any]) -> TicketRow | None:
        """The moved ticket, its entry written; None (nothing written) when the ticket was
        not in the statuses the move needs."""
        if in_one_statement(db):
            row = self.fused.first(db, params)
            return TicketRow(row) if row is not None else None
        row = self.alone.first(db, params)
        if row is None:
            return None
        ticket = TicketRow(row)
        detail = self.detail_of(ticket) if self.detail_of else params["a_detail"]
        audit.record(db, hall_id=params["a_hall_id"], action=self.action, at=params["at"],
                     staff_id=params["a_staff_id"], device_id=params["a_device_id"],
                     window_id=params["a_window_id"], ticket_id=ticket.id, **detail)
        return ticket


def _moved(statuses: tuple[str, ...], values: dict[str, Any], action: str, *also: Any,
           detail: Callable[[Any], Any] | None = None,
           detail_of: Callable[[TicketRow], dict[str, Any]] | None = None) -> _Move:
    """The window's ticket (`_id`) changed while in one of `statuses` (`UPDATE … WHERE
    status IN … RETURNING`) and `also` holds, with its
    audit entry. The entry's detail is `a_detail`, or told by the changed row: in SQL from
    the row `m` (`detail`, PostgreSQL) and from the returned ticket (`detail_of`, SQLite)."""
    t = tickets.TICKETS
    change = (update(t).where(t.c.id == bindparam("_id"),
                              or_(*(t.c.status == x for x in statuses)), *also)
              .values(values).returning(*t.c))
    moved = change.cte("m")
    fused = select(*moved.c).add_cte(
        _entry(moved, action, None if detail is None else detail(moved)))
    return _Move(action, Prepared(fused), Prepared(change), detail_of)


_T = tickets.TICKETS.c
_AT = bindparam("at", type_=_T.finished_at.type)
_CALL_FIRST = Prepared(_call_statement())
_NO_SHOW = _moved(("called",), {"status": "no_show", "finished_at": _AT}, "no_show")
_START = _moved(("called",), {"status": "serving", "started_at": _AT}, "start")
# `server.windows.flows._recall` below the hall's limit: its entry tells the count after it.
_RECALL = _moved(
    ("called",), {"recalls": _T.recalls + 1, "recalled_at": _AT}, "recall",
    _T.recalls < bindparam("max_recalls", type_=_T.recalls.type),
    detail=lambda m: func.json_build_object("recalls", m.c.recalls),
    detail_of=lambda ticket: {"recalls": ticket.recalls})
# `server.windows.flows._finish`: service started now if it had not been; the note kept
# unless a new one is given.
_FINISH = _moved(("called", "serving"), {
    "status": "done", "finished_at": _AT,
    "outcome": bindparam("outcome", type_=_T.outcome.type),
    "started_at": func.coalesce(_T.started_at, _AT),
    "note": func.coalesce(func.nullif(bindparam("note", type_=_T.note.type), ""), _T.note),
}, "finish")


def in_one_statement(db: Session) -> bool:
    """Whether this session's database writes a change and its entry in one statement
    (PostgreSQL's data-modifying WITH; SQLite has none)."""
    return db.get_bind().dialect.name == "postgresql"


def _actor(window: WindowRow, hall_id: int, actor: Principal, now: datetime,
           **detail: Any) -> dict[str, Any]:
    return {"at": now, "a_hall_id": hall_id, "a_staff_id": actor.staff_id,
            "a_device_id": actor.device_id, "a_window_id": window.id,
            "a_detail": {k: v for k, v in detail.items() if v is not None}}


def call_first(db: Session, window: WindowRow, hall_id: int, ticket_ids: list[str],
               actor: Principal, now: datetime) -> tuple[TicketRow | None, bool]:
    """Claim the first of these tickets that can be claimed for `window`, called now by
    `actor`: the ticket (or None), and whether the call's audit entry and the window's
    row were written with it (PostgreSQL) or are the flow's to write (SQLite)."""
    if not ticket_ids:
        return None, False
    called = calling(window, actor, now)
    if not in_one_statement(db):
        return tickets.claim_first(db, ticket_ids, **called), False
    ticket = {f"t_{k}": called[k] for k in CALLING if k not in ("called_at", "window_id")}
    row = _CALL_FIRST.first(db, {**ticket, "_order": ticket_ids,
                                 **_actor(window, hall_id, actor, now)})
    if row is None:
        return None, False
    window.written(current_ticket_id=row["id"], state_since=now)
    return TicketRow(row), True


def no_show(db: Session, window: WindowRow, hall_id: int, actor: Principal, now: datetime,
            why: str) -> TicketRow | None:
    """The window's ticket, if still called, made a no-show (过号) with its audit entry
    (`why`); None when it is not called."""
    if window.current_ticket_id is None:
        return None
    return _NO_SHOW.run(db, {"_id": window.current_ticket_id,
                             **_actor(window, hall_id, actor, now, why=why)})


def recall(db: Session, window: WindowRow, hall_id: int, actor: Principal, now: datetime,
           max_recalls: int) -> TicketRow | None:
    """The window's ticket, if still called and recalled fewer than `max_recalls` times,
    recalled once more, with its audit entry (the count after it); None otherwise (not
    called, or at the limit, where the flow makes it a no-show)."""
    if window.current_ticket_id is None:
        return None
    return _RECALL.run(db, {"_id": window.current_ticket_id, "max_recalls": max_recalls,
                            **_actor(window, hall_id, actor, now)})


def start(db: Session, window: WindowRow, hall_id: int, actor: Principal,
          now: datetime) -> TicketRow | None:
    """The window's ticket, if still called, now being served, with its audit entry; None
    when it is not called."""
    if window.current_ticket_id is None:
        return None
    return _START.run(db, {"_id": window.current_ticket_id,
                           **_actor(window, hall_id, actor, now)})


def finish(db: Session, window: WindowRow, hall_id: int, actor: Principal, now: datetime,
           outcome: str, note: str) -> TicketRow | None:
    """The window's ticket, if called or being served, finished with this outcome (and
    note, if one is given), with its audit entry; None when it is neither."""
    if window.current_ticket_id is None:
        return None
    return _FINISH.run(db, {"_id": window.current_ticket_id, "outcome": outcome,
                            "note": note, **_actor(window, hall_id, actor, now,
                                                   outcome=outcome)})
