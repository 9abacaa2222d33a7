"""The hot routes answered before FastAPI's routing and dependency machinery.

A kiosk's issue and a counter's call-next, recall, no-show and start are most of what a
busy hall asks of the core. Through FastAPI each passes its middlewares, the router's
matching of some three hundred routes, the dependency solver and the body's validation
by field: about a fifth of an issue's CPU. Here the same request is matched by one regular
expression, its caller admitted from the access cache (`authorize_cached`, the same
decision as the routes' dependency), its body validated by the same model, and the same
flow run in one hop (`Database.run_write`) to the same answer.

It sits outside FastAPI's whole middleware stack (`HallQueueApp.build_middleware_stack`):
a hot request's answer passes no error, telemetry, body-limit or header middleware, and
carries the security headers (`server.headers.API_HEADERS`) by itself. Everything it
hands on goes through the whole stack as any other request.

Only the plain case is taken: a bearer token the access cache already knows, admitted, and
a body that validates. Anything else (no token, a cache miss, a refusal, a bad body) goes
on to the FastAPI route with the body it sent, so every error is answered exactly as the
route answers it. The routes stay where they are, for the OpenAPI document and for that.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from functools import partial
from typing import Any

from pydantic import BaseModel, ValidationError
from sqlalchemy.exc import OperationalError
from starlette.requests import Request
from starlette.responses import Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from server.auth.access import ISSUER_GRANTS, STAFF_GRANTS, HallScope, authorize_cached
from server.core import Core
from server.errors import HallqError
from server.headers import API_HEADERS
from server.responses import busy_response, error_response
from server.tickets import router as tickets_router
from server.tickets.schemas import TicketCreate
from server.windows import router as windows_router
from server.windows.schemas import CallNext

ISSUE = re.compile(r"/api/v1/halls/([^/]+)/tickets")
COUNTER = re.compile(r"/api/v1/halls/([^/]+)/windows/([^/]+)/(call-next|recall|no-show|start)")
# The grants of the routes' dependencies (`IssuerInHall`, `StaffInHall`), from the same
# constants; a test compares them with the routes.
ISSUE_GRANTS = ISSUER_GRANTS
COUNTER_GRANTS = STAFF_GRANTS
_JSON = (b"application/json",)
_MAX_BODY = 64 * 1024  # a hot request's body is a few dozen bytes; a larger one goes on


def _bearer(scope: Scope) -> str | None:
    """The bearer token as `OAuth2PasswordBearer(auto_error=False)` reads it."""
    for name, value in scope["headers"]:
        if name == b"authorization":
            scheme, _, token = value.decode("latin-1").partition(" ")
            return token if scheme.lower() == "bearer" and token else None
    return None


def _is_json(scope: Scope) -> bool:
    for name, value in scope["headers"]:
        if name == b"content-type":
            return value.split(b";", 1)[0].strip().lower() in _JSON
    return False


def _parse(model: type[BaseModel], body: bytes) -> Any:
    """The body as `model`, or None when it does not validate (the route answers that)."""
    try:
        return model.model_validate_json(body)
    except ValidationError:
        return None


class HotPaths:
    """ASGI middleware: the hot routes' plain case, answered directly."""

    def __init__(self, app: ASGIApp, core: Core) -> None:
        self.app = app
        self.core = core

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] != "POST":
            await self.app(scope, receive, send)
            return
        path = scope["path"]
        issue = ISSUE.fullmatch(path)
        counter = None if issue else COUNTER.fullmatch(path)
        if issue is None and counter is None:
            await self.app(scope, receive, send)
            return
        body, messages = await _read(receive)
        response = None
        if body is not None and issue is not None:
            response = await self._issue(scope, issue.group(1), body)
        elif body is not None and counter is not None:
            response = await self._counter(scope, counter.group(1), counter.group(2),
                                           counter.group(3), body)
        if response is None:  # not the plain case: the route answers, with the same body
            await self.app(scope, _replay(messages, receive), send)
            return
        response.raw_headers.extend(API_HEADERS)
        await response(scope, receive, send)

    def _admit(self, scope: Scope, hall: str, grants: tuple[str, ...]) -> HallScope | None:
        token = _bearer(scope)
        if token is None:
            return None
        try:
            return authorize_cached(self.core, hall=hall, token=token, grants=grants)
        except HallqError:
            return None

    async def _issue(self, scope: Scope, hall: str, body: bytes) -> Response | None:
        admitted = self._admit(scope, hall, ISSUE_GRANTS)
        if admitted is None or not _is_json(scope):
            return None
        request = _parse(TicketCreate, body)
        if request is None:
            return None
        return await self._run(partial(tickets_router.issue_answer, self.core, hall, request,
                                       admitted.principal, _base_url(scope)))

    async def _counter(self, scope: Scope, hall: str, window: str, action: str,
                       body: bytes) -> Response | None:
        admitted = self._admit(scope, hall, COUNTER_GRANTS)
        if admitted is None:
            return None
        confirm = False
        if action == "call-next" and body:  # an optional `CallNext`
            if not _is_json(scope):
                return None
            parsed = _parse(CallNext, body)
            if parsed is None:
                return None
            confirm = parsed.confirm_no_show
        return await self._run(partial(windows_router.button_answer, self.core, hall, window,
                                       action, admitted.principal, confirm))

    async def _run(self, flow: Callable[[], Response]) -> Response:
        """The flow in one hop; its refusals answered as the app's handlers answer them."""
        try:
            return await self.core.db.run_write(flow)
        except HallqError as err:
            return error_response(err)
        except OperationalError as err:
            return busy_response(err)


_BASES: dict[tuple[Any, ...], str] = {}


def _base_url(scope: Scope) -> str:
    """`str(Request(scope).base_url)`, kept per scheme, Host header, server and root paths
    (what it is made of): building Starlette's URL cost about a twentieth of the loop's
    time per kiosk ticket."""
    host = next((value for name, value in scope["headers"] if name == b"host"), None)
    server = scope.get("server")
    key = (scope.get("scheme"), host, tuple(server) if server else None,
           scope.get("root_path"), scope.get("app_root_path"))
    base = _BASES.get(key)
    if base is None:
        base = str(Request(scope).base_url)
        if len(_BASES) < 256:  # a few hosts in a hall; never grows without bound
            _BASES[key] = base
    return base


async def _read(receive: Receive) -> tuple[bytes | None, list[Message]]:
    """The whole request body (None when it is larger than a hot request's, or the client
    left), and the messages read, for the route if it is to answer instead."""
    messages: list[Message] = []
    size = 0
    while True:
        message = await receive()
        messages.append(message)
        if message["type"] != "http.request":
            return None, messages
        size += len(message.get("body", b""))
        if size > _MAX_BODY:
            return None, messages
        if not message.get("more_body", False):
            return b"".join(m.get("body", b"") for m in messages), messages


def _replay(messages: list[Message], receive: Receive) -> Receive:
    """A `receive` that gives again the messages already read, then the client's."""
    pending = list(messages)

    async def replay() -> Message:
        return pending.pop(0) if pending else await receive()

    return replay


__all__ = ["COUNTER_GRANTS", "ISSUE_GRANTS", "HotPaths"]
