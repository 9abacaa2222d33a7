"""PostgreSQL's pooled connections: pinged at checkout only after sitting idle; one closed
under the core is replaced, never handed to a flow."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.exc import OperationalError

import server.db
from server.db import Database
from tests.conftest import postgres_base_url

pytestmark = pytest.mark.postgres


@pytest.fixture
def database(pg_url: str) -> Iterator[tuple[Database, list[bool]]]:
    """A database of one pooled connection, and a record of its pings (True: alive)."""
    db = Database(pg_url, pool_size=1)
    pings: list[bool] = []
    real = db.engine.dialect.do_ping

    def ping(dbapi_conn: object) -> bool:
        try:
            alive = bool(real(dbapi_conn))  # type: ignore[arg-type]
        except Exception:
            pings.append(False)
            raise
        pings.append(alive)
        return alive

    db.engine.dialect.do_ping = ping  # type: ignore[method-assign]
    yield db, pings
    db.dispose()


def _backend(db: Database) -> int:
    with db.begin() as s:
        return int(s.execute(text("SELECT pg_backend_pid()")).scalar_one())


def _kill(pid: int) -> None:
    admin = create_engine(postgres_base_url())
    try:
        with admin.begin() as conn:
            assert conn.execute(text("SELECT pg_terminate_backend(:p)"), {"p": pid}).scalar()
    finally:
        admin.dispose()


def test_a_connection_in_steady_use_is_not_pinged(
        database: tuple[Database, list[bool]]) -> None:
    db, pings = database
    backends = {_backend(db) for _ in range(20)}
    assert len(backends) == 1  # the one pooled connection, reused
    assert pings == []


def test_an_idle_connection_closed_under_the_core_is_replaced(
        database: tuple[Database, list[bool]], monkeypatch: pytest.MonkeyPatch) -> None:
    db, pings = database
    monkeypatch.setattr(server.db, "PING_AFTER_IDLE_S", 0.0)  # any wait counts as idle
    first = _backend(db)
    _kill(first)
    # Checked out again: pinged, found dead, replaced by a new connection.
    second = _backend(db)
    assert second != first
    assert pings == [False]


def test_a_connection_closed_while_in_use_fails_one_flow_and_the_pool_recovers(
        database: tuple[Database, list[bool]]) -> None:
    db, pings = database
    first = _backend(db)
    _kill(first)
    # Lent without a ping (it was used a moment ago): the statement fails as a lost
    # connection (the app answers 503, nothing written) ...
    with pytest.raises(OperationalError), db.begin() as s:
        s.execute(text("SELECT 1"))
    # ... and the next flow gets a new connection.
    assert _backend(db) != first
    assert pings == []
