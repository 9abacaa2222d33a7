"""The one access boundary: every endpoint and websocket that names a hall comes through here.

A route names the hall in its path (`/api/v1/halls/{hall}/...`, `/ws/halls/{hall}/...`) and
takes one of the aliases below. The dependency resolves the hall once (404 for an unknown
code), authenticates the caller and checks, in this one place, that the caller may act in
that hall with one of the route's grants:

| grant      | who                                                                          |
|------------|------------------------------------------------------------------------------|
| `public`   | anyone, no token (the hall must exist)                                       |
| `staff`    | a person with the `staff` (or `admin`) role whose account is in this hall    |
| `operator` | a person with `operator` or `admin` in this hall or in a centre above it, or |
|            | the deployment administrator                                                 |
| `admin`    | a person with `admin` in this hall or in a centre above it, or the           |
|            | deployment administrator                                                     |
| `kiosk`, `screen`, `agent`, `counter` | a device of that kind registered to this hall     |

Centres (城市 → 县区 → 乡镇 → 村, the `parent` tree) act in the halls below them, never
beside or above (江苏 第五条、第六条: 分中心 一体化管理). A person's account without a hall
holds no power unless it is the deployment administrator (`deployment_admin`), the only one
who creates halls and centres. Window staff work only in their own hall.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass
from typing import Annotated, Any

from fastapi import Depends, WebSocket
from fastapi.responses import JSONResponse
from sqlalchemy import select
from sqlalchemy.orm import Session

from server.auth import service as auth
from server.auth.cache import HallEntry
from server.auth.dependencies import CoreDep, CurrentPrincipal, bearer
from server.auth.principal import Principal
from server.core import Core
from server.errors import Forbidden, HallqError, NotFound, Unauthorized
from server.halls.models import Hall

__all__ = [
    "DEVICE_GRANTS",
    "GRANTS",
    "ISSUER_GRANTS",
    "STAFF_GRANTS",
    "AdminOfHall",
    "AgentInHall",
    "CounterInHall",
    "DeploymentAdmin",
    "DeskInHall",
    "DisplayInHall",
    "HallRef",
    "HallScope",
    "IssuerInHall",
    "MonitorInHall",
    "OperatorInHall",
    "PublicHall",
    "StaffInHall",
    "authorize",
    "authorize_cached",
    "deny",
    "get_deployment_admin",
    "hall_access",
    "ws_hall_access",
    "ws_token",
]

DEVICE_GRANTS = frozenset({"kiosk", "screen", "agent", "counter"})
GRANTS = frozenset({"public", "staff", "operator", "admin"}) | DEVICE_GRANTS
DEPLOYMENT_ADMIN = "deployment_admin"



@dataclass(frozen=True)
class HallRef:
    """The hall a request acts in."""

    id: int
    code: str
    name: str
    parent_id: int | None


@dataclass(frozen=True)
class HallScope:
    """A caller admitted to a hall: the hall, and who (None for a public route)."""

    hall: HallRef
    actor: Principal | None

    @property
    def principal(self) -> Principal:
        """The authenticated caller (a public route has none: Unauthorized)."""
        if self.actor is None:
            raise Unauthorized("a bearer token is required")
        return self.actor


def _hall(db: Session, code: str) -> HallEntry:
    hall = db.scalar(select(Hall).where(Hall.code == code))
    if hall is None:
        raise NotFound(f"no hall {code!r}", code="unknown_hall")
    return HallEntry(id=hall.id, code=hall.code, name=hall.name, parent_id=hall.parent_id,
                     chain=tuple(_chain(db, hall)))


def _chain(db: Session, hall: Hall) -> list[int]:
    """Ids of the hall and the centres above it, nearest first (cycles cut)."""
    ids = [hall.id]
    parent_id = hall.parent_id
    while parent_id is not None and parent_id not in ids:
        ids.append(parent_id)
        parent_id = db.scalar(select(Hall.parent_id).where(Hall.id == parent_id))
    return ids


def _person_grants(actor: Principal, hall: HallEntry) -> set[str]:
    """What a person may do in this hall."""
    if actor.has(DEPLOYMENT_ADMIN) and actor.hall_id is None:
        return {"operator", "admin"}
    if actor.hall_id is None:
        return set()
    out: set[str] = set()
    if actor.hall_id == hall.id and actor.has("staff", "admin"):
        out.add("staff")
    if actor.hall_id in hall.chain:
        if actor.has("operator", "admin"):
            out.add("operator")
        if actor.has("admin"):
            out.add("admin")
    return out


def _admit(h: HallEntry, actor: Principal | None, allowed: frozenset[str]) -> HallScope:
    """Admit `actor` (None: no token) to the hall with one of `allowed`, or raise."""
    ref = HallRef(id=h.id, code=h.code, name=h.name, parent_id=h.parent_id)
    if actor is None:
        if "public" in allowed:
            return HallScope(hall=ref, actor=None)
        raise Unauthorized("a bearer token is required")
    if actor.is_staff:
        held = _person_grants(actor, h)
    else:
        held = {actor.device_kind} if actor.device_kind and actor.hall_id == h.id else set()
    if "public" in allowed or held & allowed:
        return HallScope(hall=ref, actor=actor)
    if not actor.is_staff and actor.hall_id != h.id:
        raise Forbidden("this device belongs to another hall", code="other_hall")
    if actor.is_staff and not held:
        raise Forbidden("this account may not act in this hall", code="other_hall")
    raise Forbidden("this account or device may not do this here", code="role")


def authorize_cached(core: Core, *, hall: str, token: str | None,
                     grants: Iterable[str]) -> HallScope | None:
    """`authorize` from the access cache alone (no database): None when something the
    decision needs is not cached."""
    h = core.access.hall(hall)
    if h is None:
        return None
    actor = None
    if token:
        actor = auth.cached(core, token)
        if actor is None:
            return None
    return _admit(h, actor, frozenset(grants))


def authorize(core: Core, *, hall: str, token: str | None,
              grants: Iterable[str]) -> HallScope:
    """Resolve the hall and admit the caller with one of `grants`, or raise (401/403/404).

    The hall and the principal come from the access cache (`server.auth.cache`) when it
    holds them, else from the database (and are cached).
    """
    h = core.access.hall(hall)
    if h is None:
        generation = core.access.generation
        # One session at a time: the hall and its chain are read and the session closed
        # before the token is resolved in another (holding both needed two pooled
        # connections per request, and `hallq bench day` stalled when its 200 screens
        # connected at once).
        with core.db.read_session() as db:
            h = _hall(db, hall)
        core.access.put_hall(generation, h)
    actor = auth.resolve(core, token) if token else None
    return _admit(h, actor, frozenset(grants))


def hall_access(*grants: str) -> Callable[..., Awaitable[HallScope]]:
    """A dependency admitting callers with any of `grants` to the path's `{hall}`."""
    unknown = set(grants) - GRANTS
    if unknown:
        raise ValueError(f"unknown grants {sorted(unknown)}")

    async def dependency(hall: str, token: Annotated[str | None, Depends(bearer)],
                         core: CoreDep) -> HallScope:
        # On the event loop from the access cache; a miss reads the database in a thread.
        scope = authorize_cached(core, hall=hall, token=token, grants=grants)
        if scope is None:
            scope = await asyncio.to_thread(authorize, core, hall=hall, token=token,
                                            grants=grants)
        return scope

    dependency.grants = frozenset(grants)  # type: ignore[attr-defined]  # read by the matrix test
    return dependency


def ws_token(websocket: WebSocket) -> str | None:
    """A websocket's bearer token: `?token=` (browsers cannot set headers) or the header."""
    scheme, _, value = websocket.headers.get("authorization", "").partition(" ")
    if scheme.lower() == "bearer" and value.strip():
        return value.strip()
    return websocket.query_params.get("token") or None


def ws_hall_access(*grants: str) -> Callable[..., Any]:
    """The websocket form of `hall_access`: the scope, or None after refusing the handshake.

    A refused handshake is answered with HTTP 401, 403 or 404 before the socket opens where
    the server supports it, else closed with 1008.
    """
    unknown = set(grants) - GRANTS
    if unknown:
        raise ValueError(f"unknown grants {sorted(unknown)}")

    async def dependency(websocket: WebSocket, hall: str) -> HallScope | None:
        core: Core = websocket.app.state.core
        token = ws_token(websocket)
        try:
            scope = authorize_cached(core, hall=hall, token=token, grants=grants)
            if scope is None:
                scope = await asyncio.to_thread(authorize, core, hall=hall, token=token,
                                                grants=grants)
            return scope
        except HallqError as err:
            await deny(websocket, err.status, err.detail, err.code)
            return None

    dependency.grants = frozenset(grants)  # type: ignore[attr-defined]  # read by the matrix test
    return dependency


async def deny(websocket: WebSocket, status: int, detail: str, code: str | None = None) -> None:
    """Refuse a websocket handshake with an HTTP status where possible, else close 1008."""
    if "websocket.http.response" in websocket.scope.get("extensions", {}):
        await websocket.send_denial_response(
            JSONResponse({"detail": detail, "code": code}, status_code=status))
    else:
        await websocket.close(code=1008, reason=detail[:120])


def get_deployment_admin(principal: CurrentPrincipal) -> Principal:
    """The deployment-wide administrator: creates halls and centres."""
    if not (principal.has(DEPLOYMENT_ADMIN) and principal.hall_id is None):
        raise Forbidden("only the deployment administrator may do this", code="role")
    return principal


PublicHall = Annotated[HallScope, Depends(hall_access("public"))]
# The grants of the hot routes (`server.hotpaths` admits their plain case with these).
STAFF_GRANTS = ("staff",)
ISSUER_GRANTS = ("kiosk", "agent", "staff", "operator")

StaffInHall = Annotated[HallScope, Depends(hall_access(*STAFF_GRANTS))]
OperatorInHall = Annotated[HallScope, Depends(hall_access("operator"))]
AdminOfHall = Annotated[HallScope, Depends(hall_access("admin"))]
# Who issues tickets: the hall's kiosks and agents, or a person at the help desk.
IssuerInHall = Annotated[HallScope, Depends(hall_access(*ISSUER_GRANTS))]
# A person at the help desk (综合咨询, 焦作 第二十九条): the hall's staff or an operator.
DeskInHall = Annotated[HallScope, Depends(hall_access("staff", "operator"))]
DeploymentAdmin = Annotated[Principal, Depends(get_deployment_admin)]
# Websockets: a screen shows nothing a person in the hall cannot see.
DisplayInHall = Annotated[HallScope | None, Depends(ws_hall_access(
    "screen", "kiosk", "agent", "counter", "staff", "operator"))]
CounterInHall = Annotated[HallScope | None, Depends(ws_hall_access(
    "counter", "staff", "operator"))]
MonitorInHall = Annotated[HallScope | None, Depends(ws_hall_access("operator"))]
AgentInHall = Annotated[HallScope | None, Depends(ws_hall_access("agent"))]
