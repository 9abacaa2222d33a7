"""FastAPI dependencies: the core, the caller, and role checks."""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request
from fastapi.security import OAuth2PasswordBearer

from server.auth import service as auth
from server.auth.principal import Principal
from server.core import Core
from server.errors import Forbidden, Unauthorized

bearer = OAuth2PasswordBearer(tokenUrl="/api/v1/auth/token", auto_error=False)


async def get_core(request: Request) -> Core:
    """The core held by the app (async: no thread hop for a dependency of every route)."""
    core: Core = request.app.state.core
    return core


CoreDep = Annotated[Core, Depends(get_core)]


def get_principal(core: CoreDep, token: Annotated[str | None, Depends(bearer)]) -> Principal:
    """The authenticated caller (401 without a valid bearer token)."""
    if not token:
        raise Unauthorized("a bearer token is required")
    return auth.resolve(core, token)


CurrentPrincipal = Annotated[Principal, Depends(get_principal)]


def get_staff(principal: CurrentPrincipal) -> Principal:
    """A person holding the staff role."""
    if not principal.is_staff or not principal.has("staff", "admin"):
        raise Forbidden("window staff only")
    return principal


def get_operator(principal: CurrentPrincipal) -> Principal:
    """An operator or administrator."""
    if not principal.has("operator", "admin"):
        raise Forbidden("operators only")
    return principal


def get_admin(principal: CurrentPrincipal) -> Principal:
    """An administrator."""
    if not principal.has("admin"):
        raise Forbidden("administrators only")
    return principal


def get_issuer(principal: CurrentPrincipal) -> Principal:
    """Who may issue tickets: a kiosk or agent device, or a person at the help desk."""
    if not principal.has("kiosk", "agent", "staff", "operator", "admin"):
        raise Forbidden("only kiosks and staff issue tickets")
    return principal


CurrentStaff = Annotated[Principal, Depends(get_staff)]
CurrentOperator = Annotated[Principal, Depends(get_operator)]
CurrentAdmin = Annotated[Principal, Depends(get_admin)]
CurrentIssuer = Annotated[Principal, Depends(get_issuer)]
