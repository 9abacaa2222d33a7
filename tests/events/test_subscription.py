"""A connection's bounded queue: what is kept, what is superseded, when it resyncs."""

from __future__ import annotations

from typing import Any

from server.events.hub import REFRESH, RESYNC, Subscription, encode


def _drain(sub: Subscription) -> list[Any]:
    out = []
    while not sub.queue.empty():
        item = sub.queue.get_nowait()
        out.append(item if item in (RESYNC, REFRESH) else item[0] if item[1] else "void")
    return out


def _offer(sub: Subscription, **event: Any) -> None:
    sub.offer(event, encode(event))


def test_only_the_newest_waiting_counts_are_sent_and_order_is_kept() -> None:
    sub = Subscription("h1", lambda e: True)
    _offer(sub, type="queue", seq=1, waiting={"A": 1})
    _offer(sub, type="call", seq=2, ticket="A001", window="1")
    _offer(sub, type="queue", seq=3, waiting={"A": 0})
    _offer(sub, type="window", seq=4, number="1")
    _offer(sub, type="queue", seq=5, waiting={"A": 1})
    assert _drain(sub) == ["void", 2, "void", 4, 5]


def test_a_full_queue_is_dropped_for_one_resync() -> None:
    sub = Subscription("h1", lambda e: e["type"] == "call", maxsize=3)
    for seq in range(1, 4):
        _offer(sub, type="call", seq=seq, ticket=f"A00{seq}", window="1")
    _offer(sub, type="queue", seq=4, waiting={})  # not wanted: no room taken
    assert sub.resyncs == 0
    _offer(sub, type="call", seq=5, ticket="A005", window="1")
    assert sub.resyncs == 1 and _drain(sub) == [RESYNC]
    _offer(sub, type="call", seq=6, ticket="A006", window="1")
    assert _drain(sub) == [6]


def test_refresh_is_queued_once_until_taken() -> None:
    sub = Subscription("h1", lambda e: False, refresh_on=lambda e: e["type"] == "queue")
    for seq in range(3):
        _offer(sub, type="queue", seq=seq, waiting={})
    assert _drain(sub) == [REFRESH]
    sub.refresh_pending = False  # what the sender does when it takes the refresh
    _offer(sub, type="queue", seq=9, waiting={})
    assert _drain(sub) == [REFRESH]
