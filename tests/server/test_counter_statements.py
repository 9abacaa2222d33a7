"""A counter action in few statements (issue 11): the window's people come with its lock.

Every counter action locks its window's row and answers with the window's view, which
shows who works it, its A and B posts and the 去向牌. The people are read in the lock's own
statement (`server.windows.service.lock_row`), not in one more; they are the people as
they are in that flow's transaction, never kept from an earlier one. On SQLite and on
PostgreSQL.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from sqlalchemy import select

from server.auth.models import Staff
from server.auth.principal import Principal
from server.core import Core
from server.halls import flows as hall_flows
from server.staffing import flows as staffing
from server.tickets import flows as tickets
from server.windows import flows as windows
from server.windows import service as window_service
from tests.factories import hall_config
from tests.staffing.conftest import ab_windows

KIOSK = Principal(roles=frozenset({"device", "kiosk"}), device_id=None)


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def ab(request: pytest.FixtureRequest) -> Core:
    """A core (SQLite, then PostgreSQL) whose window 2 names s2 (A) and s3 (B)."""
    core: Core = request.getfixturevalue("core" if request.param == "sqlite" else "pg_core")
    hall_flows.load(core, config=hall_config(windows=ab_windows()))
    return core


def person(core: Core, job_no: str) -> Principal:
    with core.db.read_session() as db:
        s = db.scalar(select(Staff).where(Staff.job_no == job_no))
        assert s is not None
        return Principal(roles=frozenset(s.roles), staff_id=s.id, hall_id=s.hall_id,
                         name=s.name, job_no=s.job_no)


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
    windows.finish(ab, hall="h1", window="2", outcome="done", actor=s2)
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
