"""The queue engine as pure functions: routing, priority order, estimates, requeue."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from hypothesis import given, settings
from hypothesis import strategies as st

from server.tickets import engine
from server.tickets.engine import (
    QueuedTicket,
    RankRules,
    ServiceInfo,
    ServingEntry,
    WindowScope,
)

T0 = datetime(2026, 11, 23, 2, 0, tzinfo=UTC)
SERVICES = [
    ServiceInfo(1, 10, "general"),  # 社保
    ServiceInfo(2, 10, "general"),  # 社保
    ServiceInfo(3, 20, "general"),  # 不动产
    ServiceInfo(4, 30, "general"),  # 医保
    ServiceInfo(5, None, "special"),  # 综合咨询
]


def t(id_: str, service: int = 1, minutes: float = 0, priority: str = "normal",
      **kw: object) -> QueuedTicket:
    at = T0 + timedelta(minutes=minutes)
    return QueuedTicket(id=id_, number=id_, service_id=service, priority=priority,
                        issued_at=at, queued_at=kw.pop("queued_at", at), **kw)  # type: ignore[arg-type]


def test_any_matter_window_serves_every_general_service_but_no_special_one() -> None:
    scope = engine.window_scope(1, "any", [], SERVICES)
    assert scope.services == {1, 2, 3, 4}
    assert scope.primary == {1, 2, 3, 4}


def test_domain_window_serves_its_domains_with_backups_not_primary() -> None:
    scope = engine.window_scope(2, "domain", [ServingEntry(domain_id=10),
                                              ServingEntry(domain_id=30, primary=False)],
                                SERVICES)
    assert scope.services == {1, 2, 4}
    assert scope.primary == {1, 2}


def test_special_window_serves_only_what_it_names() -> None:
    scope = engine.window_scope(4, "special", [ServingEntry(service_id=5)], SERVICES)
    assert scope.services == {5} and scope.primary == {5}


def test_green_channel_first_then_due_appointment_then_longest_waiting() -> None:
    scope = WindowScope(1, frozenset({1, 2}), frozenset({1, 2}))
    now = T0 + timedelta(minutes=30)
    slot = now - timedelta(minutes=5)
    tickets = [
        t("old", minutes=0),
        t("appt", minutes=20, priority="appointment", slot_start=slot,
          slot_end=slot + timedelta(minutes=30)),
        t("green", minutes=25, priority="green"),
        t("new", minutes=10, service=2),
    ]
    ranked = engine.rank(tickets, scope, now, RankRules())
    assert [x.id for x in ranked] == ["green", "appt", "old", "new"]


def test_appointment_before_its_slot_waits_like_everyone_else() -> None:
    scope = WindowScope(1, frozenset({1}), frozenset({1}))
    now = T0 + timedelta(minutes=30)
    later = now + timedelta(hours=2)
    tickets = [t("appt", minutes=20, priority="appointment", slot_start=later,
                 slot_end=later + timedelta(minutes=30)), t("walkin", minutes=5)]
    assert [x.id for x in engine.rank(tickets, scope, now, RankRules())] == ["walkin", "appt"]


def test_primary_services_weighted_ahead_of_backup_ones() -> None:
    scope = WindowScope(2, frozenset({1, 4}), frozenset({1}))
    backup_older = t("backup", service=4, minutes=0)
    primary_newer = t("primary", service=1, minutes=5)
    now = T0 + timedelta(minutes=20)
    bonus = RankRules(primary_bonus_s=600)
    assert engine.rank([backup_older, primary_newer], scope, now, bonus)[0].id == "primary"
    # A backup ticket that has waited more than the bonus longer goes first.
    much_older = t("backup", service=4, minutes=-20)
    assert engine.rank([much_older, primary_newer], scope, now, bonus)[0].id == "backup"
    strict = RankRules(primary_first=True)
    assert engine.rank([much_older, primary_newer], scope, now, strict)[0].id == "primary"


def test_transferred_to_a_window_only_that_window_may_call() -> None:
    moved = t("moved", service=3, target_window_id=7)
    assert engine.callable_by(moved, WindowScope(7, frozenset(), frozenset()))
    assert not engine.callable_by(moved, WindowScope(8, frozenset({3}), frozenset({3})))


def test_ahead_counts_same_service_tickets_ranked_before() -> None:
    queue = [t("a", minutes=0), t("b", minutes=1), t("c", service=2, minutes=0.5),
             t("g", minutes=3, priority="green"), t("d", minutes=2)]
    now = T0 + timedelta(minutes=10)
    assert engine.ahead_of(queue[4], queue, now, RankRules()) == 3  # a, b and green g
    assert engine.ahead_of(queue[0], queue, now, RankRules()) == 1  # only the green one


def test_estimate_shares_the_line_over_serving_windows() -> None:
    assert engine.estimate_wait_s(0, 600, 2) == 0
    assert engine.estimate_wait_s(4, 600, 2) == 1200
    assert engine.estimate_wait_s(3, 300, 0) == 900  # no window serving: one assumed


def test_requeue_goes_back_after_the_given_number_of_places() -> None:
    places = [T0 + timedelta(minutes=m) for m in (0, 1, 2, 3)]
    now = T0 + timedelta(minutes=30)
    back = engine.requeue_place(places, 2, now)
    assert places[1] < back < places[2]
    assert engine.requeue_place(places, 10, now) == now
    assert engine.requeue_place([], 3, now) == now
    assert engine.requeue_place(places, 0, now) < places[0]


# --- properties -------------------------------------------------------------------------

scopes = st.lists(
    st.tuples(st.sampled_from(["any", "domain", "special"]),
              st.lists(st.sampled_from([10, 20, 30]), max_size=2),
              st.lists(st.sampled_from([1, 2, 3, 4, 5]), max_size=2)),
    min_size=1, max_size=4)
queues = st.lists(
    st.tuples(st.sampled_from([1, 2, 3, 4, 5]), st.integers(0, 300),
              st.sampled_from(["normal", "normal", "green", "appointment"]),
              st.one_of(st.none(), st.integers(1, 4))),
    max_size=40)


@settings(max_examples=200, deadline=None)
@given(scopes, queues, st.integers(0, 1200), st.booleans())
def test_every_waiting_ticket_is_called_exactly_once_when_some_window_serves_it(
    windows: list[tuple[str, list[int], list[int]]],
    tickets: list[tuple[int, int, str, int | None]],
    bonus: int, strict: bool,
) -> None:
    """Windows take turns calling; each ticket is called once, and every ticket some
    window may call is called before the queue runs dry."""
    rules = RankRules(primary_bonus_s=bonus, primary_first=strict)
    all_scopes = [
        engine.window_scope(i + 1, kind, [ServingEntry(domain_id=d) for d in domains]
                            + [ServingEntry(service_id=s) for s in services], SERVICES)
        for i, (kind, domains, services) in enumerate(windows)
    ]
    waiting = [
        t(f"T{i}", service=svc, minutes=minute, priority=prio,
          slot_start=T0 + timedelta(minutes=minute) if prio == "appointment" else None,
          slot_end=T0 + timedelta(minutes=minute + 30) if prio == "appointment" else None,
          target_window_id=target if target and target <= len(windows) else None)
        for i, (svc, minute, prio, target) in enumerate(tickets)
    ]
    now = T0 + timedelta(minutes=150)
    called: list[str] = []
    remaining = list(waiting)
    progress = True
    while progress:
        progress = False
        for scope in all_scopes:
            ranked = engine.rank(remaining, scope, now, rules)
            if ranked:
                called.append(ranked[0].id)
                remaining.remove(ranked[0])
                progress = True
    assert len(called) == len(set(called))
    for ticket in remaining:
        assert not any(engine.callable_by(ticket, s) for s in all_scopes)
    assert {x.id for x in waiting} == set(called) | {x.id for x in remaining}


@settings(max_examples=200, deadline=None)
@given(queues)
def test_green_tickets_are_always_ranked_before_ordinary_ones(
    tickets: list[tuple[int, int, str, int | None]],
) -> None:
    scope = WindowScope(1, frozenset({1, 2, 3, 4, 5}), frozenset({1, 2}))
    waiting = [t(f"T{i}", service=s, minutes=m, priority=p)
               for i, (s, m, p, _) in enumerate(tickets)]
    ranked = engine.rank(waiting, scope, T0 + timedelta(hours=6), RankRules())
    seen_other = False
    for ticket in ranked:
        if ticket.priority != "green":
            seen_other = True
        else:
            assert not seen_other
