"""A connection's bounded queue: what is kept, what is superseded, when it resyncs."""

from __future__ import annotations

from typing import Any

from server.events.hub import REFRESH, RESYNC, Choice, Hub, Subscription, encode
from server.events.wire import text_frame


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


class _Socket:
    """Stands in for a connection's wire: what was written, and how much is unsent."""

    def __init__(self) -> None:
        self.frames: list[bytes] = []
        self.unsent = 0

    def put(self, frame: bytes) -> bool:
        if self.unsent:
            return False
        self.frames.append(frame)
        return True


def test_a_live_connection_is_written_directly_until_its_socket_backs_up() -> None:
    sock = _Socket()
    sub = Subscription("h1", lambda e: True, maxsize=4)
    sub.wire = sock  # type: ignore[assignment]
    sub.go_live()
    _offer(sub, type="call", seq=1, ticket="A001", window="1")
    _offer(sub, type="queue", seq=2, waiting={"A": 0})
    assert sub.written == 2 and sub.queue.empty()
    assert sock.frames == [text_frame(encode({"type": "call", "seq": 1, "ticket": "A001",
                                              "window": "1"})),
                           text_frame(encode({"type": "queue", "seq": 2,
                                              "waiting": {"A": 0}}))]
    sock.unsent = 10  # the screen stopped reading: queued from here on, in order
    _offer(sub, type="call", seq=3, ticket="A002", window="1")
    sock.unsent = 0
    _offer(sub, type="queue", seq=4, waiting={"A": 1})  # still behind what is queued
    assert not sub.live and len(sock.frames) == 2 and _drain(sub) == [3, 4]
    sub.go_live()  # the sender caught up
    _offer(sub, type="queue", seq=5, waiting={"A": 2})
    assert len(sock.frames) == 3 and sub.queue.empty()


def test_a_live_connection_that_falls_a_queue_behind_is_resynced() -> None:
    sock = _Socket()
    sub = Subscription("h1", lambda e: True, maxsize=3)
    sub.wire = sock  # type: ignore[assignment]
    sub.go_live()
    sock.unsent = 1 << 20
    for seq in range(1, 5):
        _offer(sub, type="call", seq=seq, ticket=f"A00{seq}", window="1")
    assert sub.resyncs == 1 and not sub.live and _drain(sub) == [RESYNC]
    sub.go_live()  # what the sender does once the fresh snapshot is out
    sock.unsent = 0
    _offer(sub, type="call", seq=9, ticket="A009", window="1")
    assert sub.written == 1 and sock.frames[-1].endswith(b'"A009","window":"1"}')


class _Counted(Subscription):
    """A subscription that counts how often it is asked to decide."""

    asked = 0

    def choose(self, event: Any, text: str, frame: bytes | None) -> Choice:
        type(self).asked += 1
        return super().choose(event, text, frame)


def test_connections_on_one_route_are_decided_for_once_per_event() -> None:
    hub = Hub(core=None)  # type: ignore[arg-type]  # dispatching needs no core
    _Counted.asked = 0
    screens = [_Counted("h1", lambda e: e["type"] != "ticket", maxsize=4, route="screen")
               for _ in range(50)]
    pages = [_Counted("h1", lambda e, n=n: e.get("ticket") == f"A00{n}", maxsize=4)
             for n in range(1, 4)]
    socks = []
    for sub in screens:
        sub.wire = sock = _Socket()  # type: ignore[assignment]
        socks.append(sock)
        sub.go_live()
    socks[7].unsent = 10  # one screen behind: queued, the others still written
    hub._subs["h1"] = set(screens + pages)
    hub._dispatch("h1", {"type": "call", "seq": 1, "ticket": "A001", "window": "1"})
    hub._dispatch("h1", {"type": "ticket", "seq": 2, "ticket": "A002"})
    # Two events: once each for the whole route, and once each per ticket page.
    assert _Counted.asked == 2 * (1 + len(pages))
    call = text_frame(encode({"type": "call", "seq": 1, "ticket": "A001", "window": "1"}))
    assert all(sock.frames == [call] for n, sock in enumerate(socks) if n != 7)
    assert socks[7].frames == [] and not screens[7].live and _drain(screens[7]) == [1]
    assert [_drain(p) for p in pages] == [[1], [2], []]
    assert hub.last_seq("h1") == 2
