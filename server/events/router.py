"""Websockets: hall and window screens, counter terminals, the monitor, a citizen's ticket.

Screens and terminals authenticate with a bearer token, given as `?token=` (a browser
cannot set headers on a websocket) or in the Authorization header; a refused handshake is
answered with HTTP 401, 403 or 404 before the websocket opens. The citizen's ticket page
needs no token: its id is unguessable (128 random bits).
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, WebSocket

from server.auth.access import CounterInHall, DisplayInHall, MonitorInHall, deny
from server.errors import HallqError
from server.events import schemas, snapshots
from server.events.bus import Event
from server.events.hub import Choice, Hub, Message, Subscription, encode, event_window
from server.events.wire import text_frame
from server.halls import service as halls

router = APIRouter(tags=["events"])

# What a hall screen is sent; a window's screen gets only its own window's calls and state.
HALL_SCREEN_TYPES = frozenset({"call", "window", "queue", "hall"})
WINDOW_SCREEN_TYPES = frozenset({"call", "window"})
WINDOW_TYPES = frozenset({"call", "window", "ticket"})
# The ticket id opens the citizen's live ticket page (/t/{id}; rating needs the separate
# rating key as well, given only to the holder): it is theirs. A screen hangs in the hall
# for anyone to read (or to photograph, or to listen to on the network), so screens are
# never sent it; counters and the monitor are.
SECRET_FIELDS = ("ticket_id",)


def public(message: Message) -> Message:
    """A message as a screen may see it: without the ticket ids, at any level."""
    out = {k: v for k, v in message.items() if k not in SECRET_FIELDS}
    for key in ("windows", "calls"):
        rows = out.get(key)
        if isinstance(rows, list):
            out[key] = [public(r) if isinstance(r, dict) else r for r in rows]
    return out


class _PublicText:
    """An event encoded without its ticket id (JSON and websocket frame), kept for the next
    screen: the hub offers one event to every connection in turn, so a hall with many
    screens encodes it once."""

    def __init__(self) -> None:
        self.event: Event | None = None
        self.text = ""
        self.frame = b""

    def __call__(self, event: Event) -> tuple[str, bytes]:
        if self.event is not event:
            self.text = encode(public(event))
            self.frame = text_frame(self.text)
            self.event = event
        return self.text, self.frame


_public_text = _PublicText()


class ScreenSubscription(Subscription):
    """A screen's subscription: events carrying a ticket id are sent without it."""

    def choose(self, event: Event, text: str, frame: bytes | None) -> Choice:
        text_, frame_, refresh = super().choose(event, text, frame)
        if text_ is not None and any(k in event for k in SECRET_FIELDS):
            text_, frame_ = _public_text(event)
        return text_, frame_, refresh


async def _window_known(websocket: WebSocket, hub: Hub, hall: str, window: str) -> bool:
    """Refuse the handshake with 404 for a window the hall does not have."""
    def check() -> None:
        with hub.core.db.read_session() as db:
            halls.get_window(db, halls.get_hall(db, hall), window)
    try:
        await hub.blocking(check)
    except HallqError as err:
        await deny(websocket, err.status, err.detail, err.code)
        return False
    return True


@router.websocket("/ws/halls/{hall}/display")
async def display(websocket: WebSocket, hall: str, scope: DisplayInHall,
                  window: str | None = None) -> None:
    """A hall screen, or one window's screen with `?window=NO`: a snapshot, then events."""
    hub: Hub = websocket.app.state.hub
    if scope is None or (window is not None
                         and not await _window_known(websocket, hub, hall, window)):
        return
    await websocket.accept()

    def accepts(event: Event) -> bool:
        kind = event.get("type")
        if kind == "hall":
            return True
        if window is None:
            return kind in HALL_SCREEN_TYPES
        return kind in WINDOW_SCREEN_TYPES and event_window(event) == window

    async def snapshot() -> Message | None:
        snap = await hub.hall_snapshot(hall)
        view = snapshots.window_view(snap, window) if window is not None else snap
        if view is not None:
            view = public(view)
        if view is not None and show_next:
            nxt = await refresh()
            view = {**view, "next": nxt["windows"] if nxt else {}}
        return view

    async def refresh() -> Message | None:
        return await hub.blocking(snapshots.next_tickets, core=hub.core, hall=hall,
                                  window=window)

    # 请 X 号准备 where the hall wants it: the next tickets are recomputed (coalesced by
    # the hub) after a call, a window change or a change in the queue.
    show_next = await hub.blocking(snapshots.wants_next, core=hub.core, hall=hall)
    if not show_next:
        await hub.serve(websocket, ScreenSubscription(hall, accepts, maxsize=hub.queue_size,
                                                      route=("display", window)),
                        snapshot)
        return
    sub = ScreenSubscription(hall, accepts,
                             refresh_on=lambda e: e.get("type") in ("queue", "call", "window"),
                             maxsize=hub.queue_size, route=("display", window, "next"))
    await hub.serve(websocket, sub, snapshot, refresh)


@router.websocket("/ws/halls/{hall}/counter")
async def counter(websocket: WebSocket, hall: str, window: str, scope: CounterInHall) -> None:
    """A counter terminal: its window's state and calls, and its waiting list live."""
    hub: Hub = websocket.app.state.hub
    if scope is None or not await _window_known(websocket, hub, hall, window):
        return
    await websocket.accept()

    def accepts(event: Event) -> bool:
        kind = event.get("type")
        if kind in ("queue", "hall"):
            return True
        return kind in WINDOW_TYPES and event_window(event) == window

    async def snapshot() -> Message | None:
        seq = hub.last_seq(hall)
        snap = await hub.blocking(snapshots.counter_snapshot, core=hub.core, hall=hall,
                                  window=window)
        return {**snap, "seq": seq}

    async def refresh() -> Message | None:
        return await hub.blocking(snapshots.counter_waiting, core=hub.core, hall=hall,
                                  window=window)

    sub = hub.subscription(hall, accepts, refresh_on=lambda e: e.get("type") == "queue",
                           route=("counter", window))
    await hub.serve(websocket, sub, snapshot, refresh)


@router.websocket("/ws/halls/{hall}/monitor")
async def monitor(websocket: WebSocket, hall: str, scope: MonitorInHall) -> None:
    """The operator's dashboard: the hall snapshot, then every event of the hall.

    Operators of the hall, or of a centre above it (江苏 第五条: 分中心 一体化管理).
    """
    hub: Hub = websocket.app.state.hub
    if scope is None:
        return
    await websocket.accept()

    async def snapshot() -> Message | None:
        return await hub.hall_snapshot(hall)

    # Every event but the core processes' own `picture` changes (server.tickets.picture)
    # and `access` invalidations (server.auth.cache).
    await hub.serve(websocket, hub.subscription(
        hall, lambda e: e.get("type") not in ("picture", "access"), route=("monitor",)),
                    snapshot)


@router.websocket("/ws/tickets/{ticket_id}")
async def ticket(websocket: WebSocket, ticket_id: str) -> None:
    """A citizen's ticket: its state, people ahead and estimated wait, as they change."""
    hub: Hub = websocket.app.state.hub
    try:
        first = await hub.blocking(snapshots.ticket_view, core=hub.core, ticket_id=ticket_id)
    except HallqError as err:
        await deny(websocket, err.status, err.detail, err.code)
        return
    await websocket.accept()
    hall = str(first["hall"])
    sent: dict[str, Any] = {}

    async def view() -> dict[str, Any]:
        return await hub.blocking(snapshots.ticket_view, core=hub.core, ticket_id=ticket_id)

    async def snapshot() -> Message | None:
        seq = hub.last_seq(hall)
        sent["view"] = await view()
        return schemas.ticket_snapshot(seq=seq, ticket=sent["view"])

    async def refresh() -> Message | None:
        current = await view()
        if current == sent.get("view"):
            return None
        sent["view"] = current
        return schemas.ticket_page(current)

    def mine(event: Event) -> bool:
        return event.get("type") == "call" and event.get("ticket_id") == ticket_id

    def changes_me(event: Event) -> bool:
        if event.get("ticket_id") == ticket_id:
            return True
        # Only a waiting ticket's place changes with the queue: a served one stays quiet.
        view = sent.get("view")
        return event.get("type") == "queue" and (view is None or view["status"] == "waiting")

    await hub.serve(websocket, hub.subscription(hall, mine, refresh_on=changes_me),
                    snapshot, refresh)
