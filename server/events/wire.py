"""Writing a websocket's frames straight to its socket, without a task per message.

A call goes to a thousand screens at once. Sending it through each connection's ASGI
`send` would take a task wake-up per screen and an encoding per screen; instead the hub
encodes the frame once (a server's frames are not masked, so the bytes are the same for
every screen) and writes those bytes to each connection's transport in one pass of the
event loop. This needs the server's own connection object, which the ASGI `send` of
uvicorn's sans-I/O websocket protocol (its default when `websockets` is installed) is
bound to; `WireCapture` keeps that `send` in the scope before anything wraps it. Under
any other server (or uvicorn's other protocols) `Wire.of` gives None and the hub sends
through the ASGI `send` as before.

Frames written here are never compressed. With permessage-deflate negotiated that is
still valid (RFC 7692 §6: a message whose RSV1 bit is clear is not compressed) and leaves
the compressor's context untouched; `hallq serve` does not negotiate it anyway.
"""

from __future__ import annotations

import struct
from typing import Any

from starlette.types import ASGIApp, Receive, Scope, Send
from starlette.websockets import WebSocket

SCOPE_KEY = "hallq.raw_send"

try:  # uvicorn's default websocket protocol when the `websockets` package is installed
    from uvicorn.protocols.websockets.websockets_sansio_impl import (
        WebSocketsSansIOProtocol as _SansIO,
    )
except ImportError:  # pragma: no cover - uvicorn without websockets: always the ASGI path
    _SansIO = None  # type: ignore[assignment,misc]


def text_frame(text: str) -> bytes:
    """One unfragmented, unmasked text frame (RFC 6455 §5.2) carrying `text`."""
    payload = text.encode()
    size = len(payload)
    if size < 126:
        head = struct.pack("!BB", 0x81, size)
    elif size < 1 << 16:
        head = struct.pack("!BBH", 0x81, 126, size)
    else:
        head = struct.pack("!BBQ", 0x81, 127, size)
    return head + payload


class Cork:
    """Frames written during one pass of the hub, sent with one `write` per socket.

    A call's `call`, `window` and `queue` events reach the hub together: each screen gets
    them in one system call and one TCP segment instead of three.
    """

    def __init__(self) -> None:
        self.held: list[Wire] = []

    def flush(self) -> None:
        """Write out everything held."""
        held, self.held = self.held, []
        for wire in held:
            wire.flush()


class Wire:
    """The socket under one accepted websocket connection."""

    def __init__(self, protocol: Any, cork: Cork | None = None) -> None:
        self._protocol = protocol
        # The transport itself, not `server.serving.HeldHead` around it: a websocket's
        # frames are never response heads, so nothing is held for them (`below` writes
        # out a head still held, the 101 answer at worst).
        transport = protocol.transport
        below = getattr(transport, "below", None)
        self._transport = below() if below is not None else transport
        self._cork = cork
        self._held: list[bytes] = []

    @classmethod
    def of(cls, websocket: WebSocket, cork: Cork | None = None) -> Wire | None:
        """The connection's wire, or None when its server is not one this can write to."""
        send = websocket.scope.get(SCOPE_KEY)
        protocol = getattr(send, "__self__", None)
        if _SansIO is None or not isinstance(protocol, _SansIO):
            return None
        if not protocol.handshake_complete or getattr(protocol, "transport", None) is None:
            return None
        return cls(protocol, cork)

    @property
    def open(self) -> bool:
        """Whether frames may still be written (no close sent or received)."""
        p = self._protocol
        return not (p.close_sent or p.disconnected or self._transport.is_closing())

    def backlog(self) -> int:
        """Bytes written but not yet taken by the kernel (the screen is not reading)."""
        size: int = self._transport.get_write_buffer_size()
        return size

    def put(self, frame: bytes) -> bool:
        """Write a whole frame unless the screen is behind (False: nothing written).

        With a cork the frame is held until its flush. On a connection that is closing
        the frame is dropped (True): the hub forgets the connection when its tasks end.
        Called once per screen per event, so it reads the protocol's flags directly.
        """
        p = self._protocol
        if p.close_sent or p.disconnected:
            return True
        if self._transport.get_write_buffer_size():
            return False
        self.write(frame)
        return True

    def write(self, frame: bytes) -> None:
        """Queue a whole frame on the socket (held until the cork's flush); never blocks."""
        if self._cork is None:
            if self.open:
                self._transport.write(frame)
            return
        if not self._held:
            self._cork.held.append(self)
        self._held.append(frame)

    def flush(self) -> None:
        """Write the frames held, in order, in one go."""
        held, self._held = self._held, []
        if held and self.open:
            self._transport.write(held[0] if len(held) == 1 else b"".join(held))


class WireCapture:
    """ASGI middleware: keeps the server's own `send` of each websocket in its scope."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Pass everything through; a websocket's scope also keeps the raw `send`."""
        if scope["type"] == "websocket":
            scope[SCOPE_KEY] = send
        await self.app(scope, receive, send)
