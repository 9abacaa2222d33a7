"""The hall row a flow opens (`server.halls.day.open_hall`): a shared read-only copy that
follows every committed change, and a new day rolled over exactly once."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import pytest
from sqlalchemy import func, select, update

from server.audit.models import AuditEntry
from server.clock import ManualClock
from server.core import Core
from server.halls import flows as hall_flows
from server.halls.day import open_hall
from server.halls.models import Hall
from server.tickets import flows as tickets
from tests.server.test_concurrency import KIOSK, busy_hall_config


def test_the_copy_follows_a_change_committed_elsewhere(core: Core) -> None:
    hall_flows.load(core, config=busy_hall_config())
    tickets.issue(core, hall="h1", service="SB01", actor=KIOSK)  # the day is open
    now = core.clock.now()
    with core.db.begin() as db:
        first = open_hall(db, "h1", now)
    with core.db.begin() as db:
        assert open_hall(db, "h1", now) is first  # unchanged row: the same copy
    # Another writer (another process, an operator) renames the hall.
    with core.db.begin() as db:
        db.execute(update(Hall).where(Hall.code == "h1").values(name="新名字"))
    with core.db.begin() as db:
        again = open_hall(db, "h1", now)
    assert again is not first and again.name == "新名字"
    assert first.name != "新名字"  # a copy handed out earlier is never changed


def _rollovers(core: Core) -> int:
    with core.db.read_session() as db:
        return int(db.scalar(select(func.count()).select_from(AuditEntry)
                             .where(AuditEntry.action == "rollover")) or 0)


def _next_day(core: Core, clock: ManualClock) -> None:
    before = _rollovers(core)
    clock.advance(days=1)
    with ThreadPoolExecutor(8) as pool:
        issued = list(pool.map(
            lambda i: tickets.issue(core, hall="h1", service="SB01", actor=KIOSK), range(40)))
    assert sorted(int(t.number[1:]) for t in issued) == list(range(1, 41))
    assert _rollovers(core) == before + 1


def test_a_new_day_is_rolled_over_once_on_sqlite(core: Core, clock: ManualClock) -> None:
    hall_flows.load(core, config=busy_hall_config())
    tickets.issue(core, hall="h1", service="SB01", actor=KIOSK)
    _next_day(core, clock)


@pytest.mark.postgres
def test_a_new_day_is_rolled_over_once_on_postgres(pg_core: Core, clock: ManualClock) -> None:
    # Eight flows meet the new day at once: one locks the row (FOR NO KEY UPDATE) and
    # closes yesterday, the others find it done; none deadlocks with the others' inserts.
    hall_flows.load(pg_core, config=busy_hall_config())
    tickets.issue(pg_core, hall="h1", service="SB01", actor=KIOSK)
    for _ in range(3):
        _next_day(pg_core, clock)
