"""A lean HTTP/1.1 client for the crowd simulator: keep-alive connections to one core.

`hallq bench day` plays 20,000 citizens and 80 windows against the core from one Python
process. Through httpx that process spent three quarters of its CPU in the client: the
connection pool checks every connection's state for each request it assigns, and detects
the async library anew on each. The simulator became the slowest part of the soak and
the day never finished (docs/performance.md). This client does only what the simulator
needs: requests with a JSON, form or empty body and a query string, to one host, over at
most `size` kept-alive connections, answers with a `Content-Length` or chunked body.
"""

from __future__ import annotations

import asyncio
import json as jsonlib
from typing import Any
from urllib.parse import urlencode, urlsplit


class TransportError(Exception):
    """The connection failed or closed before a whole answer came (the request may be
    retried)."""


class Answer:
    """An answer: what the simulator reads of one (`httpx.Response`'s names)."""

    __slots__ = ("content", "headers", "status_code")

    def __init__(self, status_code: int, headers: dict[str, str], content: bytes) -> None:
        self.status_code = status_code
        self.headers = headers
        self.content = content

    @property
    def text(self) -> str:
        """The body as text (UTF-8)."""
        return self.content.decode("utf-8", "replace")

    def json(self) -> Any:
        """The body as JSON."""
        return jsonlib.loads(self.content)

    def raise_for_status(self) -> None:
        """Raise for a 4xx or 5xx answer."""
        if self.status_code >= 400:
            raise RuntimeError(f"HTTP {self.status_code}: {self.text[:300]}")


_Conn = tuple[asyncio.StreamReader, asyncio.StreamWriter]


class LeanClient:
    """Requests to one `http://host:port`, over at most `size` kept-alive connections."""

    def __init__(self, base_url: str, *, size: int = 16, timeout: float = 60.0) -> None:
        url = urlsplit(base_url)
        if url.scheme != "http" or not url.hostname:
            raise ValueError(f"an http://host:port URL is needed, not {base_url!r}")
        self.host, self.port = url.hostname, url.port or 80
        self.timeout = timeout
        self._idle: list[_Conn] = []
        self._slots = asyncio.Semaphore(size)
        self._host_header = f"{self.host}:{self.port}".encode()

    async def __aenter__(self) -> LeanClient:
        return self

    async def __aexit__(self, *_: object) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        """Close every idle connection."""
        idle, self._idle = self._idle, []
        for _, writer in idle:
            writer.close()

    async def request(self, method: str, path: str, *, headers: dict[str, str] | None = None,
                      json: Any = None, data: dict[str, Any] | None = None,
                      params: dict[str, Any] | None = None) -> Answer:
        """One request; TransportError when the connection fails or times out."""
        if params:
            path = f"{path}?{urlencode(params)}"
        body = b""
        head = [f"{method} {path} HTTP/1.1".encode(), b"Host: " + self._host_header]
        if json is not None:
            body = jsonlib.dumps(json, ensure_ascii=False).encode()
            head.append(b"Content-Type: application/json")
        elif data is not None:
            body = urlencode(data).encode()
            head.append(b"Content-Type: application/x-www-form-urlencoded")
        if body or method in ("POST", "PUT", "PATCH"):
            head.append(b"Content-Length: " + str(len(body)).encode())
        for name, value in (headers or {}).items():
            head.append(f"{name}: {value}".encode("latin-1"))
        message = b"\r\n".join(head) + b"\r\n\r\n" + body
        async with self._slots:
            try:
                return await asyncio.wait_for(self._exchange(message, method), self.timeout)
            except TimeoutError as err:
                raise TransportError(f"{method} {path}: no answer in {self.timeout} s") from err

    async def _exchange(self, message: bytes, method: str) -> Answer:
        # A kept-alive connection the core closed meanwhile fails at once: try a new one.
        for fresh in (False, True):
            conn = self._idle.pop() if self._idle and not fresh else None
            try:
                if conn is None:
                    conn = await asyncio.open_connection(self.host, self.port)
                reader, writer = conn
                writer.write(message)
                answer, keep = await _read_answer(reader, method)
            except (OSError, asyncio.IncompleteReadError, ValueError) as err:
                if conn is not None:
                    conn[1].close()
                if fresh:
                    raise TransportError(repr(err)) from err
                continue
            if keep:
                self._idle.append(conn)
            else:
                writer.close()
            return answer
        raise AssertionError("unreachable")


async def _read_answer(reader: asyncio.StreamReader, method: str) -> tuple[Answer, bool]:
    """One answer from the stream, and whether the connection stays open."""
    raw = await reader.readuntil(b"\r\n\r\n")
    lines = raw.decode("latin-1").split("\r\n")
    version, status, *_ = lines[0].split(" ", 2)
    headers: dict[str, str] = {}
    for line in lines[1:]:
        if line:
            name, _, value = line.partition(":")
            headers[name.strip().lower()] = value.strip()
    code = int(status)
    if method == "HEAD" or code in (204, 304) or 100 <= code < 200:
        content = b""
    elif headers.get("transfer-encoding", "").lower() == "chunked":
        content = await _read_chunked(reader)
    elif "content-length" in headers:
        content = await reader.readexactly(int(headers["content-length"]))
    else:  # to the end of the stream
        content = await reader.read()
        return Answer(code, headers, content), False
    keep = headers.get("connection", "").lower() != "close" and version == "HTTP/1.1"
    return Answer(code, headers, content), keep


async def _read_chunked(reader: asyncio.StreamReader) -> bytes:
    parts: list[bytes] = []
    while True:
        size = int((await reader.readuntil(b"\r\n")).split(b";", 1)[0], 16)
        if size == 0:
            await reader.readuntil(b"\r\n")  # no trailers are sent to the simulator
            return b"".join(parts)
        parts.append(await reader.readexactly(size))
        await reader.readexactly(2)


__all__ = ["Answer", "LeanClient", "TransportError"]
