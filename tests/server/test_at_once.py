"""A plain kiosk ticket on PostgreSQL in one statement (`server.tickets.at_once`): it writes
exactly what the ordinary flow writes, and writes nothing (leaving the ticket to the
ordinary flow) whenever the hall's row is not the copy it decided on."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select, text

from server.app import create_app
from server.audit.models import AuditEntry
from server.auth import service as auth
from server.auth.principal import Principal
from server.clock import ManualClock
from server.core import Core
from server.errors import Refused
from server.events.bus import RecordingBus
from server.tickets import at_once, flows
from server.tickets.models import NumberCounter, Ticket

KIOSK = Principal(roles=frozenset({"device", "kiosk"}), device_id=None)


@pytest.fixture(autouse=True)
def fresh() -> Iterator[None]:
    at_once.SEEN.clear()
    yield
    at_once.SEEN.clear()


def once(core: Core, service: str = "SB01", **kw: Any) -> str | None:
    ticket = at_once.issue(core, hall="h1", service=service, priority=kw.pop("priority", "normal"),
                           channel="kiosk", actor=KIOSK, **kw)
    return None if ticket is None else ticket.number


def ordinary(core: Core, service: str = "SB01", **kw: Any) -> str:
    return flows.issue(core, hall="h1", service=service, actor=KIOSK, **kw).number


def primed(core: Core) -> None:
    """The ordinary flow caches the configuration, the statement learns the hall's row."""
    ordinary(core)
    assert once(core) is None  # nothing seen yet: it reads the row and writes nothing
    assert at_once.SEEN.get("h1") is not None


def counts(core: Core) -> tuple[int, int, int]:
    with core.db.read_session() as db:
        return (db.scalar(select(func.count()).select_from(Ticket)) or 0,
                db.scalar(select(func.coalesce(func.sum(NumberCounter.last), 0))) or 0,
                db.scalar(select(func.count()).select_from(AuditEntry)
                          .where(AuditEntry.action == "issue")) or 0)


def sql(core: Core, statement: str) -> None:
    """A change made by someone else (another process, an operator's tool)."""
    with core.db.begin() as db:
        db.execute(text(statement))


def test_it_writes_what_the_ordinary_flow_writes(pg_core: Core,
                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    primed(pg_core)
    first = ordinary(pg_core, priority="green", green_reason="elderly")
    # From here the ordinary flow must not run: the statement alone writes the ticket.
    monkeypatch.setattr(flows, "_issue", lambda *a, **k: pytest.fail("ordinary flow ran"))
    second = once(pg_core, priority="green", green_reason="elderly")
    assert (first, second) == ("A002", "A003")
    with pg_core.db.read_session() as db:
        a, b = db.scalars(select(Ticket).where(Ticket.number.in_([first, second]))
                          .order_by(Ticket.number)).all()
        skip = {"id", "number", "issued_at", "queued_at"}
        cols = [c.key for c in Ticket.__table__.c if c.key not in skip]
        assert {c: getattr(b, c) for c in cols} == {c: getattr(a, c) for c in cols}
        assert b.green_category == "elderly" and b.status == "waiting"
        assert b.issued_at == b.queued_at == pg_core.clock.now()
        entries = {e.ticket_id: e for e in db.scalars(
            select(AuditEntry).where(AuditEntry.action == "issue"))}
        ea, eb = entries[a.id], entries[b.id]
        assert (eb.hall_id, eb.staff_id, eb.device_id, eb.window_id, eb.detail, eb.at) == (
            ea.hall_id, ea.staff_id, ea.device_id, ea.window_id, ea.detail, b.issued_at)
        assert eb.detail == {"channel": "kiosk", "priority": "green",
                             "green_reason": "elderly"}


def test_numbers_past_999_read_as_the_ordinary_flow_formats_them(pg_core: Core) -> None:
    primed(pg_core)  # A001
    sql(pg_core, "UPDATE number_counters SET last = 997")
    assert [once(pg_core) for _ in range(4)] == ["A998", "A999", "A1000", "A1001"]
    assert ordinary(pg_core) == "A1002"
    assert once(pg_core, "BDC01") == "C001"  # a new prefix starts its counter


def test_a_change_to_the_hall_by_anyone_writes_nothing_and_is_seen_next(
        pg_core: Core) -> None:
    primed(pg_core)
    assert once(pg_core) == "A002"
    before = counts(pg_core)
    sql(pg_core, "UPDATE halls SET scroll_text = 'changed elsewhere'")
    assert once(pg_core) is None
    assert counts(pg_core) == before  # no ticket, no number taken, no audit entry
    seen = at_once.SEEN.get("h1")
    assert seen is not None and seen[1].scroll_text == "changed elsewhere"
    assert once(pg_core) == "A003"  # the renewed copy (its configuration unchanged)


def test_a_service_closed_by_another_process_is_refused_on_the_fresh_row(
        pg_core: Core, monkeypatch: pytest.MonkeyPatch) -> None:
    primed(pg_core)
    sql(pg_core, "UPDATE services SET active = false WHERE code = 'SB01'")
    sql(pg_core, "UPDATE halls SET config_version = config_version + 1")
    before = counts(pg_core)
    assert once(pg_core) is None  # the copy said open; the row has moved on
    assert once(pg_core) is None  # the new row's configuration is not cached here yet
    with pytest.raises(Refused) as err:
        ordinary(pg_core)
    assert err.value.code == "service_closed"
    # Refused on the current copy too: left to the ordinary flow, without a statement.
    ran: list[object] = []
    real = at_once._AT_ONCE.first_raw
    monkeypatch.setattr(at_once._AT_ONCE, "first_raw",
                        lambda *a, **k: ran.append(a) or real(*a, **k))
    assert once(pg_core) is None and ran == []
    assert counts(pg_core) == before


def test_a_new_day_goes_the_ordinary_way(pg_core: Core) -> None:
    primed(pg_core)
    assert once(pg_core) == "A002"
    clock = pg_core.clock
    assert isinstance(clock, ManualClock)
    clock.advance(days=1)
    assert once(pg_core) is None  # the copy's day is yesterday: nothing decided on it
    assert ordinary(pg_core) == "A001"  # the ordinary flow rolls the day over
    assert once(pg_core) is None  # the row changed (its day)
    assert once(pg_core) == "A002"
    # A day rolled back under it (a restore): its digest no longer matches.
    sql(pg_core, "UPDATE halls SET business_day = business_day - 1")
    assert once(pg_core) is None


def test_a_ticket_with_an_id_number_or_required_one_is_not_taken(pg_core: Core) -> None:
    primed(pg_core)
    sql(pg_core, "UPDATE halls SET rules = CAST(CAST(rules AS jsonb) || "
                 "'{\"require_id_number\": true}' AS json), "
                 "config_version = config_version + 1")
    assert once(pg_core) is None
    with pytest.raises(Refused) as err:
        ordinary(pg_core)
    assert err.value.code == "id_required"
    assert once(pg_core) is None  # the copy requires an ID number now


def test_it_publishes_as_the_ordinary_flow(pg_core: Core) -> None:
    primed(pg_core)
    bus = pg_core.bus
    assert isinstance(bus, RecordingBus)
    bus.events.clear()
    assert once(pg_core, "SB02") == "A002"
    kinds = [e["type"] for _, e in bus.events]
    assert kinds[:2] == ["ticket_issued", "queue"], kinds
    assert bus.of_type("ticket_issued")[0]["ticket"] == "A002"
    assert bus.of_type("queue")[-1]["waiting"]["SB02"] == 1
    with pg_core.db.read_session() as db:
        ahead = flows.get(pg_core, ticket_id=db.scalar(
            select(Ticket.id).where(Ticket.number == "A002"))).ahead
    assert ahead == 0  # SB02's queue: A002 alone


def test_the_sqlite_core_never_takes_it(core: Core) -> None:
    ordinary(core)
    assert once(core) is None
    assert at_once.SEEN.get("h1") is None


def test_concurrent_issues_take_every_number_once(pg_core: Core) -> None:
    primed(pg_core)  # A001
    numbers: list[str] = []
    errors: list[BaseException] = []
    lock = threading.Lock()

    def kiosk(n: int) -> None:
        try:
            for i in range(25):
                # Both ways at once, as when a copy goes stale under load.
                got = (once(pg_core) if (n + i) % 3 else None) or ordinary(pg_core)
                with lock:
                    numbers.append(got)
        except BaseException as err:  # pragma: no cover - reported below
            errors.append(err)

    threads = [threading.Thread(target=kiosk, args=(n,)) for n in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    assert sorted(numbers) == [f"A{n:03d}" for n in range(2, 202)]
    tickets, taken, entries = counts(pg_core)
    assert (tickets, taken, entries) == (201, 201, 201)


def test_a_kiosk_over_http_gets_the_same_answer_either_way(
        pg_core: Core, monkeypatch: pytest.MonkeyPatch) -> None:
    _, token = auth.register_device(pg_core, hall="h1", name="kiosk-a", kind="kiosk")
    headers = {"Authorization": f"Bearer {token}"}
    with TestClient(create_app(pg_core)) as client:
        answers = [client.post("/api/v1/halls/h1/tickets", json={"service": "SB01"},
                               headers=headers) for _ in range(2)]  # the ordinary way
        taken: list[str] = []
        real = at_once.issue

        def spy(*args: Any, **kw: Any) -> Any:
            ticket = real(*args, **kw)
            if ticket is not None:
                taken.append(ticket.number)
            return ticket

        monkeypatch.setattr(at_once, "issue", spy)
        answers.append(client.post("/api/v1/halls/h1/tickets", json={"service": "SB01"},
                                   headers=headers))
        unknown = client.post("/api/v1/halls/h1/tickets", json={"service": "NOPE"},
                              headers=headers)
    assert [r.status_code for r in answers] == [201, 201, 201]
    assert taken == ["A003"]  # the third, in one statement
    ordinary_answer, statement_answer = answers[1].json(), answers[2].json()
    assert set(statement_answer) == set(ordinary_answer)
    assert statement_answer["number"] == "A003" and statement_answer["ahead"] == 2
    # Printed as the others: a print job of its own for the kiosk's agent.
    jobs = [r.headers.get("x-print-job") for r in answers]
    assert all(jobs) and len(set(jobs)) == 3
    assert unknown.status_code == 404 and unknown.json()["code"] == "unknown_service"
