"""uvicorn's HTTP protocol with each response sent in one write.

uvicorn writes a response's status line and headers to the socket as soon as the app sends
`http.response.start`, and its body when the app sends `http.response.body`: two system
calls, two TCP segments and two wake-ups of the client for every answer. On loopback
under load that first write was the largest single cost on the event loop per kiosk ticket
(py-spy, `--gil`: 10–16 % of the core's samples in `RequestResponseCycle.send`).

`HeldHead` wraps the connection's transport: a write that is a whole response head
(`HTTP/1.1 …` up to its blank line) is held, and goes out with the next write (the body,
sent in the same pass of the event loop by every Starlette response), or at the end of
that pass when nothing follows. Every other write — a body, a chunk, a websocket frame
after an upgrade — goes straight through, after the held head if there is one. Nothing is
reordered or lost: closing writes the held head first; aborting drops it with the rest.

`hallq serve` and `hallq demo` run uvicorn with `HTTP_PROTOCOL`; where this uvicorn has no
httptools protocol, uvicorn's own choice ("auto") is used.
"""

from __future__ import annotations

import asyncio
from typing import Any

try:  # uvicorn's httptools protocol (uvicorn[standard])
    from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol
except ImportError:  # pragma: no cover - uvicorn without httptools
    HttpToolsProtocol = None  # type: ignore[assignment,misc]

_HEAD = b"HTTP/1.1 "
_END = b"\r\n\r\n"


class HeldHead:
    """A transport whose response heads wait for their body (see the module)."""

    def __init__(self, transport: Any, loop: asyncio.AbstractEventLoop) -> None:
        self._transport = transport
        self._loop = loop
        self._head: bytes | None = None

    def write(self, data: bytes | bytearray | memoryview) -> None:
        if self._head is not None:
            head, self._head = self._head, None
            self._transport.write(head + bytes(data))
            return
        if isinstance(data, bytes) and data.startswith(_HEAD) and data.endswith(_END):
            self._head = data
            self._loop.call_soon(self.flush)
            return
        self._transport.write(data)

    def writelines(self, lines: Any) -> None:
        self.write(b"".join(lines))

    def flush(self) -> None:
        """Write a head still held (nothing followed it in its pass of the loop)."""
        if self._head is not None:
            head, self._head = self._head, None
            if not self._transport.is_closing():
                self._transport.write(head)

    def close(self) -> None:
        self.flush()
        self._transport.close()

    def abort(self) -> None:
        self._head = None
        self._transport.abort()

    def below(self) -> Any:
        """The transport underneath, with any head held written out first: for a
        connection that will write no more response heads (an upgraded websocket)."""
        self.flush()
        return self._transport

    def get_write_buffer_size(self) -> int:
        held = len(self._head) if self._head is not None else 0
        size: int = self._transport.get_write_buffer_size()
        return size + held

    def __getattr__(self, name: str) -> Any:
        return getattr(self._transport, name)


if HttpToolsProtocol is not None:

    class HeldHeadProtocol(HttpToolsProtocol):
        """uvicorn's httptools protocol on a `HeldHead` transport."""

        def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
            super().connection_made(HeldHead(transport, self.loop))  # type: ignore[arg-type]

    HTTP_PROTOCOL = "server.serving:HeldHeadProtocol"
else:  # pragma: no cover
    HTTP_PROTOCOL = "auto"

__all__ = ["HTTP_PROTOCOL", "HeldHead"]
