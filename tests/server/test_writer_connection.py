"""SQLite's writer thread keeps one connection between its flows (`Database.session`)."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import text
from sqlalchemy.exc import PendingRollbackError

from server.core import Core
from server.halls.models import Hall


def _driver(db: Any) -> Any:
    return db.connection().connection.driver_connection


def _renamed(core: Core, name: str, *, fail: bool = False) -> Any:
    """On the writer: rename the test hall in a flow of its own; returns its connection."""
    def flow() -> Any:
        with core.db.begin() as db:
            db.execute(text("UPDATE halls SET name = :n WHERE code = 'h1'"), {"n": name})
            if fail:
                raise RuntimeError("the flow failed after writing")
            return _driver(db)
    return core.db.write(flow)


def _name(core: Core) -> str:
    with core.db.read_session() as db:
        hall = db.query(Hall).filter_by(code="h1").one()
        return hall.name


def test_the_writers_flows_share_one_connection_and_each_commits_its_own(core: Core) -> None:
    first = _renamed(core, "一号")
    assert _name(core) == "一号"
    second = _renamed(core, "二号")
    assert second is first and _name(core) == "二号"
    # Anywhere but on the writer, a session takes a pooled connection as before.
    with core.db.begin() as db:
        assert _driver(db) is not first


def test_a_failed_flow_is_rolled_back_and_the_next_one_writes(core: Core) -> None:
    kept = _renamed(core, "一号")
    with pytest.raises(RuntimeError, match="failed after writing"):
        _renamed(core, "不该留下", fail=True)
    assert _name(core) == "一号"
    assert _renamed(core, "三号") is kept and _name(core) == "三号"


def test_an_invalidated_connection_is_replaced(core: Core) -> None:
    kept = _renamed(core, "一号")

    def lose() -> None:
        with core.db.begin() as db:
            db.connection().invalidate()  # as after a disk error SQLAlchemy gave up on
    with pytest.raises(PendingRollbackError):  # the flow learns its connection is gone
        core.db.write(lose)
    fresh = _renamed(core, "四号")
    assert fresh is not kept and _name(core) == "四号"


def test_dispose_closes_it(core: Core) -> None:
    _renamed(core, "一号")
    held = core.db._held
    assert held is not None and not held.closed
    core.db.dispose()
    assert held.closed and core.db._held is None
