"""Login (OAuth2 password flow) and who-am-I."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends
from fastapi.security import OAuth2PasswordRequestForm

from server.auth import service as auth
from server.auth.dependencies import CoreDep, CurrentPrincipal

router = APIRouter(prefix="/api/v1/auth", tags=["auth"])


@router.post("/token")
def token(core: CoreDep, form: Annotated[OAuth2PasswordRequestForm, Depends()]) -> dict[str, str]:
    """Exchange a job number and password for a bearer token."""
    return {"access_token": auth.login(core, username=form.username, password=form.password),
            "token_type": "bearer"}


@router.get("/me")
def me(principal: CurrentPrincipal) -> dict[str, Any]:
    """Who the token belongs to."""
    return {"name": principal.name, "job_no": principal.job_no or None,
            "roles": sorted(principal.roles), "device": principal.device_kind}
