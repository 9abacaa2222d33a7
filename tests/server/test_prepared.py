"""Statements run on the driver's cursor (`server.prepared`) store exactly what
SQLAlchemy's own execution of the same statement stores, on SQLite and on PostgreSQL."""

from __future__ import annotations

from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import insert, select, text
from sqlalchemy.orm import Session

from server.audit.models import AuditEntry
from server.audit.service import AUDIT
from server.core import Core
from server.halls.models import Hall
from server.prepared import Prepared, listed, spread
from server.tickets import service as tickets
from server.tickets.models import Ticket

KEYS = ("hall_id", "action", "at", "staff_id", "device_id", "window_id", "ticket_id",
        "detail")


@pytest.fixture(params=["sqlite", "postgresql"])
def any_core(request: pytest.FixtureRequest) -> Core:
    core: Core = request.getfixturevalue("core" if request.param == "sqlite" else "pg_core")
    return core


def _hall_id(db: Session) -> int:
    hall_id = db.scalar(select(Hall.id).where(Hall.code == "h1"))
    assert hall_id is not None
    return hall_id


def _raw(db: Session, sql: str) -> list[tuple[Any, ...]]:
    """Rows as the database holds them (no SQLAlchemy result processing)."""
    return [tuple(r) for r in db.connection().exec_driver_sql(sql)]


def test_an_insert_stores_what_sqlalchemy_stores(any_core: Core) -> None:
    at = datetime(2026, 12, 6, 9, 30, 5, 120, tzinfo=UTC)
    prepared = Prepared(insert(AUDIT), keys=KEYS)
    with any_core.db.begin() as db:
        hall = _hall_id(db)
        row = {"hall_id": hall, "action": "x-prepared", "at": at, "staff_id": None,
               "device_id": None, "window_id": None, "ticket_id": None,
               "detail": {"名": "李四", "n": 3, "nested": [1, None]}}
        prepared.execute(db, row)
        db.connection().execute(insert(AUDIT), {**row, "action": "x-core"})
    with any_core.db.read_session() as db:
        stored = _raw(db, f"SELECT action, at, detail FROM audit_log WHERE hall_id = {hall} "
                          "AND action IN ('x-prepared', 'x-core') ORDER BY action DESC")
        assert [r[1:] for r in stored] == [stored[0][1:], stored[0][1:]]
        assert {r[0] for r in stored} == {"x-prepared", "x-core"}
        # And read back through the ORM, as the flows read it.
        entries = db.scalars(select(AuditEntry).where(AuditEntry.action == "x-prepared")).all()
        assert [(e.at, e.detail) for e in entries] == [(at, row["detail"])]


def test_the_number_upsert_counts_and_returns(any_core: Core) -> None:
    day = date(2026, 12, 6)
    with any_core.db.begin() as db:
        hall = _hall_id(db)
        got = [tickets.next_number(db, hall_id=hall, day=day, prefix=p)
               for p in ("Q", "Q", "R", "Q")]
    assert got == [1, 2, 1, 3]
    with any_core.db.begin() as db:  # a rolled-back number is not taken
        tickets.next_number(db, hall_id=hall, day=day, prefix="Q")
        db.rollback()
    with any_core.db.begin() as db:
        assert tickets.next_number(db, hall_id=hall, day=day, prefix="Q") == 4


def test_an_issued_ticket_reads_back_through_the_orm(any_core: Core) -> None:
    from server.tickets import flows
    from tests.server.test_flows import KIOSK
    issued = flows.issue(any_core, hall="h1", service="SB01", actor=KIOSK)
    with any_core.db.read_session() as db:
        ticket = db.get(Ticket, issued.id)
        assert ticket is not None
        assert (ticket.number, ticket.status, ticket.recalls) == (issued.number, "waiting", 0)
        assert ticket.issued_at == any_core.clock.now()
        assert ticket.business_day == any_core.clock.now().date()


def test_a_statement_it_cannot_run_is_refused_when_compiled(core: Core) -> None:
    from sqlalchemy import bindparam
    prepared = Prepared(select(Ticket.id).where(Ticket.number.in_(bindparam("n",
                                                                          expanding=True))))
    with core.db.begin() as db, pytest.raises(ValueError, match="expanding"):
        prepared.execute(db, {"n": ["A001"]})
    with core.db.read_session() as db:
        assert db.execute(text("SELECT 1")).scalar() == 1


def test_a_returned_row_reads_as_through_sqlalchemy(any_core: Core) -> None:
    """Rows from `first` (datetimes, dates, JSON) equal SQLAlchemy's, and a claim with a
    set of columns it has not seen before compiles its own form."""
    from sqlalchemy import bindparam

    from server.tickets import flows
    from server.tickets.service import TICKETS
    from tests.server.test_flows import KIOSK
    issued = flows.issue(any_core, hall="h1", service="SB01", actor=KIOSK)
    by_id = select(TICKETS).where(TICKETS.c.id == bindparam("_id"))
    with any_core.db.begin() as db:
        ours = Prepared(by_id).first(db, {"_id": issued.id})
        theirs = db.connection().execute(by_id, {"_id": issued.id}).first()
        assert theirs is not None and ours == dict(theirs._mapping)
        assert Prepared(by_id).first(db, {"_id": "nope"}) is None
        now = any_core.clock.now()
        claimed = tickets.claim(db, issued.id, status="called", called_at=now, recalls=0)
        assert claimed is not None and (claimed.status, claimed.called_at) == ("called", now)
        assert tickets.claim(db, issued.id, status="called") is None  # no longer waiting


def test_an_in_list_of_known_length_and_every_row(any_core: Core) -> None:
    """`listed`/`spread` stand for an expanding `IN`; `rows` returns every row as
    SQLAlchemy would; a ticket is locked only while in one of the statuses."""
    from server.tickets import flows
    from server.tickets.service import TICKETS
    from tests.server.test_flows import KIOSK
    a, b, c = (flows.issue(any_core, hall="h1", service="SB01", actor=KIOSK).id
               for _ in range(3))
    by_ids = select(TICKETS.c.id, TICKETS.c.issued_at).where(
        TICKETS.c.id.in_(listed("_id", 3))).order_by(TICKETS.c.id)
    with any_core.db.begin() as db:
        ours = Prepared(by_ids).rows(db, spread("_id", [a, b, "nope"]))
        theirs = db.connection().execute(
            select(TICKETS.c.id, TICKETS.c.issued_at).where(TICKETS.c.id.in_([a, b]))
            .order_by(TICKETS.c.id)).all()
        assert ours == [dict(r._mapping) for r in theirs] and len(ours) == 2
        assert Prepared(by_ids).rows(db, spread("_id", ["x", "y", "z"])) == []
        assert tickets.lock_row(db, c, "called", "serving") is None
        locked = tickets.lock_row(db, c, "waiting")
        assert locked is not None and locked.id == c and locked.status == "waiting"


def test_the_hall_copy_follows_its_row(any_core: Core) -> None:
    """`open_hall` hands out the same copy while the row is unchanged, a new one after."""
    from sqlalchemy import update

    from server.halls.day import open_hall
    now = any_core.clock.now()
    with any_core.db.begin() as db:
        first = open_hall(db, "h1", now)
        assert open_hall(db, "h1", now) is first
        orm = db.scalars(select(Hall).where(Hall.code == "h1")).one()
        assert {c: getattr(first, c) for c in ("id", "name", "rules", "business_day")} == \
            {c: getattr(orm, c) for c in ("id", "name", "rules", "business_day")}
        db.execute(update(Hall).where(Hall.code == "h1").values(name="改名中心"))
    with any_core.db.begin() as db:
        second = open_hall(db, "h1", now)
    assert second is not first and second.name == "改名中心"


def test_the_drivers_errors_are_sqlalchemys(any_core: Core) -> None:
    """A statement on the driver's cursor fails as through SQLAlchemy (the app answers
    `OperationalError` with 503, and flows catch `IntegrityError`)."""
    from sqlalchemy.exc import IntegrityError
    prepared = Prepared(insert(AUDIT), keys=KEYS)
    row = {"hall_id": 999_999, "action": "x", "at": datetime.now(UTC), "staff_id": None,
           "device_id": None, "window_id": None, "ticket_id": None, "detail": {}}
    with pytest.raises(IntegrityError), any_core.db.begin() as db:
        prepared.execute(db, row)  # no such hall: a foreign key
    with any_core.db.read_session() as db:  # the connection is still good
        assert db.execute(text("SELECT 1")).scalar() == 1


def test_a_locked_database_is_busy_not_an_error(core: Core, tmp_path: Path) -> None:
    """Another process holding SQLite's write lock: the kiosk's issue (the hot path, on
    the driver's BEGIN) is answered 503 `busy`, and issues again once the lock is gone."""
    import sqlite3

    from fastapi.testclient import TestClient
    from sqlalchemy import event

    from server.app import create_app
    from server.auth import service as auth
    core.db.engine.dispose()
    event.listen(core.db.engine, "connect",
                 lambda conn, _: conn.execute("PRAGMA busy_timeout=200"))
    token = auth.register_device(core, hall="h1", name="kiosk-lock", kind="kiosk")[1]
    headers = {"Authorization": f"Bearer {token}"}
    holder = sqlite3.connect(core.db.engine.url.database or "", isolation_level=None)
    with TestClient(create_app(core)) as client:
        client.post("/api/v1/halls/h1/tickets", json={"service": "SB01"}, headers=headers)
        holder.execute("BEGIN IMMEDIATE")
        try:
            busy = client.post("/api/v1/halls/h1/tickets", json={"service": "SB01"},
                               headers=headers)
        finally:
            holder.execute("ROLLBACK")
            holder.close()
        assert (busy.status_code, busy.json()["code"]) == (503, "busy"), busy.text
        assert busy.headers["Retry-After"] == "1"
        again = client.post("/api/v1/halls/h1/tickets", json={"service": "SB01"},
                            headers=headers)
        assert again.status_code == 201, again.text
        assert again.json()["number"] == "A002"  # the refused one took no number
