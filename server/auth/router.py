"""Login (OAuth2 password flow) and who-am-I."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends
from fastapi.security import OAuth2PasswordRequestForm
from pydantic import BaseModel, Field

from server.auth import service as auth
from server.auth.dependencies import CoreDep, CurrentPrincipal

router = APIRouter(prefix="/api/v1/auth", tags=["auth"])


@router.post("/token")
def token(core: CoreDep, form: Annotated[OAuth2PasswordRequestForm, Depends()]) -> dict[str, str]:
    """Exchange a job number and password for a bearer token."""
    return {"access_token": auth.login(core, username=form.username, password=form.password),
            "token_type": "bearer"}


class BadgeLogin(BaseModel):
    """A staff badge as the counter's scanner read it."""

    badge: str = Field(min_length=4, max_length=128)


@router.post("/badge")
def badge(body: BadgeLogin, core: CoreDep, device: CurrentPrincipal) -> dict[str, str]:
    """Log in by badge scan at a counter PC (the PC's device token authorises the call)."""
    return {"access_token": auth.badge_login(core, badge=body.badge, device=device),
            "token_type": "bearer"}


@router.get("/me")
def me(principal: CurrentPrincipal) -> dict[str, Any]:
    """Who the token belongs to."""
    return {"name": principal.name, "job_no": principal.job_no or None,
            "roles": sorted(principal.roles), "device": principal.device_kind}
