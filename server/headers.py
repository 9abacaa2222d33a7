"""Security headers on every answer (issue 10).

A pure ASGI middleware (no per-request task or body copy): it adds the headers to the
response start. The content security policy allows only the core's own origin: every
page, script, style, font, image, sound and websocket the product uses is served by the
core itself (no CDN: a hall's network is often offline). The OpenAPI pages (/docs, /redoc)
carry FastAPI's small inline start-up script, so only they also allow inline scripts.
"""

from __future__ import annotations

from starlette.types import ASGIApp, Message, Receive, Scope, Send

_CSP = ("default-src 'self'; script-src 'self'{inline}; style-src 'self' 'unsafe-inline'; "
        "img-src 'self' data: blob:; media-src 'self' data: blob:; font-src 'self' data:; "
        "connect-src 'self'; worker-src 'self' blob:; object-src 'none'; base-uri 'self'; "
        "form-action 'self'; frame-ancestors 'none'")
_COMMON = [
    (b"x-content-type-options", b"nosniff"),
    (b"x-frame-options", b"DENY"),
    (b"referrer-policy", b"no-referrer"),
    (b"cross-origin-opener-policy", b"same-origin"),
    (b"permissions-policy", b"camera=(), microphone=(), geolocation=()"),
]
_STRICT = [*_COMMON, (b"content-security-policy", _CSP.format(inline="").encode())]
# What every answer of the API carries (`server.hotpaths` adds them to its own answers).
API_HEADERS: tuple[tuple[bytes, bytes], ...] = tuple(_STRICT)
_DOCS = [*_COMMON,
         (b"content-security-policy", _CSP.format(inline=" 'unsafe-inline'").encode())]
_DOCS_PATHS = ("/docs", "/redoc")


class SecurityHeaders:
    """Adds the security headers to every HTTP answer."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        extra = _DOCS if str(scope.get("path", "")).startswith(_DOCS_PATHS) else _STRICT

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                message["headers"] = [*message.get("headers", []), *extra]
            await send(message)

        await self.app(scope, receive, send_with_headers)


__all__ = ["API_HEADERS", "SecurityHeaders"]
