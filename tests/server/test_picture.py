"""Each hall's queue in memory (server.tickets.picture) against the database, the truth.

- A window calls in the engine's full ranking order with far more than `CLAIM_ATTEMPTS`
  tickets waiting per service, green and appointment tickets among them, and both the
  picture's lazy merge (`best`) and the database's candidates rank like the full queue;
  `best` also equals the full ranking's first tickets on random pictures (hypothesis).
- A hypothesis state machine plays random flows (issue, call-next, 指定呼叫, no-show,
  finish, transfer, requeue, cancel, re-issue, a process restart) and checks after each
  step that every core's picture equals what a fresh computation from the database gives:
  on SQLite with one core, and on PostgreSQL with two cores following each other over Redis.
"""

from __future__ import annotations

import threading
import uuid
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
import redis
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, precondition, rule
from sqlalchemy import select

from server.app import build_core
from server.auth.models import Staff
from server.auth.principal import Principal
from server.clock import ManualClock
from server.core import Core
from server.counter import service as counter
from server.counter.service import WAITING_SHOWN
from server.errors import HallqError
from server.events import snapshots
from server.events.redis_bus import RedisBus
from server.halls import flows as hall_flows
from server.halls import service as halls
from server.kiosk import service as kiosk
from server.settings import Settings
from server.tickets import at_once, engine
from server.tickets import flows as tickets
from server.tickets import service as ticket_service
from server.tickets.models import Ticket
from server.tickets.picture import Change, HallPicture, generation
from server.tickets.schemas import AppointmentCreate
from server.windows import flows as windows
from server.windows.flows import CLAIM_ATTEMPTS
from tests.conftest import make_core
from tests.factories import MONDAY_10, hall_config
from tests.loop_thread import LoopThread

KIOSK = Principal(roles=frozenset({"device", "kiosk"}), device_id=None)
WINDOWS = ("1", "2", "3")
SERVICES = ("SB01", "SB02", "YB01", "BDC01")


def staff(core: Core, job_no: str) -> Principal:
    with core.db.read_session() as db:
        s = db.scalar(select(Staff).where(Staff.job_no == job_no))
        assert s is not None
        return Principal(roles=frozenset(s.roles), staff_id=s.id, hall_id=s.hall_id,
                         name=s.name, job_no=s.job_no)


def truth(core: Core) -> tuple[Any, Any, dict[str, engine.QueuedTicket], dict[str, int]]:
    """The hall, its configuration, its waiting tickets and their generations, from the DB."""
    with core.db.read_session() as db:
        hall = halls.get_hall(db, "h1")
        snap = core.cache.get(db, hall)
        rows = db.scalars(select(Ticket).where(Ticket.hall_id == hall.id,
                                               Ticket.status == "waiting")).all()
        return (hall, snap, {t.id: ticket_service.queued(t) for t in rows},
                {t.id: generation(t) for t in rows})


def the_picture(core: Core) -> HallPicture:
    """The core's picture of the hall as it holds it (loaded if it holds none)."""
    with core.db.read_session() as db:
        hall = halls.get_hall(db, "h1")
        held = core.pictures.held(hall.id)
        return held if held is not None else core.pictures.get(db, hall)


def check_picture(core: Core) -> None:
    """The picture equals a fresh computation from the database in every respect used."""
    _, snap, waiting, _ = truth(core)
    pic = the_picture(core)
    assert pic.waiting() == waiting
    counts: dict[int, int] = {}
    for t in waiting.values():
        counts[t.service_id] = counts.get(t.service_id, 0) + 1
    assert pic.counts() == counts
    # What every kiosk shows per service, counted from the picture.
    by_code = {s.id: s.code for s in snap.services.values()}
    shown = {row["code"]: row["waiting"] for group in kiosk.overview(core, hall="h1")["domains"]
             for row in group["services"]}
    assert shown == {code: counts.get(sid, 0) for sid, code in by_code.items()}
    now = core.clock.now()
    for t in waiting.values():
        assert pic.ahead(t, now, snap.rank) == engine.ahead_of(
            t, waiting.values(), now, snap.rank), t.number
    # The priority tickets of other services (and those sent to its windows) that come
    # first: the picture's count equals the database's statement for every waiting ticket.
    with core.db.read_session() as db:
        for t in waiting.values():
            window_ids, services = ticket_service.first_scope(snap, t.service_id)
            assert pic.served_first(t, window_ids, services, now, snap.rank) == \
                ticket_service.served_first(db, snap, t, now), t.number
    for scope in snap.scopes.values():
        full = engine.rank(waiting.values(), scope, now, snap.rank)
        assert pic.best(scope, now, snap.rank, CLAIM_ATTEMPTS) == full[:CLAIM_ATTEMPTS]
        assert pic.callable(scope) == len(full)


# -- the ranking a window calls from ----------------------------------------------------


def test_a_window_calls_in_the_full_ranking_order(core: Core, clock: ManualClock) -> None:
    admin = staff(core, "root")
    now = clock.now()
    # Three bookings: two due now, one for later (checked in early: not due yet).
    for k, (code, start) in enumerate((("YY0001", 5), ("YY0002", 10), ("YY0003", 60))):
        tickets.create_appointment(core, hall="h1", actor=admin, body=AppointmentCreate(
            service="SB02" if code != "YY0002" else "YB01", code=code,
            slot_start=(now + timedelta(minutes=start)).isoformat(),
            slot_end=(now + timedelta(minutes=start + 30)).isoformat(),
            phone=f"1380000000{k}"))
    # 25 tickets per service of window 2 (SB01, SB02 primary; YB01 backup) and more;
    # green tickets only after the first 16 of their service.
    for i in range(25):
        for service in ("SB01", "SB02", "YB01", "BDC01"):
            green = i >= 18 and i % 3 == 0 and service in ("SB01", "YB01")
            tickets.issue(core, hall="h1", service=service, actor=KIOSK,
                          priority="green" if green else "normal")
            clock.advance(seconds=7)
        if i == 20:
            for code in ("YY0001", "YY0002", "YY0003"):
                tickets.check_in(core, hall="h1", code=code, actor=KIOSK)
    who = staff(core, "s2")
    windows.sign_in(core, hall="h1", window="2", post="A", actor=who)
    _, snap, waiting, _ = truth(core)
    scope = snap.scopes[next(w.id for w in snap.windows.values() if w.number == "2")]
    per_service = {sid: sum(1 for t in waiting.values() if t.service_id == sid)
                   for sid in scope.services}
    assert min(per_service.values()) > CLAIM_ATTEMPTS
    assert {t.priority for t in waiting.values()} == {"normal", "green", "appointment"}
    called = 0
    while True:
        hall, snap, waiting, _ = truth(core)
        now = clock.now()
        full = engine.rank(waiting.values(), scope, now, snap.rank)
        with core.db.read_session() as db:
            from_db = engine.rank(ticket_service.candidates(
                db, hall_id=hall.id, scope=scope, per_service=CLAIM_ATTEMPTS),
                scope, now, snap.rank)
        best = the_picture(core).best(scope, now, snap.rank, CLAIM_ATTEMPTS)
        assert from_db[:CLAIM_ATTEMPTS] == full[:CLAIM_ATTEMPTS]
        assert best == full[:CLAIM_ATTEMPTS]
        # The counter's waiting list (its first 50) and the screens' next ticket.
        desk = counter.desk(core, hall="h1", window="2", actor=who)
        assert [r["ticket_id"] for r in desk["waiting"]] == [t.id for t in full[:WAITING_SHOWN]]
        assert desk["waiting_total"] == len(full)
        assert snapshots.next_tickets(core, hall="h1", window="2")["windows"] == {
            "2": full[0].number if full else None}
        out = windows.call_next(core, hall="h1", window="2", actor=who)
        if not full:
            assert out.ticket is None
            break
        assert out.ticket is not None and out.ticket.id == full[0].id
        windows.finish(core, hall="h1", window="2", outcome="completed", actor=who)
        called += 1
        clock.advance(seconds=20)
    assert called == 3 * 25 + 3  # every ticket window 2 serves, appointments included


_T0 = MONDAY_10.replace(tzinfo=None)


@st.composite
def queues(draw: st.DrawFn) -> tuple[list[engine.QueuedTicket], engine.WindowScope,
                                     engine.RankRules]:
    """A window's scope and rules, and waiting tickets of its services and of others:
    ordinary, green, appointments due and not due, transferred to it and to another."""
    services = draw(st.integers(1, 5))
    served = draw(st.sets(st.integers(0, services - 1), min_size=1))
    primary = draw(st.sets(st.sampled_from(sorted(served))))
    rules = engine.RankRules(primary_bonus_s=draw(st.sampled_from([0, 60, 600])),
                             primary_first=draw(st.booleans()))
    out = []
    for i in range(draw(st.integers(0, 60))):
        kind = draw(st.sampled_from(["normal"] * 6 + ["green", "appointment", "target"]))
        # Coarse times: ties in the place in time and in the issue time happen.
        issued = _T0 + timedelta(seconds=draw(st.integers(0, 40)) * 30)
        queued = issued + timedelta(seconds=draw(st.sampled_from([0, 0, 90, 700])))
        slot = _T0 + timedelta(minutes=draw(st.integers(-60, 60)))
        out.append(engine.QueuedTicket(
            id=f"t{i}", number=f"A{i:03d}", service_id=draw(st.integers(0, services - 1)),
            priority="normal" if kind == "target" else kind, issued_at=issued,
            queued_at=queued, slot_start=slot if kind == "appointment" else None,
            slot_end=slot + timedelta(minutes=30) if kind == "appointment" else None,
            target_window_id=draw(st.sampled_from([1, 2])) if kind == "target" else None))
    return out, engine.WindowScope(1, frozenset(served), frozenset(primary)), rules


@settings(max_examples=300, deadline=None)
@given(queues(), st.integers(1, 20), st.integers(0, 40))
def test_best_is_the_full_rankings_first(
        queue: tuple[list[engine.QueuedTicket], engine.WindowScope, engine.RankRules],
        n: int, minutes: int) -> None:
    """The picture's lazy merge gives exactly the engine's full ranking's first `n`."""
    waiting, scope, rules = queue
    pic = HallPicture(1, "h1", None, None, shared=False)
    pic.apply([Change(1, "h1", t.id, 0, t) for t in waiting])
    now = _T0 + timedelta(minutes=minutes)
    ranked = engine.rank(waiting, scope, now, rules)
    assert pic.best(scope, now, rules, n) == ranked[:n]
    assert pic.callable(scope) == len(ranked)


# -- the picture against the database after random flows --------------------------------


class Cluster:
    """One core on SQLite, or two cores on one PostgreSQL following each other over Redis
    (as two processes would: their own engines, pools, caches, pictures and buses)."""

    def __init__(self, url: str, clock: ManualClock, redis_url: str | None) -> None:
        self.url, self.clock, self.redis_url = url, clock, redis_url
        self.prefix = f"t{uuid.uuid4().hex[:10]}"
        self.loop = LoopThread() if redis_url else None
        self.cores: list[Core] = [self._start() for _ in range(2 if redis_url else 1)]

    def _start(self) -> Core:
        if self.redis_url is None:
            return make_core(self.url, self.clock)
        bus = RedisBus(self.redis_url, prefix=self.prefix)
        core = build_core(Settings(database_url=self.url, pepper="test-pepper",
                                   redis_url=self.redis_url), clock=self.clock, bus=bus)
        assert self.loop is not None
        self.loop.run(bus.start())
        return core

    def _stop(self, core: Core) -> None:
        if self.loop is not None:
            self.loop.run(core.bus.stop())
        core.bus.close()
        core.db.dispose()

    def restart(self, i: int) -> None:
        """A process ends and a new one takes its place (nothing kept in memory)."""
        self._stop(self.cores[i])
        self.cores[i] = self._start()

    def settle(self) -> None:
        """Wait until every core has applied every event published so far (Redis): a
        marker goes out after them, and one channel delivers in order."""
        if self.redis_url is None:
            return
        self.cores[0].bus.publish("h1", {"type": "settle"})
        client = redis.Redis.from_url(self.redis_url)
        try:
            last = int(client.get(f"{self.prefix}:seq:h1") or 0)
        finally:
            client.close()
        for core in self.cores:
            with core.db.read_session() as db:
                hall_id = halls.get_hall(db, "h1").id
            arrived = threading.Event()
            for _ in range(600):
                pic = core.pictures.held(hall_id)
                # A core holding no picture of h1 does not follow it: nothing to receive.
                bus = core.bus
                idle = pic is None and isinstance(bus, RedisBus) and "h1" not in bus.following()
                if idle or (core.bus.current_seq("h1") >= last and (
                        pic is None or (pic.last_seq or 0) >= last)):
                    arrived.set()
                    break
                arrived.wait(0.05)
            assert arrived.is_set(), "a core did not receive the events published over Redis"

    def close(self) -> None:
        for core in self.cores:
            self._stop(core)
        if self.loop is not None:
            self.loop.close()


class PictureMachine(RuleBasedStateMachine):
    """Random flows on random cores; every picture always equals the database."""

    cluster: Cluster  # set by the test before running

    def __init__(self) -> None:
        super().__init__()
        self.numbers: list[str] = []
        self.ids: list[str] = []

    def core(self, i: int) -> Core:
        return self.cluster.cores[i % len(self.cluster.cores)]

    def who(self, window: str) -> Principal:
        return staff(self.core(0), f"s{window}")

    def attempt(self, fn: Callable[[], Any]) -> Any:
        try:
            return fn()
        except HallqError:  # refused, conflict, not found: the flow said no, cleanly
            return None

    @rule(i=st.integers(0, 1), service=st.sampled_from(SERVICES),
          green=st.booleans(), seconds=st.integers(0, 90), plain=st.booleans())
    def issue(self, i: int, service: str, green: bool, seconds: int, plain: bool) -> None:
        self.cluster.clock.advance(seconds=seconds)
        priority = "green" if green and seconds % 4 == 0 else "normal"
        # `plain`: the kiosk's way, on PostgreSQL in one statement where it can be.
        t = plain and at_once.issue(self.core(i), hall="h1", service=service, actor=KIOSK,
                                    priority=priority, channel="kiosk",
                                    green_reason="elderly" if priority == "green" else None)
        t = t or tickets.issue(self.core(i), hall="h1", service=service, actor=KIOSK,
                               priority=priority)
        self.numbers.append(t.number)
        self.ids.append(t.id)

    @rule(i=st.integers(0, 1), window=st.sampled_from(WINDOWS))
    def call_next(self, i: int, window: str) -> None:
        self.attempt(lambda: windows.call_next(self.core(i), hall="h1", window=window,
                                               actor=self.who(window)))

    @precondition(lambda self: bool(self.numbers))
    @rule(i=st.integers(0, 1), window=st.sampled_from(WINDOWS), pick=st.integers(0, 10**6))
    def call_specific(self, i: int, window: str, pick: int) -> None:
        number = self.numbers[pick % len(self.numbers)]
        self.attempt(lambda: windows.call_specific(self.core(i), hall="h1", window=window,
                                                   number=number, actor=self.who(window)))

    @rule(i=st.integers(0, 1), window=st.sampled_from(WINDOWS),
          what=st.sampled_from(["no_show", "finish", "start", "recall"]))
    def at_window(self, i: int, window: str, what: str) -> None:
        core, who = self.core(i), self.who(window)
        flows: dict[str, Callable[[], Any]] = {
            "no_show": lambda: windows.no_show(core, hall="h1", window=window, actor=who),
            "finish": lambda: windows.finish(core, hall="h1", window=window,
                                             outcome="completed", actor=who),
            "start": lambda: windows.start(core, hall="h1", window=window, actor=who),
            "recall": lambda: windows.recall(core, hall="h1", window=window, actor=who),
        }
        self.attempt(flows[what])

    @rule(i=st.integers(0, 1), window=st.sampled_from(WINDOWS),
          to=st.sampled_from(["SB02", "BDC01", "window:1", "window:3"]))
    def transfer(self, i: int, window: str, to: str) -> None:
        kw = {"to_window": to[7:]} if to.startswith("window:") else {"service": to}
        self.attempt(lambda: windows.transfer(self.core(i), hall="h1", window=window,
                                              actor=self.who(window), **kw))

    @precondition(lambda self: bool(self.numbers))
    @rule(i=st.integers(0, 1), pick=st.integers(0, 10**6))
    def requeue(self, i: int, pick: int) -> None:
        number = self.numbers[pick % len(self.numbers)]
        self.attempt(lambda: tickets.requeue(self.core(i), hall="h1", number=number,
                                             actor=KIOSK))

    @precondition(lambda self: bool(self.ids))
    @rule(i=st.integers(0, 1), pick=st.integers(0, 10**6), reissue=st.booleans())
    def cancel_or_reissue(self, i: int, pick: int, reissue: bool) -> None:
        ticket_id = self.ids[pick % len(self.ids)]
        core, desk = self.core(i), staff(self.core(i), "op")
        if reissue:
            t = self.attempt(lambda: tickets.reissue(core, hall="h1", ticket_id=ticket_id,
                                                     service=None, actor=desk))
            if t is not None:
                self.numbers.append(t.number)
                self.ids.append(t.id)
        else:
            self.attempt(lambda: tickets.cancel(core, hall="h1", ticket_id=ticket_id,
                                                reason="left", actor=desk))

    @rule(i=st.integers(0, 1))
    def restart(self, i: int) -> None:
        self.cluster.restart(i % len(self.cluster.cores))

    @invariant()
    def every_picture_equals_the_database(self) -> None:
        self.cluster.settle()
        for core in self.cluster.cores:
            check_picture(core)


def _fresh_hall(core: Core) -> None:
    hall_flows.load(core, config=hall_config(rules={"daily_limit_per_person": 0,
                                                    "issue_cutoff_min": 0}))
    for window in WINDOWS:
        windows.sign_in(core, hall="h1", window=window, post="A",
                        actor=staff(core, f"s{window}"))


def test_picture_follows_the_database_sqlite(tmp_path: Path) -> None:
    clusters: list[Cluster] = []

    class Fresh(PictureMachine):
        def __init__(self) -> None:
            clock = ManualClock(MONDAY_10)
            cluster = Cluster(f"sqlite:///{tmp_path / f'h{len(clusters)}.db'}", clock, None)
            _fresh_hall(cluster.cores[0])
            clusters.append(cluster)
            Fresh.cluster = cluster
            super().__init__()

        def teardown(self) -> None:
            self.cluster.close()

    case = Fresh.TestCase
    case.settings = settings(max_examples=6, stateful_step_count=25, deadline=None,
                             suppress_health_check=list(HealthCheck))
    case().runTest()
    assert clusters  # the machine ran


@pytest.mark.postgres
@pytest.mark.redis
def test_picture_follows_the_database_two_cores_postgres(pg_url: str) -> None:
    from tests.conftest import redis_url

    clusters: list[Cluster] = []

    class Fresh(PictureMachine):
        def __init__(self) -> None:
            clock = ManualClock(MONDAY_10 + timedelta(days=len(clusters) * 7))
            cluster = Cluster(pg_url, clock, redis_url())
            if not clusters:
                _fresh_hall(cluster.cores[0])
            else:  # the same database: start the next example on a new business day
                for window in WINDOWS:
                    windows.sign_in(cluster.cores[0], hall="h1", window=window, post="A",
                                    actor=staff(cluster.cores[0], f"s{window}"))
            clusters.append(cluster)
            Fresh.cluster = cluster
            super().__init__()

        def teardown(self) -> None:
            self.cluster.close()

    case = Fresh.TestCase
    # No shrinking: each step costs real round trips; a failure prints its steps as found.
    case.settings = settings(max_examples=4, stateful_step_count=20, deadline=None,
                             phases=[Phase.explicit, Phase.generate],
                             suppress_health_check=list(HealthCheck))
    case().runTest()
    assert clusters  # the machine ran


@pytest.mark.postgres
@pytest.mark.redis
def test_tickets_issued_in_one_statement_reach_both_cores_pictures(pg_url: str) -> None:
    """The machine above issues in one statement only when its random steps allow it;
    here it surely does, on each of two cores, and both pictures still equal the
    database."""
    from tests.conftest import redis_url

    at_once.SEEN.clear()
    cluster = Cluster(pg_url, ManualClock(MONDAY_10), redis_url())
    try:
        _fresh_hall(cluster.cores[0])
        taken = []
        for core in cluster.cores:
            tickets.issue(core, hall="h1", service="SB01", actor=KIOSK)  # caches the config
            at_once.issue(core, hall="h1", service="SB01", priority="normal",
                          channel="kiosk", actor=KIOSK)  # learns the row if it must
            for service in ("SB01", "SB02", "BDC01"):
                t = at_once.issue(core, hall="h1", service=service, priority="normal",
                                  channel="kiosk", actor=KIOSK)
                assert t is not None, "not issued in one statement"
                taken.append(t.number)
        assert len(set(taken)) == 6
        cluster.settle()
        for core in cluster.cores:
            check_picture(core)
    finally:
        cluster.close()
        at_once.SEEN.clear()
