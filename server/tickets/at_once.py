"""A kiosk ticket on PostgreSQL in one statement: one round trip instead of six.

The issuing flow (`server.tickets.flows._issue`) runs, on PostgreSQL, BEGIN, the hall's row,
the number counter's upsert, the ticket's INSERT, the audit entry's INSERT and COMMIT: six
round trips, each a statement's worth of driver work on the core's interpreter and of the
server's. Here the same writes go as one statement, which commits on its own
(`Database.single_statements`):

    WITH h AS (SELECT halls.*, sha256(halls::text) AS digest FROM halls WHERE code = …),
         n AS (INSERT INTO number_counters … SELECT … FROM h WHERE h.digest = :digest
               ON CONFLICT … DO UPDATE SET last = last + 1 RETURNING last),
         t AS (INSERT INTO tickets … SELECT …, :prefix || lpad(n.last) … FROM n RETURNING id),
         a AS (INSERT INTO audit_log … SELECT … FROM t)
    SELECT h.*, n.last FROM h LEFT JOIN n ON true

The flow decides before it writes (the service is open, the hall issues now), and decides
on this process's copy of the hall's row and configuration. The statement writes only if
the hall's row is still exactly that copy (its digest): a day rolled over, a configuration
changed by any process, anything at all, and it writes nothing and returns the row as it
is now. The copy is then renewed and this ticket goes the ordinary way, which reads the
hall afresh. So the decision always holds for the row the ticket was written against, as
when the row is read in the transaction: the ordinary flow's guarantee, in one statement.
(PostgreSQL checks the ticket's and the entry's foreign keys at the statement's end, when
the ticket exists.)

Only the plain case goes this way: a ticket without an ID number (whose daily limit is a
read) and without a booking; a service the copy says is open, within hours. Anything the
copy would refuse is decided by the ordinary flow on the fresh row, so a refusal is never
made on a stale copy.

The events: the flow's batch takes its place in line at the session's commit right after
the statement (`EventBus.committing`), not before the COMMIT as in a transaction. No other
flow of this process sees the ticket before then (the picture takes it at that commit),
nor does another process (it learns of it from the batch).
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import (
    LargeBinary,
    Table,
    Text,
    bindparam,
    case,
    cast,
    func,
    insert,
    literal,
    literal_column,
    null,
    select,
    true,
)
from sqlalchemy.dialects.postgresql import insert as pg_insert

from server.audit import service as audit
from server.auth.principal import Principal
from server.core import Core
from server.errors import HallqError
from server.halls import service as halls
from server.halls.cache import HallConfigSnapshot
from server.halls.day import HALLS, copy_of
from server.halls.models import Hall
from server.prepared import Prepared
from server.tickets import flows
from server.tickets import service as tickets
from server.tickets.models import NumberCounter
from server.tickets.schemas import TicketRead

NUMBERS: Table = NumberCounter.__table__  # type: ignore[assignment]
# The ticket's columns the statement is given (its number is formatted in it).
_TICKET_KEYS = ("id", "hall_id", "service_id", "business_day", "priority", "channel",
                "status", "issued_at", "queued_at", "issued_by_staff_id", "green_category",
                "recalls", "transfers", "requeues", "note")


def _statement() -> Any:
    typed = {k: bindparam(k, type_=tickets.TICKETS.c[k].type) for k in _TICKET_KEYS}
    day = bindparam("day", type_=NUMBERS.c.business_day.type)
    prefix = bindparam("prefix", type_=NUMBERS.c.prefix.type)
    # SHA-256 of the row's text (md5() is refused by PostgreSQL built for FIPS).
    row_text = cast(literal_column(HALLS.name), Text)
    hall = (select(*HALLS.c, func.sha256(func.convert_to(row_text, "UTF8")).label("digest"))
            .where(HALLS.c.code == bindparam("code")).cte("h"))
    taken = (pg_insert(NUMBERS)
             .from_select(["hall_id", "business_day", "prefix", "last"],
                          select(hall.c.id, day, prefix, literal(1))
                          .where(hall.c.digest == bindparam("digest", type_=LargeBinary),
                                 hall.c.business_day == day))
             .on_conflict_do_update(index_elements=["hall_id", "business_day", "prefix"],
                                    set_={"last": NUMBERS.c.last + 1})
             .returning(NUMBERS.c.last).cte("n"))
    # `tickets.format_number`: A001 … A999, then A1000.
    last = cast(taken.c.last, Text)
    number = prefix + case((taken.c.last < 1000, func.lpad(last, 3, "0")), else_=last)
    ticket = (insert(tickets.TICKETS)
              .from_select([*_TICKET_KEYS, "number"],
                           select(*typed.values(), number).select_from(taken))
              .returning(tickets.TICKETS.c.id).cte("t"))
    entry = (insert(audit.AUDIT)
             .from_select(["hall_id", "action", "at", "staff_id", "device_id", "window_id",
                           "ticket_id", "detail"],
                          select(typed["hall_id"], literal("issue"), typed["issued_at"],
                                 bindparam("staff_id", type_=audit.AUDIT.c.staff_id.type),
                                 bindparam("device_id", type_=audit.AUDIT.c.device_id.type),
                                 null(), ticket.c.id,
                                 bindparam("detail", type_=audit.AUDIT.c.detail.type))
                          .select_from(ticket))
             .cte("a"))
    return (select(*hall.c, taken.c.last)
            .select_from(hall.outerjoin(taken, true())).add_cte(entry))


_AT_ONCE = Prepared(_statement())
_HALL_COLUMNS = len(HALLS.c)


class _Seen:
    """Per hall code, the row (its copy and digest) the last statement returned."""

    def __init__(self) -> None:
        self._rows: dict[str, tuple[bytes, Hall]] = {}
        self._lock = threading.Lock()

    def get(self, code: str) -> tuple[bytes, Hall] | None:
        return self._rows.get(code)

    def put(self, code: str, digest: bytes, hall: Hall) -> None:
        with self._lock:
            self._rows[code] = (digest, hall)

    def clear(self) -> None:
        with self._lock:
            self._rows.clear()


SEEN = _Seen()


def issue(core: Core, *, hall: str, service: str, priority: str, channel: str,
          actor: Principal, green_reason: str | None = None) -> TicketRead | None:
    """Issue a plain ticket in one statement; None when it must go the ordinary way (not
    PostgreSQL, no copy of the hall yet or a stale one, or a case the copy would refuse),
    having written nothing. A refusal is always the ordinary flow's, on the fresh row."""
    if core.db.is_sqlite:
        return None
    now = core.clock.now()
    seen = SEEN.get(hall)
    plan = None
    snap = None if seen is None else _decidable(core, seen[1], now)
    if seen is not None and snap is not None:
        plan = _plan(seen, snap, service, priority, channel, actor, green_reason, now)
        if plan is None:
            return None  # the current copy would refuse: the ordinary flow decides
    # Else the statement only reads the hall's row (it is new here, or changed), to decide
    # on it from the next ticket on.
    with core.db.single_statements() as db:
        raw = _AT_ONCE.first_raw(db, plan.params if plan else _nothing(hall))
        if raw is None:
            return None  # no such hall: the ordinary flow says so
        digest, last = raw[_HALL_COLUMNS], raw[_HALL_COLUMNS + 1]
        if plan is None or last is None:
            # Nothing written: the hall is new here, or changed. The row as it is now is
            # kept for the next ticket.
            SEEN.put(hall, digest, copy_of(db, hall, raw[:_HALL_COLUMNS]))
            return None
        row = {**plan.row, "number": tickets.format_number(plan.prefix, last)}
        result = flows.issued_view(db, plan.hall, row, now, plan.snap)
    flows.publish_issued(core, result)
    return result


@dataclass(frozen=True)
class _Plan:
    """A ticket decided on the copy of the hall's row: what the statement writes."""

    hall: Hall
    snap: HallConfigSnapshot
    prefix: str
    row: dict[str, Any]  # the ticket's columns but its number
    params: dict[str, Any]


def _decidable(core: Core, hall: Hall, now: datetime) -> HallConfigSnapshot | None:
    """The configuration cached for this process's copy of the hall, if the copy can be
    decided on: None when the cached configuration is not the copy's (changed since, by
    any process: every change moves `config_version`) or the copy's day is not today's."""
    snap = core.cache.peek(hall.id)
    if (snap is None or snap.version != hall.config_version
            or snap.day != hall.business_day or hall.business_day != halls.local_day(hall, now)):
        return None
    return snap


def _plan(seen: tuple[bytes, Hall], snap: HallConfigSnapshot, service_code: str,
          priority: str, channel: str, actor: Principal, green_reason: str | None,
          now: datetime) -> _Plan | None:
    """The ticket, if the copy lets it be issued plainly (no ID number required, the
    service open, the hall issuing now); else None. The statement writes it only if the
    hall's row still has the copy's digest."""
    digest, hall = seen
    if snap.rules.require_id_number:
        return None
    try:
        entry = flows.issuable(snap, hall, service_code, now)
    except HallqError:
        return None  # refused on the copy: decided again on the fresh row
    row = flows.ticket_row(hall, entry, now, priority=priority, channel=channel, actor=actor,
                           number=None, green_reason=green_reason)
    fields = flows.issue_audit(actor, channel, priority, green_reason)
    params = {k: row[k] for k in _TICKET_KEYS}
    params.update(code=hall.code, digest=digest, day=hall.business_day,
                  prefix=entry.prefix, staff_id=fields.pop("staff_id"),
                  device_id=fields.pop("device_id"),
                  detail={k: v for k, v in fields.items() if v is not None})
    return _Plan(hall, snap, entry.prefix, row, params)


def _nothing(hall: str) -> dict[str, Any]:
    """The statement's parameters that write nothing and read the hall's row."""
    return {**dict.fromkeys(_TICKET_KEYS), "code": hall, "digest": b"", "day": None,
            "prefix": "", "staff_id": None, "device_id": None, "detail": {}}
