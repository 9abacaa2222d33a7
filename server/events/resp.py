"""Redis's wire protocol (RESP2), as bytes in and values out: no I/O.

The event bus's two busiest Redis connections, the publisher and the subscriber
(`server.events.redis_wire`), speak it directly: per kiosk ticket a core sends one
EVALSHA and receives one pub/sub message, and redis-py's general machinery (connection
pool, command dispatch, response callbacks, one coroutine per read) cost about a fifth of
the core's CPU per ticket on PostgreSQL with Redis. Everything else keeps using redis-py.

Replies: simple strings and bulk strings are `bytes` (a null bulk or array is None),
integers `int`, arrays `list`, and an error reply a `ReplyError` value (returned, not
raised: the reply belongs to one command among several in flight).
"""

from __future__ import annotations

from typing import Any

CRLF = b"\r\n"
Reply = Any  # bytes | int | list[Reply] | ReplyError | None


class ProtocolError(Exception):
    """The bytes from the server are not RESP2."""


class ReplyError(Exception):
    """An error reply (`-ERR …`, `-NOSCRIPT …`)."""

    @property
    def kind(self) -> str:
        """Its first word: ERR, NOSCRIPT, WRONGTYPE, NOAUTH …"""
        return str(self.args[0]).split(" ", 1)[0] if self.args else ""


def _bytes(arg: bytes | str | int) -> bytes:
    if isinstance(arg, bytes):
        return arg
    if isinstance(arg, str):
        return arg.encode()
    if isinstance(arg, int) and not isinstance(arg, bool):
        return b"%d" % arg
    raise TypeError(f"a Redis argument is bytes, str or int, not {type(arg).__name__}")


def command(*args: bytes | str | int) -> bytes:
    """One command as the array of bulk strings the server reads."""
    parts = [b"*%d\r\n" % len(args)]
    for arg in args:
        data = _bytes(arg)
        parts.append(b"$%d\r\n%s\r\n" % (len(data), data))
    return b"".join(parts)


class _Incomplete(Exception):
    """More bytes are needed."""


class Parser:
    """Replies out of a byte stream fed in chunks of any size."""

    def __init__(self) -> None:
        self._buf = b""

    def feed(self, data: bytes) -> list[Reply]:
        """Take more bytes; return every reply now complete, in order."""
        buf = self._buf + data if self._buf else data
        replies = []
        pos = 0
        while pos < len(buf):
            try:
                reply, pos = self._parse(buf, pos)
            except _Incomplete:
                break
            replies.append(reply)
        self._buf = buf[pos:]
        return replies

    def _parse(self, buf: bytes, pos: int) -> tuple[Reply, int]:
        end = buf.find(CRLF, pos)
        if end < 0:
            raise _Incomplete
        kind, line, after = buf[pos:pos + 1], buf[pos + 1:end], end + 2
        if kind == b"$":
            size = self._int(line)
            if size < 0:
                return None, after
            if len(buf) < after + size + 2:
                raise _Incomplete
            if buf[after + size:after + size + 2] != CRLF:
                raise ProtocolError("a bulk string does not end with CRLF")
            return buf[after:after + size], after + size + 2
        if kind == b"*":
            count = self._int(line)
            if count < 0:
                return None, after
            items = []
            for _ in range(count):
                item, after = self._parse(buf, after)
                items.append(item)
            return items, after
        if kind == b":":
            return self._int(line), after
        if kind == b"+":
            return line, after
        if kind == b"-":
            return ReplyError(line.decode(errors="replace")), after
        raise ProtocolError(f"unknown reply type {kind!r}")

    @staticmethod
    def _int(line: bytes) -> int:
        try:
            return int(line)
        except ValueError:
            raise ProtocolError(f"not a number: {line[:20]!r}") from None


__all__ = ["Parser", "ProtocolError", "ReplyError", "command"]
