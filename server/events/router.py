"""Websockets: hall and window screens, counter terminals, the monitor, a citizen's ticket.

Screens and terminals authenticate with a bearer token, given as `?token=` (a browser
cannot set headers on a websocket) or in the Authorization header; a refused handshake is
answered with HTTP 401, 403 or 404 before the websocket opens. The citizen's ticket page
needs no token: its id is unguessable (128 random bits).
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, WebSocket
from fastapi.responses import JSONResponse

from server.auth import service as auth
from server.core import Core
from server.errors import Forbidden, HallqError, Unauthorized
from server.events import snapshots
from server.events.bus import Event
from server.events.hub import Hub, Message, Subscription, encode, event_window
from server.halls import service as halls
from server.monitoring import access

router = APIRouter(tags=["events"])

# Who may watch what: a screen shows nothing a person in the hall cannot see.
DISPLAY_ROLES = ("screen", "kiosk", "agent", "counter", "staff", "operator", "admin")
COUNTER_ROLES = ("counter", "staff", "operator", "admin")
MONITOR_ROLES = ("operator", "admin")
# What a hall screen is sent; a window's screen gets only its own window's calls and state.
HALL_SCREEN_TYPES = frozenset({"call", "window", "queue", "hall"})
WINDOW_SCREEN_TYPES = frozenset({"call", "window"})
WINDOW_TYPES = frozenset({"call", "window", "ticket"})
# The ticket id opens the citizen's ticket page and rating (/t/{id}): it is their
# credential. A screen hangs in the hall for anyone to read (or to photograph, or to
# listen to on the network), so screens are never sent it; counters and the monitor are.
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
    """An event encoded without its ticket id, kept for the next screen: the hub offers
    one event to every connection in turn, so a hall with many screens encodes it once."""

    def __init__(self) -> None:
        self.event: Event | None = None
        self.text = ""

    def __call__(self, event: Event) -> str:
        if self.event is not event:
            self.event, self.text = event, encode(public(event))
        return self.text


_public_text = _PublicText()


class ScreenSubscription(Subscription):
    """A screen's subscription: events carrying a ticket id are sent without it."""

    def offer(self, event: Event, text: str) -> None:
        if any(k in event for k in SECRET_FIELDS) and self.accepts(event):
            text = _public_text(event)
        super().offer(event, text)


def _token(websocket: WebSocket) -> str | None:
    token = websocket.query_params.get("token")
    if token:
        return token
    scheme, _, value = websocket.headers.get("authorization", "").partition(" ")
    return value.strip() if scheme.lower() == "bearer" and value.strip() else None


def _check_access(core: Core, *, token: str | None, hall: str, roles: tuple[str, ...],
                  window: str | None) -> None:
    """Raise Unauthorized, Forbidden or NotFound unless the token may watch this."""
    if not token:
        raise Unauthorized("a device or staff token is required (?token=...)")
    principal = auth.resolve(core, token)
    with core.db.read_session() as db:
        h = halls.get_hall(db, hall)
        if window is not None:
            halls.get_window(db, h, window)
    if not principal.has(*roles):
        raise Forbidden("this token may not watch this stream")
    if not principal.may_act_in(h.id):
        raise Forbidden("this token belongs to another hall")


async def _deny(websocket: WebSocket, status: int, detail: str) -> None:
    """Refuse the handshake with an HTTP status where the server can, else close 1008."""
    if "websocket.http.response" in websocket.scope.get("extensions", {}):
        await websocket.send_denial_response(
            JSONResponse({"detail": detail}, status_code=status))
    else:
        await websocket.close(code=1008, reason=detail[:120])


async def _admit(websocket: WebSocket, hall: str, roles: tuple[str, ...],
                 window: str | None = None) -> Hub | None:
    """The hub if the caller may watch, after accepting; None after refusing."""
    hub: Hub = websocket.app.state.hub
    try:
        await hub.blocking(_check_access, core=hub.core, token=_token(websocket), hall=hall,
                           roles=roles, window=window)
    except HallqError as err:
        await _deny(websocket, err.status, err.detail)
        return None
    await websocket.accept()
    return hub


@router.websocket("/ws/halls/{hall}/display")
async def display(websocket: WebSocket, hall: str, window: str | None = None) -> None:
    """A hall screen, or one window's screen with `?window=NO`: a snapshot, then events."""
    hub = await _admit(websocket, hall, DISPLAY_ROLES, window)
    if hub is None:
        return

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
        await hub.serve(websocket, ScreenSubscription(hall, accepts, maxsize=hub.queue_size),
                        snapshot)
        return
    sub = ScreenSubscription(hall, accepts,
                             refresh_on=lambda e: e.get("type") in ("queue", "call", "window"),
                             maxsize=hub.queue_size)
    await hub.serve(websocket, sub, snapshot, refresh)


@router.websocket("/ws/halls/{hall}/counter")
async def counter(websocket: WebSocket, hall: str, window: str) -> None:
    """A counter terminal: its window's state and calls, and its waiting list live."""
    hub = await _admit(websocket, hall, COUNTER_ROLES, window)
    if hub is None:
        return

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

    sub = hub.subscription(hall, accepts, refresh_on=lambda e: e.get("type") == "queue")
    await hub.serve(websocket, sub, snapshot, refresh)


def _may_monitor(core: Core, *, token: str | None, hall: str) -> None:
    """Operators of the hall, or of a centre above it (江苏 第五条: 分中心 一体化管理)."""
    if not token:
        raise Unauthorized("a token is required (?token=...)")
    principal = auth.resolve(core, token)
    with core.db.read_session() as db:
        access.watched_hall(db, principal, hall)


@router.websocket("/ws/halls/{hall}/monitor")
async def monitor(websocket: WebSocket, hall: str) -> None:
    """The operator's dashboard: the hall snapshot, then every event of the hall."""
    hub: Hub = websocket.app.state.hub
    try:
        await hub.blocking(_may_monitor, core=hub.core, token=_token(websocket), hall=hall)
    except HallqError as err:
        await _deny(websocket, err.status, err.detail)
        return
    await websocket.accept()

    async def snapshot() -> Message | None:
        return await hub.hall_snapshot(hall)

    await hub.serve(websocket, hub.subscription(hall, lambda _: True), snapshot)


@router.websocket("/ws/tickets/{ticket_id}")
async def ticket(websocket: WebSocket, ticket_id: str) -> None:
    """A citizen's ticket: its state, people ahead and estimated wait, as they change."""
    hub: Hub = websocket.app.state.hub
    try:
        first = await hub.blocking(snapshots.ticket_view, core=hub.core, ticket_id=ticket_id)
    except HallqError as err:
        await _deny(websocket, err.status, err.detail)
        return
    await websocket.accept()
    hall = str(first["hall"])
    sent: dict[str, Any] = {}

    async def view() -> dict[str, Any]:
        return await hub.blocking(snapshots.ticket_view, core=hub.core, ticket_id=ticket_id)

    async def snapshot() -> Message | None:
        seq = hub.last_seq(hall)
        sent["view"] = await view()
        return {"type": "snapshot", "seq": seq, "ticket": sent["view"]}

    async def refresh() -> Message | None:
        current = await view()
        if current == sent.get("view"):
            return None
        sent["view"] = current
        return {"type": "ticket", "ticket": current}

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
