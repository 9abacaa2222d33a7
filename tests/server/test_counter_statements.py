"""A counter action in few statements (issue 11).

Every counter action locks its window's row and answers with the window's view, which
shows who works it, its A and B posts and the 去向牌. The people are read in the lock's own
statement (`server.windows.service.lock_row`), not in one more; they are the people as
they are in that flow's transaction, never kept from an earlier one. On SQLite and on
PostgreSQL.

On PostgreSQL a call's claim, its audit entry and the window's row go in one statement
(`server.windows.calls`), as do a 过号, start, finish and a recall with their entries; on
SQLite those four are the ticket's UPDATE … RETURNING and the entry, the ticket never
locked and read first. Each writes what the ordinary flow wrote, and nothing when there
was nothing to change.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from typing import Any

import psycopg
import pytest
from sqlalchemy import event, select
from sqlalchemy.pool import Pool

from server.app import build_core
from server.audit.models import AuditEntry
from server.auth.principal import Principal
from server.clock import ManualClock
from server.core import Core
from server.errors import Conflict
from server.events.bus import RecordingBus
from server.halls import flows as hall_flows
from server.halls.day import open_hall
from server.settings import Settings
from server.staffing import flows as staffing
from server.tickets import flows as tickets
from server.tickets.models import Ticket
from server.tickets.schemas import TicketRead
from server.windows import calls
from server.windows import flows as windows
from server.windows import service as window_service
from server.windows.models import Window
from tests.factories import hall_config
from tests.server.test_flows import staff as person
from tests.staffing.conftest import ab_windows

KIOSK = Principal(roles=frozenset({"device", "kiosk"}), device_id=None)


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def ab(request: pytest.FixtureRequest) -> Core:
    """A core (SQLite, then PostgreSQL) whose window 2 names s2 (A) and s3 (B)."""
    core: Core = request.getfixturevalue("core" if request.param == "sqlite" else "pg_core")
    hall_flows.load(core, config=hall_config(windows=ab_windows()))
    return core


def at_window_1(core: Core, waiting: int, *, call: bool = True) -> tuple[Principal,
                                                                       list[TicketRead]]:
    """s1 signed in at window 1, `waiting` SB01 tickets issued, the first called."""
    s1 = person(core, "s1")
    windows.sign_in(core, hall="h1", window="1", post="A", actor=s1)
    issued = [tickets.issue(core, hall="h1", service="SB01", actor=KIOSK)
              for _ in range(waiting)]
    if call:
        windows.call_next(core, hall="h1", window="1", actor=s1)
    return s1, issued


@pytest.fixture
def people_reads(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[Any]]:
    """Every read of the people by a statement of its own (`_PEOPLE`)."""
    reads: list[Any] = []
    real = window_service._PEOPLE

    class Counting:
        def rows(self, db: Any, params: Any) -> Any:
            reads.append(params)
            return real.rows(db, params)

    monkeypatch.setattr(window_service, "_PEOPLE", Counting())
    yield reads


def test_a_counter_action_shows_the_people_read_with_its_lock(
        ab: Core, people_reads: list[Any]) -> None:
    op, s2 = person(ab, "op"), person(ab, "s2")
    staffing.set_presence(ab, hall="h1", job_no="s3", presence="meeting", note="科室例会",
                          actor=op)
    windows.sign_in(ab, hall="h1", window="2", post="A", actor=s2)
    tickets.issue(ab, hall="h1", service="SB01", actor=KIOSK)
    people_reads.clear()

    called = windows.call_next(ab, hall="h1", window="2", actor=s2).window
    assert called is not None
    assert (called.state, called.staff, called.staff_no) == ("called", "员工2", "s2")
    assert (called.a_staff, called.b_staff) == ("员工2", "员工3")
    assert called.presence is None  # the one at the window is here: no sign
    windows.start(ab, hall="h1", window="2", actor=s2)
    windows.finish(ab, hall="h1", window="2", outcome="completed", actor=s2)
    left = windows.sign_out(ab, hall="h1", window="2", actor=s2).window
    assert left is not None and left.state == "empty" and left.staff is None
    # The B post's sign, from the row read with the window's lock.
    assert (left.presence, left.presence_staff, left.presence_note) == (
        "meeting", "员工3", "科室例会")
    assert people_reads == []  # no statement of their own

    # A later flow reads them afresh: the sign follows the person's presence.
    staffing.set_presence(ab, hall="h1", job_no="s3", presence="on_duty", note="",
                          actor=op)
    windows.sign_in(ab, hall="h1", window="2", post="A", actor=s2)
    people_reads.clear()
    left = windows.sign_out(ab, hall="h1", window="2", actor=s2).window
    assert left is not None and left.presence is None and left.b_staff == "员工3"
    assert people_reads == []


def test_a_window_from_elsewhere_still_reads_its_people(ab: Core,
                                                        people_reads: list[Any]) -> None:
    # Sign-in locks the window through the ORM (it may move the person from another
    # window): its view reads the people in their own statement, as before.
    s2 = person(ab, "s2")
    signed = windows.sign_in(ab, hall="h1", window="2", post="A", actor=s2).window
    assert signed is not None and signed.staff == "员工2" and signed.b_staff == "员工3"
    assert len(people_reads) == 1


@pytest.fixture
def held_pg(pg_url: str, clock: ManualClock) -> Iterator[Core]:
    """A PostgreSQL core holding the hall's queue in memory (as with a shared bus)."""
    settings = Settings(database_url=pg_url, pepper="test-pepper-not-secret", demo=False,
                        queue_in_memory="on")
    core = build_core(settings, clock=clock, bus=RecordingBus())
    hall_flows.load(core, config=hall_config())
    yield core
    core.db.dispose()


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def held(request: pytest.FixtureRequest) -> Core:
    """A core holding the hall's queue in memory: SQLite, then PostgreSQL."""
    core: Core = request.getfixturevalue("core" if request.param == "sqlite" else "held_pg")
    return core


def on_postgresql(core: Core) -> bool:
    return core.db.engine.dialect.name == "postgresql"


@pytest.fixture
def statements(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[str]]:
    """The SQL of every statement sent from here on: on a psycopg cursor, or traced by
    SQLite on each connection checked out (its BEGIN and COMMIT left out)."""
    sent: list[str] = []
    real = psycopg.Cursor.execute

    def execute(self: psycopg.Cursor[Any], query: Any, *args: Any, **kwargs: Any) -> Any:
        sent.append(" ".join(str(query).split()))
        return real(self, query, *args, **kwargs)

    def traced(sql: str) -> None:
        if not sql.startswith(("BEGIN", "COMMIT", "ROLLBACK")):
            sent.append(" ".join(sql.split()))

    def checkout(dbapi_connection: Any, record: Any, proxy: Any) -> None:
        if isinstance(dbapi_connection, sqlite3.Connection):
            dbapi_connection.set_trace_callback(traced)

    monkeypatch.setattr(psycopg.Cursor, "execute", execute)
    event.listen(Pool, "checkout", checkout)
    yield sent
    event.remove(Pool, "checkout", checkout)


def moves(core: Core) -> list[str]:
    """A move of the ticket with its audit entry: one statement on PostgreSQL (WITH), the
    ticket's UPDATE … RETURNING and the entry's INSERT on SQLite."""
    return ["WITH"] if on_postgresql(core) else ["UPDATE", "INSERT"]


def audit_rows(core: Core, action: str) -> list[tuple[Any, ...]]:
    with core.db.read_session() as db:
        return [tuple(r) for r in db.execute(
            select(AuditEntry.window_id, AuditEntry.staff_id, AuditEntry.ticket_id,
                   AuditEntry.at).where(AuditEntry.action == action)
            .order_by(AuditEntry.id)).all()]


@pytest.mark.postgres
def test_a_call_on_postgresql_claims_records_and_points_the_window_in_one_statement(
        held_pg: Core, clock: ManualClock, statements: list[str]) -> None:
    s1, (first, _) = at_window_1(held_pg, 2, call=False)
    statements.clear()

    out = windows.call_next(held_pg, hall="h1", window="1", actor=s1)
    assert out.ticket is not None and out.ticket.number == first.number
    # The hall, the window with its people, the call: three statements.
    assert [s.split(" ")[0] for s in statements] == ["SELECT", "SELECT", "WITH"], statements
    assert "FOR UPDATE SKIP LOCKED" in statements[2]
    assert "INSERT INTO audit_log" in statements[2] and "UPDATE windows" in statements[2]

    # What the three statements wrote, as the ordinary flow writes it.
    with held_pg.db.read_session() as db:
        window = db.scalar(select(Window).where(Window.number == "1"))
        ticket = db.get(Ticket, first.id)
        assert window is not None and ticket is not None
        assert window.current_ticket_id == first.id and window.state_since == clock.now()
        assert (ticket.status, ticket.window_id, ticket.staff_id) == ("called", window.id,
                                                                     s1.staff_id)
        assert ticket.called_at == clock.now() and ticket.recalls == 0
    assert audit_rows(held_pg, "call") == [(window.id, s1.staff_id, first.id, clock.now())]
    assert out.window is not None and out.window.ticket == first.number


@pytest.mark.postgres
def test_a_call_that_claims_nothing_writes_nothing(held_pg: Core,
                                                    clock: ManualClock) -> None:
    s1, (taken,) = at_window_1(held_pg, 1, call=False)
    tickets.cancel(held_pg, hall="h1", ticket_id=taken.id, reason="test",
                   actor=person(held_pg, "op"))
    with held_pg.db.begin() as db:
        hall = open_hall(db, "h1", clock.now())
        window = window_service.lock_row(db, hall, "1")
        # A ticket no longer waiting: nothing claimed, so no entry and no window change.
        assert calls.call_first(db, window, hall.id, [taken.id], s1, clock.now()) == (
            None, False)
        assert window.current_ticket_id is None
    assert audit_rows(held_pg, "call") == []
    with held_pg.db.read_session() as db:
        row = db.scalar(select(Window).where(Window.number == "1"))
        assert row is not None and row.current_ticket_id is None


def test_calling_on_past_an_unanswered_call(
        held: Core, clock: ManualClock, statements: list[str]) -> None:
    # The window calls on without the citizen having come: the 过号, confirmed, with its
    # entry (one statement on PostgreSQL); then the call (one more on PostgreSQL).
    s1, (first, second) = at_window_1(held, 2)
    clock.advance(seconds=20)
    statements.clear()

    out = windows.call_next(held, hall="h1", window="1", actor=s1, confirm_no_show=True)
    assert out.ticket is not None and out.ticket.number == second.number
    kinds = [s.split(" ")[0] for s in statements]
    if on_postgresql(held):
        assert kinds == ["SELECT", "SELECT", "WITH", "WITH"]
        assert statements[2].startswith("WITH m AS (UPDATE tickets")  # the 过号, with
        assert "INSERT INTO audit_log" in statements[2]  # its entry
    else:  # the 过号 and its entry; the claim, its entry and the window
        assert kinds == ["SELECT", "SELECT", "UPDATE", "INSERT", "UPDATE", "INSERT", "UPDATE"]
        assert statements[2].startswith("UPDATE tickets SET status='no_show'")
        assert "RETURNING" in statements[2] and "INTO audit_log" in statements[3]
    with held.db.read_session() as db:
        gone = db.get(Ticket, first.id)
        assert gone is not None and (gone.status, gone.finished_at) == ("no_show", clock.now())
        entry = db.scalars(select(AuditEntry).where(AuditEntry.action == "no_show")).one()
        assert (entry.ticket_id, entry.window_id, entry.staff_id, entry.at) == (
            first.id, gone.window_id, s1.staff_id, clock.now())
        assert entry.detail == {"why": "confirmed_on_next"}
        window = db.scalar(select(Window).where(Window.number == "1"))
        assert window is not None and window.current_ticket_id == second.id
    assert [r[2] for r in audit_rows(held, "call")] == [first.id, second.id]
    # The no-show and the call, both told to the screens and the picture.
    assert [t.number for t in out.touched] == [first.number, second.number]


def test_start_and_finish_write_the_ticket_and_its_entry_at_once(
        held: Core, clock: ManualClock, statements: list[str]) -> None:
    s1, (served,) = at_window_1(held, 1)
    clock.advance(seconds=30)
    statements.clear()

    started = windows.start(held, hall="h1", window="1", actor=s1)
    # The hall, the window, the ticket with its entry, the window's row: the ticket never
    # read on its own.
    assert [s.split(" ")[0] for s in statements] == ["SELECT", "SELECT", *moves(held),
                                                     "UPDATE"]
    assert "RETURNING" in statements[2] and "FROM tickets" not in " ".join(statements[:2])
    assert started.ticket is not None and started.ticket.status == "serving"
    began = clock.now()
    clock.advance(minutes=4)
    statements.clear()
    done = windows.finish(held, hall="h1", window="1", outcome="completed", note="",
                          actor=s1)
    assert [s.split(" ")[0] for s in statements] == ["SELECT", "SELECT", *moves(held),
                                                     "UPDATE"]
    assert done.ticket is not None and done.ticket.status == "done"
    assert done.window is not None and done.window.state == "idle"

    with held.db.read_session() as db:
        row = db.get(Ticket, served.id)
        assert row is not None
        assert (row.status, row.outcome, row.started_at, row.finished_at, row.note) == (
            "done", "completed", began, clock.now(), "")  # no note given: the kiosk's kept
        window = db.scalar(select(Window).where(Window.number == "1"))
        assert window is not None and window.current_ticket_id is None
        assert window.state_since == clock.now()
        entries = db.execute(select(AuditEntry.action, AuditEntry.at, AuditEntry.detail)
                             .where(AuditEntry.ticket_id == served.id,
                                    AuditEntry.action.in_(("start", "finish")))
                             .order_by(AuditEntry.id)).all()
    assert [tuple(e) for e in entries] == [("start", began, {}),
                                           ("finish", clock.now(), {"outcome": "completed"})]


def test_finishing_a_called_ticket_starts_it_and_keeps_its_note(
        held: Core, clock: ManualClock) -> None:
    s1, (first, second) = at_window_1(held, 2)
    # Finished straight from called (no start pressed): started now, with the note given.
    windows.finish(held, hall="h1", window="1", outcome="accepted", note="材料齐全",
                   actor=s1)
    windows.call_next(held, hall="h1", window="1", actor=s1)
    with held.db.begin() as db:  # a note already on the ticket, and none given now
        db.get_one(Ticket, second.id).note = "预约核验"
    windows.finish(held, hall="h1", window="1", outcome="consulted", note="", actor=s1)
    with held.db.read_session() as db:
        one, two = db.get_one(Ticket, first.id), db.get_one(Ticket, second.id)
        assert (one.outcome, one.note, one.started_at) == ("accepted", "材料齐全", clock.now())
        assert (two.outcome, two.note) == ("consulted", "预约核验")

    # Nothing in hand: 409, nothing written.
    with pytest.raises(Conflict) as err:
        windows.finish(held, hall="h1", window="1", outcome="completed", actor=s1)
    assert err.value.code == "no_current_ticket"
    with pytest.raises(Conflict):
        windows.start(held, hall="h1", window="1", actor=s1)
    assert len(audit_rows(held, "finish")) == 2 and audit_rows(held, "start") == []


def test_recall_and_no_show(held: Core, clock: ManualClock, statements: list[str]) -> None:
    s1, (first, second) = at_window_1(held, 2)

    # Below the hall's limit (max_recalls 2): the recall and its entry.
    for n in (1, 2):
        clock.advance(seconds=30)
        statements.clear()
        out = windows.recall(held, hall="h1", window="1", actor=s1)
        assert [s.split(" ")[0] for s in statements] == ["SELECT", "SELECT", *moves(held)]
        assert out.ticket is not None and out.ticket.recalls == n
        assert out.events and out.events[0]["recall"] is True
    with held.db.read_session() as db:
        one = db.get_one(Ticket, first.id)
        assert (one.status, one.recalls, one.recalled_at) == ("called", 2, clock.now())
        details = db.scalars(select(AuditEntry.detail).where(AuditEntry.action == "recall")
                             .order_by(AuditEntry.id)).all()
    assert details == [{"recalls": 1}, {"recalls": 2}]
    # At the limit the recall changes nothing and the ticket becomes a no-show, as
    # before.
    out = windows.recall(held, hall="h1", window="1", actor=s1)
    assert out.ticket is not None and out.ticket.status == "no_show"
    with held.db.read_session() as db:
        assert db.get_one(Ticket, first.id).recalls == 2
        why = db.scalars(select(AuditEntry.detail).where(AuditEntry.action == "no_show")).all()
    assert why == [{"why": "recall_limit"}]

    # 过号 by hand: the move with its entry, then the window's row.
    windows.call_next(held, hall="h1", window="1", actor=s1)
    statements.clear()
    out = windows.no_show(held, hall="h1", window="1", actor=s1)
    assert [s.split(" ")[0] for s in statements] == ["SELECT", "SELECT", *moves(held),
                                                     "UPDATE"]
    assert out.ticket is not None and out.ticket.number == second.number
    assert out.window is not None and out.window.state == "idle"
    with held.db.read_session() as db:
        assert db.get_one(Ticket, second.id).status == "no_show"
        why = db.scalars(select(AuditEntry.detail).where(AuditEntry.action == "no_show")
                         .order_by(AuditEntry.id)).all()
    assert why == [{"why": "recall_limit"}, {"why": "by_hand"}]
    # Nothing called any more: 409 from both, nothing written.
    for press in (windows.recall, windows.no_show):
        with pytest.raises(Conflict) as err:
            press(held, hall="h1", window="1", actor=s1)
        assert err.value.code == "no_current_ticket"
    assert len(audit_rows(held, "no_show")) == 2 and len(audit_rows(held, "recall")) == 2
