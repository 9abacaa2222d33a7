"""The alert rules as pure functions of a hall's state and a controlled `now`."""

from __future__ import annotations

from datetime import datetime, timedelta

from server.monitoring import rules
from tests.factories import MONDAY_10

T0 = MONDAY_10
OPEN = T0.replace(hour=8, minute=30)


def _window(number: str, **kw: object) -> rules.WindowState:
    base: dict[str, object] = dict(id=int(number), number=number, open=True, staffed=True,
                                   empty_since=None, paused_reason=None, paused_at=None,
                                   services=frozenset({1}))
    base.update(kw)
    return rules.WindowState(**base)  # type: ignore[arg-type]


def _ticket(i: int, issued: datetime, service_id: int = 1) -> rules.WaitingTicket:
    return rules.WaitingTicket(f"t{i}", f"A{i:03d}", "SB01", service_id, issued)


def kinds(state: rules.HallState, now: datetime) -> list[str]:
    return sorted(a.kind for a in rules.evaluate(state, now))


def test_long_wait_fires_at_the_limit_not_before() -> None:
    state = rules.HallState(rules.Thresholds(max_wait_min=20), OPEN,
                            waiting=[_ticket(1, T0)])
    assert rules.long_waits(state, T0 + timedelta(minutes=19, seconds=59)) == []
    [alert] = rules.long_waits(state, T0 + timedelta(minutes=20))
    assert alert.cond == "long_wait:t1" and alert.detail["wait_min"] == 20


def test_group_waiting_suggests_windows_that_can_help() -> None:
    windows = [_window("1", services=frozenset({1, 2})), _window("2", services=frozenset({1})),
               _window("3", services=frozenset({1}))]
    waiting = [_ticket(i, T0) for i in range(4)]
    state = rules.HallState(rules.Thresholds(group_waiting=3), OPEN, waiting=waiting,
                            windows=windows)
    alerts = rules.group_waiting(state, T0)
    by_label = {a.subject: a for a in alerts}
    # windows 2 and 3 form one group (same services); window 1 can take their tickets.
    assert by_label["2,3"].detail["waiting"] == 4 and by_label["2,3"].detail["helpers"] == ["1"]
    # exactly N waiting is not "more than N"
    assert rules.group_waiting(rules.HallState(rules.Thresholds(group_waiting=4), OPEN,
                                               waiting=waiting, windows=windows), T0) == []


def test_empty_window_after_15_minutes_only_in_opening_hours() -> None:
    w = _window("3", staffed=False, empty_since=T0)
    state = rules.HallState(rules.Thresholds(), OPEN, windows=[w])
    assert rules.empty_windows(state, T0 + timedelta(minutes=14)) == []
    [alert] = rules.empty_windows(state, T0 + timedelta(minutes=15))
    assert alert.kind == "window_empty" and alert.severity == "critical"
    # closed over lunch: no alarm, and the clock restarts when the hall opens again
    lunch = rules.HallState(rules.Thresholds(), None, windows=[w])
    assert rules.empty_windows(lunch, T0 + timedelta(hours=3)) == []
    afternoon = T0.replace(hour=13, minute=30)
    pm = rules.HallState(rules.Thresholds(), afternoon, windows=[w])
    assert rules.empty_windows(pm, afternoon + timedelta(minutes=10)) == []
    assert len(rules.empty_windows(pm, afternoon + timedelta(minutes=15))) == 1


def test_b_post_taking_over_or_closed_window_stops_the_alarm() -> None:
    staffed = _window("3", staffed=True, empty_since=None)
    closed = _window("4", open=False, staffed=False, empty_since=T0)
    state = rules.HallState(rules.Thresholds(), OPEN, windows=[staffed, closed])
    assert rules.empty_windows(state, T0 + timedelta(hours=1)) == []


def test_long_pause_counts_as_empty() -> None:
    w = _window("2", paused_reason="rest", paused_at=T0)
    state = rules.HallState(rules.Thresholds(empty_window_min=10), OPEN, windows=[w])
    assert rules.empty_windows(state, T0 + timedelta(minutes=9)) == []
    [alert] = rules.empty_windows(state, T0 + timedelta(minutes=10))
    assert alert.kind == "window_paused" and alert.detail["reason"] == "rest"


def test_devices_offline_after_grace_and_paper_out() -> None:
    devs = [rules.DeviceState("agent-1", "printer", False, "paper_out", T0),
            rules.DeviceState("agent-1", "evaluator", False, "timeout", T0),
            rules.DeviceState("agent-2", "printer", True, "", T0)]
    state = rules.HallState(rules.Thresholds(device_offline_min=2), OPEN, devices=devs)
    assert rules.devices(state, T0 + timedelta(minutes=1)) == []
    assert kinds(state, T0 + timedelta(minutes=2)) == ["device_offline", "paper_out"]
    online_no_paper = rules.DeviceState("agent-3", "printer", True, "paper_out", T0)
    state = rules.HallState(rules.Thresholds(device_offline_min=0), OPEN,
                            devices=[online_no_paper])
    assert kinds(state, T0) == ["paper_out"]


def test_bad_review_alert() -> None:
    state = rules.HallState(rules.Thresholds(), OPEN, bad_reviews=[
        rules.BadReview(7, 3, "A001", "2", 1, T0)])
    [alert] = rules.evaluate(state, T0)
    assert alert.cond == "bad_review:7" and alert.detail == {
        "ticket": "A001", "window": "2", "level": 1, "case": 3}
