"""A small threaded HTTP server for the outside platforms' simulators (stdlib only).

A simulator subclasses `HttpSimulator`, implements `handle(method, path, query, body,
headers)` and returns (status, JSON). It runs on a real TCP port, so the production HTTP
clients talk to it unchanged; `fail_next(n, status)` makes the next n requests fail.
"""

from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Self
from urllib.parse import parse_qs, urlsplit

__all__ = ["HttpSimulator"]

Answer = tuple[int, dict[str, Any]]


class HttpSimulator:
    """Base of the HTTP simulators: start, stop, URL, failure injection, a lock."""

    def __init__(self, host: str = "127.0.0.1", port: int = 0) -> None:
        self.lock = threading.Lock()
        self._failures: list[int] = []
        self.requests = 0
        sim = self

        class Handler(BaseHTTPRequestHandler):
            def _serve(self, method: str) -> None:
                parts = urlsplit(self.path)
                query = {k: v[-1] for k, v in parse_qs(parts.query).items()}
                length = int(self.headers.get("Content-Length") or 0)
                raw = self.rfile.read(length) if length else b""
                status, answer = sim._answer(method, parts.path, query, raw,
                                             {k.lower(): v for k, v in self.headers.items()})
                data = json.dumps(answer, ensure_ascii=False).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json; charset=utf-8")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def do_GET(self) -> None:
                self._serve("GET")

            def do_POST(self) -> None:
                self._serve("POST")

            def log_message(self, format: str, *args: Any) -> None:
                return

        self._server = ThreadingHTTPServer((host, port), Handler)
        self._server.daemon_threads = True
        self._thread: threading.Thread | None = None

    @property
    def url(self) -> str:
        """The simulator's base URL."""
        host, port = self._server.server_address[:2]
        return f"http://{host!s}:{port}"

    def start(self) -> Self:
        """Serve in a background thread."""
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True,
                                        name=type(self).__name__)
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stop serving and free the port."""
        self._server.shutdown()
        self._server.server_close()

    def fail_next(self, count: int, status: int = 503) -> None:
        """Answer the next `count` requests with `status` (an outage)."""
        with self.lock:
            self._failures.extend([status] * count)

    def _answer(self, method: str, path: str, query: dict[str, str], raw: bytes,
                headers: dict[str, str]) -> Answer:
        with self.lock:
            self.requests += 1
            if self._failures:
                return self._failures.pop(0), {"code": "UNAVAILABLE",
                                               "message": "simulated outage"}
        try:
            body = json.loads(raw) if raw else {}
        except ValueError:
            return 400, {"code": "BAD_JSON", "message": "body is not JSON"}
        try:
            return self.handle(method, path, query, body, headers)
        except Exception as err:  # a simulator bug answers 500, like a real server would
            return 500, {"code": "ERROR", "message": repr(err)}

    def handle(self, method: str, path: str, query: dict[str, str], body: Any,
               headers: dict[str, str]) -> Answer:
        """Answer one request (override)."""
        return 404, {"code": "NOT_FOUND", "message": path}
