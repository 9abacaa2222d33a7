"""Ticket queries: numbering, the waiting lists and views."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import String, Table, Update, and_, bindparam, case, func, or_, select, update
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from server import db as database
from server.db import aggregate_time
from server.halls import service as halls
from server.halls.cache import HallConfigSnapshot
from server.halls.models import Hall
from server.prepared import Prepared, PreparedByKeys, listed, spread
from server.tickets import engine
from server.tickets.models import NumberCounter, Ticket
from server.tickets.picture import HallPicture
from server.tickets.rows import TicketRow
from server.tickets.schemas import TicketRead
from server.windows.models import Window

TICKETS: Table = Ticket.__table__  # type: ignore[assignment]


def _next_number_statement(dialect: str) -> Any:
    insert = pg_insert if dialect == "postgresql" else sqlite_insert
    return (
        insert(NumberCounter)
        .values(hall_id=bindparam("hall_id", type_=NumberCounter.hall_id.type),
                business_day=bindparam("day", type_=NumberCounter.business_day.type),
                prefix=bindparam("prefix", type_=NumberCounter.prefix.type), last=1)
        .on_conflict_do_update(
            index_elements=["hall_id", "business_day", "prefix"],
            set_={"last": NumberCounter.last + 1},
        )
        .returning(NumberCounter.last)
    )


# Built once per dialect (building the upsert cost more than running it) and run on the
# driver's cursor (server.prepared).
_NEXT_NUMBER = {name: Prepared(_next_number_statement(name)) for name in ("postgresql", "sqlite")}


def next_number(db: Session, *, hall_id: int, day: date, prefix: str) -> int:
    """Take the next number of a prefix for the day, atomically (no gaps, no duplicates).

    One upsert statement: the counter row is created or incremented under its own row
    lock, and rolled back with the ticket if the issuing transaction fails.
    """
    stmt = _NEXT_NUMBER["postgresql" if db.get_bind().dialect.name == "postgresql"
                        else "sqlite"]
    return int(stmt.scalar(db, {"hall_id": hall_id, "day": day, "prefix": prefix}))


def format_number(prefix: str, seq: int) -> str:
    """A001 … A999, then A1000."""
    return f"{prefix}{seq:03d}"


_QUEUE_COLUMNS = (Ticket.id, Ticket.number, Ticket.service_id, Ticket.priority,
                  Ticket.issued_at, Ticket.queued_at, Ticket.slot_start, Ticket.slot_end,
                  Ticket.target_window_id)


def queued(ticket: Ticket | TicketRow) -> engine.QueuedTicket:
    """The engine's view of a ticket."""
    return engine.QueuedTicket(
        id=ticket.id, number=ticket.number, service_id=ticket.service_id,
        priority=ticket.priority, issued_at=ticket.issued_at, queued_at=ticket.queued_at,
        slot_start=ticket.slot_start, slot_end=ticket.slot_end,
        target_window_id=ticket.target_window_id,
    )


def _rows(db: Session, query: Any) -> list[engine.QueuedTicket]:
    return [engine.QueuedTicket(*row) for row in db.execute(query).all()]


def waiting(
    db: Session, *, hall_id: int, service_ids: Iterable[int] | None = None,
    window_id: int | None = None,
) -> Sequence[Ticket]:
    """Waiting tickets of a hall, of some services and/or transferred to one window."""
    query = select(Ticket).where(Ticket.hall_id == hall_id, Ticket.status == "waiting")
    if service_ids is not None:
        cond = Ticket.service_id.in_(list(service_ids)) & Ticket.target_window_id.is_(None)
        if window_id is not None:
            cond = cond | (Ticket.target_window_id == window_id)
        query = query.where(cond)
    return db.scalars(query.order_by(Ticket.queued_at)).all()


def waiting_queue(
    db: Session, *, hall_id: int, service_ids: Iterable[int]
) -> list[engine.QueuedTicket]:
    """The engine's view of the waiting tickets of some services (not those transferred
    to one window), loaded as plain columns."""
    return _rows(db, select(*_QUEUE_COLUMNS).where(
        Ticket.hall_id == hall_id, Ticket.status == "waiting",
        Ticket.service_id.in_(list(service_ids)), Ticket.target_window_id.is_(None),
    ).order_by(Ticket.queued_at))


def candidates(
    db: Session, *, hall_id: int, scope: engine.WindowScope, per_service: int
) -> list[engine.QueuedTicket]:
    """The waiting tickets that can be first for a window, for `engine.rank`.

    Green, appointment and transferred-to-this-window tickets are few and all loaded;
    of ordinary tickets only the first `per_service` of each service can rank first (the
    order inside one service is its place in time), so a long queue costs the same as a
    short one.
    """
    services = list(scope.services)
    special = _rows(db, select(*_QUEUE_COLUMNS).where(
        Ticket.hall_id == hall_id, Ticket.status == "waiting",
        or_(and_(Ticket.service_id.in_(services), Ticket.target_window_id.is_(None),
                 Ticket.priority != "normal"),
            Ticket.target_window_id == scope.window_id),
    ))
    rank = func.row_number().over(
        partition_by=Ticket.service_id,
        order_by=(Ticket.queued_at, Ticket.issued_at, Ticket.number),
    ).label("rank")
    heads = select(*_QUEUE_COLUMNS, rank).where(
        Ticket.hall_id == hall_id, Ticket.status == "waiting",
        Ticket.service_id.in_(services), Ticket.target_window_id.is_(None),
        Ticket.priority == "normal",
    ).subquery()
    ordinary = [engine.QueuedTicket(*row[:-1]) for row in db.execute(
        select(heads).where(heads.c.rank <= per_service)).all()]
    return special + ordinary


def window_queue(
    db: Session, snap: HallConfigSnapshot, *, hall_id: int, window_id: int, now: datetime
) -> list[Ticket]:
    """Every waiting ticket a window may call, in the order it would call them."""
    scope = snap.scopes[window_id]  # with the window's services moved for the day
    rows = {t.id: t for t in waiting(db, hall_id=hall_id, service_ids=scope.services,
                                     window_id=window_id)}
    ranked = engine.rank([queued(t) for t in rows.values()], scope, now, snap.rank)
    return [rows[q.id] for q in ranked]


def window_top(db: Session, snap: HallConfigSnapshot, hall: Hall, window_id: int,
               now: datetime, n: int) -> tuple[list[Ticket], int]:
    """The first `n` tickets a window would call, in that order, and how many it may call
    in all: the counter's waiting list.

    From the hall's picture when one is held: `best` keys about `n` + the services, and
    one read by primary key fetches those `n` rows (any called meanwhile left out). A
    counter's list is refreshed on every change of the queue, at every window of the
    hall: ranking every waiting ticket each time cost (windows × waiting) rows per change.
    Without a picture, every waiting ticket is ranked from the database (`window_queue`).
    """
    pic = picture(db, hall)
    if pic is None:
        ranked = window_queue(db, snap, hall_id=hall.id, window_id=window_id, now=now)
        return list(ranked[:n]), len(ranked)
    scope = snap.scopes[window_id]
    best = pic.best(scope, now, snap.rank, n)
    total = pic.callable(scope)
    if not best:
        return [], total
    rows = {t.id: t for t in db.scalars(select(Ticket).where(
        Ticket.id.in_([q.id for q in best]), Ticket.status == "waiting"))}
    return [rows[q.id] for q in best if q.id in rows], total


def window_next(db: Session, snap: HallConfigSnapshot, hall: Hall, window_id: int,
                now: datetime) -> str | None:
    """The number a window would call next (the screens' 请 X 号准备), or None. From the
    hall's picture no row is read: the number is all it takes, for every staffed window
    on every refresh."""
    pic = picture(db, hall)
    if pic is None:
        first, _ = window_top(db, snap, hall, window_id, now, 1)
        return first[0].number if first else None
    best = pic.best(snap.scopes[window_id], now, snap.rank, 1)
    return best[0].number if best else None


def lock(db: Session, ticket_id: str, *statuses: str) -> Ticket | None:
    """Lock a ticket for a change, but only while it is still in one of `statuses`.

    Every path that calls or moves a ticket claims it through here. On PostgreSQL a second
    transaction waits on the row lock and, once the first commits, re-reads the row and
    re-checks the status (READ COMMITTED re-evaluates the WHERE of a `FOR UPDATE`), so of
    two windows calling one ticket at the same instant exactly one gets it. On SQLite the
    writing transaction already holds the database's write lock (BEGIN IMMEDIATE).
    """
    return db.scalar(
        select(Ticket).where(Ticket.id == ticket_id, Ticket.status.in_(statuses))
        .with_for_update().execution_options(populate_existing=True))


# The counter flows' statements, built once (see `server.tickets.rows`).
_CLAIM = update(TICKETS).where(
    TICKETS.c.id == bindparam("_id"), TICKETS.c.status == "waiting").returning(*TICKETS.c)
_CLAIM_SKIP_LOCKED = _CLAIM.where(TICKETS.c.id.in_(
    select(TICKETS.c.id).where(TICKETS.c.id == bindparam("_id"), TICKETS.c.status == "waiting")
    .with_for_update(skip_locked=True)))
# On the driver's cursor (server.prepared), one form per set of columns a claim sets.
_CLAIMS = PreparedByKeys(_CLAIM)
_CLAIMS_SKIP_LOCKED = PreparedByKeys(_CLAIM_SKIP_LOCKED)
# PostgreSQL: the first of the ranked candidates (`_order`) still waiting and not held by
# another transaction, claimed in one statement. Rows a concurrent claim changed are
# re-checked under the lock and passed over (FOR UPDATE below LIMIT), so twenty windows
# pressing at once each take a different ticket in one round trip, in rank order.
_ORDER = bindparam("_order", type_=ARRAY(String))
_CLAIM_FIRST_SKIP_LOCKED = update(TICKETS).where(
    TICKETS.c.id == select(TICKETS.c.id)
    .where(TICKETS.c.id == func.any(_ORDER), TICKETS.c.status == "waiting")
    .order_by(func.array_position(_ORDER, TICKETS.c.id)).limit(1)
    .with_for_update(skip_locked=True).scalar_subquery(),
    TICKETS.c.status == "waiting").returning(*TICKETS.c)
_CLAIMS_FIRST = PreparedByKeys(_CLAIM_FIRST_SKIP_LOCKED)


def claiming_first(values: dict[str, Any]) -> Update:
    """The claim of the first of `_order` (as `claim_first` on PostgreSQL) setting these
    columns, for a statement that writes what the claim implies with it
    (`server.windows.calls`)."""
    return _CLAIM_FIRST_SKIP_LOCKED.values(values)
# A ticket locked while in one of n statuses: one form per n, on the driver's cursor.
_LOCK_ROWS: dict[int, Prepared] = {}


def _in_statuses(n: int) -> Any:
    return and_(TICKETS.c.id == bindparam("_id"), TICKETS.c.status.in_(listed("_status", n)))


_BY_NUMBER = select(TICKETS.c.id, TICKETS.c.status).where(
    TICKETS.c.hall_id == bindparam("hall_id"), TICKETS.c.business_day == bindparam("day"),
    TICKETS.c.number == bindparam("number"))


def lock_row(db: Session, ticket_id: str, *statuses: str) -> TicketRow | None:
    """`lock` without the ORM: the row's columns, locked, while in one of `statuses`.

    Change its attributes and `save` it (one UPDATE) within the same transaction.
    """
    n = len(statuses)
    prepared = _LOCK_ROWS.get(n) or _LOCK_ROWS.setdefault(
        n, Prepared(select(TICKETS).where(_in_statuses(n)).with_for_update()))
    row = prepared.first(db, {"_id": ticket_id, **spread("_status", statuses)})
    return TicketRow(row) if row is not None else None


def claim(db: Session, ticket_id: str, **values: Any) -> TicketRow | None:
    """Take a waiting ticket in one statement: `UPDATE … WHERE status = 'waiting'`.

    None when it is no longer waiting or, on PostgreSQL, another transaction holds its row
    (`FOR UPDATE SKIP LOCKED`: two windows calling at the same instant take different
    tickets without waiting on each other; the status re-check decides once the row is
    ours). On SQLite the flow already holds the write lock (BEGIN IMMEDIATE).
    """
    claims = _CLAIMS_SKIP_LOCKED if db.get_bind().dialect.name == "postgresql" else _CLAIMS
    row = claims.get(values).first(db, {"_id": ticket_id, **values})
    return TicketRow(row) if row is not None else None


def claim_first(db: Session, ticket_ids: list[str], **values: Any) -> TicketRow | None:
    """Take the first of these tickets (in this order) that can be claimed, or None.

    PostgreSQL does it in one statement (`_CLAIM_FIRST_SKIP_LOCKED`); on SQLite the flow
    holds the write lock, so the first still waiting is claimed one by one (`claim`).
    """
    if not ticket_ids:
        return None
    if db.get_bind().dialect.name == "postgresql":
        row = _CLAIMS_FIRST.get(values).first(db, {"_order": ticket_ids, **values})
        return TicketRow(row) if row is not None else None
    for ticket_id in ticket_ids:
        ticket = claim(db, ticket_id, **values)
        if ticket is not None:
            return ticket
    return None


def find_by_number(db: Session, hall: Hall, number: str) -> Ticket | None:
    """Today's ticket with this number in a hall."""
    return db.scalar(select(Ticket).where(
        Ticket.hall_id == hall.id, Ticket.business_day == hall.business_day,
        Ticket.number == number.upper()))


def id_by_number(db: Session, hall: Hall, number: str) -> tuple[str, str] | None:
    """Today's ticket with this number in a hall: its id and status (one plain row)."""
    row = db.connection().execute(_BY_NUMBER, {
        "hall_id": hall.id, "day": hall.business_day, "number": number.upper()}).first()
    return (row[0], row[1]) if row is not None else None


def waiting_stats(db: Session, hall: Hall) -> dict[int, tuple[int, datetime | None]]:
    """Per service id: how many wait and the earliest issue time among them."""
    rows = db.execute(
        select(Ticket.service_id, func.count(), func.min(Ticket.issued_at))
        .where(Ticket.hall_id == hall.id, Ticket.status == "waiting")
        .group_by(Ticket.service_id)
    ).all()
    out: dict[int, tuple[int, datetime | None]] = {}
    for sid, count, oldest in rows:
        out[sid] = (int(count), aggregate_time(oldest))
    return out


def waiting_counts(db: Session, hall: Hall) -> dict[int, int]:
    """Per service id: how many wait. From the hall's picture when one is held (every
    kiosk asks on each change of the queue), else counted by the database."""
    pic = picture(db, hall)
    if pic is not None:
        return pic.counts()
    return {sid: count for sid, (count, _) in waiting_stats(db, hall).items()}


def open_windows_serving(db: Session, snap: HallConfigSnapshot, service_id: int) -> int:
    """How many open windows serve a service (the staffed ones if any are)."""
    ids = snap.windows_serving(service_id)
    if not ids:
        return 0
    rows = db.execute(select(Window.staff_id).where(Window.id.in_(ids), Window.open)).all()
    staffed = sum(1 for (staff_id,) in rows if staff_id is not None)
    return staffed or len(rows)


def _class_expr(now: datetime, rules: engine.RankRules) -> Any:
    """`engine.priority_class` as SQL: 0 green, 1 appointment due now, 2 the others."""
    due = and_(Ticket.priority == "appointment", Ticket.slot_start.is_not(None),
               Ticket.slot_start <= now + timedelta(seconds=rules.appointment_early_s),
               func.coalesce(Ticket.slot_end, Ticket.slot_start)
               >= now - timedelta(seconds=rules.appointment_grace_s))
    return case((Ticket.priority == "green", engine.GREEN), (due, engine.APPOINTMENT_DUE),
                else_=engine.ORDINARY)


def ahead_count(
    db: Session, hall_id: int, ticket: engine.QueuedTicket, now: datetime,
    rules: engine.RankRules,
) -> int:
    """`engine.ahead_of` counted by the database: one statement, no rows loaded.

    The same order as the engine's (`sort_key` with primary=True): priority class, then
    place in time, issue time and number.
    """
    cls = _class_expr(now, rules)
    mine = engine.priority_class(ticket, now, rules)
    later = or_(Ticket.queued_at < ticket.queued_at, and_(
        Ticket.queued_at == ticket.queued_at,
        or_(Ticket.issued_at < ticket.issued_at,
            and_(Ticket.issued_at == ticket.issued_at, Ticket.number < ticket.number))))
    return int(db.scalar(
        select(func.count()).select_from(Ticket).where(
            Ticket.hall_id == hall_id, Ticket.status == "waiting",
            Ticket.service_id == ticket.service_id, Ticket.target_window_id.is_(None),
            Ticket.id != ticket.id, or_(cls < mine, and_(cls == mine, later)))) or 0)


def picture(db: Session, hall: Hall) -> HallPicture | None:
    """The hall's queue held in memory (loaded through `db` if need be), when the session
    belongs to a core that holds pictures."""
    owner = database.of(db)
    pictures = owner.pictures if owner is not None else None
    return pictures.get(db, hall) if pictures is not None else None


def estimate(
    db: Session, snap: HallConfigSnapshot, ticket: Ticket | engine.QueuedTicket,
    now: datetime, hall: Hall | None = None,
) -> tuple[int, int, int]:
    """How many are ahead of a waiting ticket, its estimated wait in seconds, and how many
    priority tickets of other services its windows will call first.

    From the hall's picture in memory when there is one; counted by the database if not.
    """
    q = ticket if isinstance(ticket, engine.QueuedTicket) else queued(ticket)
    pic = picture(db, hall) if hall is not None else None
    if pic is not None:
        ahead = pic.ahead(q, now, snap.rank)
        windows = pic.open_windows(db, snap.windows_serving(ticket.service_id))
        window_ids, services = first_scope(snap, q.service_id)
        first = pic.served_first(q, window_ids, services, now, snap.rank)
    else:
        ahead = ahead_count(db, snap.hall_id, q, now, snap.rank)
        windows = open_windows_serving(db, snap, ticket.service_id)
        first = served_first(db, snap, q, now)
    service = snap.services.get(ticket.service_id)
    avg = service.avg_handle_s if service else 600
    return ahead, engine.estimate_wait_s(ahead + first, avg, windows), first


def first_scope(snap: HallConfigSnapshot, service_id: int) -> tuple[list[int], set[int]]:
    """The windows serving a service, and the other services those windows serve (whose
    priority tickets they may call first)."""
    window_ids = snap.windows_serving(service_id)
    services: set[int] = set().union(*(snap.scopes[w].services for w in window_ids))
    services.discard(service_id)
    return window_ids, services


def served_first(
    db: Session, snap: HallConfigSnapshot, ticket: engine.QueuedTicket, now: datetime
) -> int:
    """Priority tickets of other services (绿色通道, due appointments) and tickets sent to one
    of its windows that the windows serving this ticket's service rank before it.

    Counted by the database in one statement, in the engine's order (`ahead_count`'s);
    `HallPicture.served_first` counts the same from the picture.
    """
    window_ids, services = first_scope(snap, ticket.service_id)
    if not window_ids:
        return 0
    cls = _class_expr(now, snap.rank)
    mine = engine.priority_class(ticket, now, snap.rank)
    earlier = or_(Ticket.queued_at < ticket.queued_at, and_(
        Ticket.queued_at == ticket.queued_at,
        or_(Ticket.issued_at < ticket.issued_at,
            and_(Ticket.issued_at == ticket.issued_at, Ticket.number < ticket.number))))
    other_priority = and_(Ticket.service_id.in_(list(services)),
                          Ticket.target_window_id.is_(None), Ticket.priority != "normal")
    return int(db.scalar(
        select(func.count()).select_from(Ticket).where(
            Ticket.hall_id == snap.hall_id, Ticket.status == "waiting", Ticket.id != ticket.id,
            or_(other_priority, Ticket.target_window_id.in_(window_ids)),
            or_(cls < mine, and_(cls == mine, earlier)))) or 0)


def iso(hall: Hall, when: datetime | None) -> str | None:
    """ISO 8601 with the hall's offset."""
    return halls.local_time(hall, when).isoformat() if when else None


def view(
    db: Session, hall: Hall, ticket: Ticket | TicketRow, now: datetime,
    snap: HallConfigSnapshot,
) -> TicketRead:
    """The ticket as its holder sees it, with `ahead` while it waits."""
    service = snap.services.get(ticket.service_id)
    window = snap.windows.get(ticket.window_id) if ticket.window_id else None
    ahead = wait = first = None
    if ticket.status == "waiting":
        ahead, wait, first = estimate(db, snap, queued(ticket), now, hall)
    return TicketRead(
        id=ticket.id, number=ticket.number, hall=hall.code, hall_name=hall.name,
        service=service.code if service else "", service_name=service.name if service else "",
        status=ticket.status, priority=ticket.priority, channel=ticket.channel,
        ahead=ahead, estimated_wait_s=wait, issued_at=iso(hall, ticket.issued_at) or "",
        window=window.number if window else None, window_name=window.name if window else None,
        called_at=iso(hall, ticket.called_at), started_at=iso(hall, ticket.started_at),
        finished_at=iso(hall, ticket.finished_at), outcome=ticket.outcome,
        recalls=ticket.recalls, close_reason=ticket.close_reason,
        # English names, where the hall's file gives them (pages read in English).
        hall_name_en=hall.name_en, service_name_en=service.name_en if service else None,
        window_name_en=window.name_en if window else None,
        green_category=ticket.green_category, slot_start=iso(hall, ticket.slot_start),
        slot_end=iso(hall, ticket.slot_end), transfers=ticket.transfers,
        requeues=ticket.requeues, served_first=first, notice=ticket.notice,
    )
