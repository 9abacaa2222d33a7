"""Login (OAuth2 password flow) and who-am-I."""

from __future__ import annotations

from functools import partial
from typing import Annotated, Any

import anyio.to_thread
from fastapi import APIRouter, Depends, Request, Response
from fastapi.security import OAuth2PasswordRequestForm
from pydantic import BaseModel, Field

from server.auth import service as auth
from server.auth.dependencies import CoreDep, CurrentPrincipal, bearer
from server.writer import on_writer

router = APIRouter(prefix="/api/v1/auth", tags=["auth"])


@router.post("/token")
async def token(core: CoreDep, form: Annotated[OAuth2PasswordRequestForm, Depends()],
                request: Request) -> dict[str, str]:
    """Exchange a job number and password for a bearer token (throttled: 429)."""
    address = request.client.host if request.client else ""
    # The password check (argon2, slow on purpose) in the threadpool; only the token's
    # row on the writer.
    staff_id = await anyio.to_thread.run_sync(partial(
        auth.check_password, core, username=form.username, password=form.password,
        address=address))
    return {"access_token": await core.db.run_write(partial(auth.grant, core,
                                                              staff_id=staff_id)),
            "token_type": "bearer"}


@router.post("/logout", status_code=204)
@on_writer
def logout(core: CoreDep, principal: CurrentPrincipal,
           token: Annotated[str | None, Depends(bearer)]) -> Response:
    """Revoke the token this request carries (signing out of the counter or the monitor)."""
    if token:
        auth.logout(core, token=token)
    return Response(status_code=204)


class BadgeLogin(BaseModel):
    """A staff badge as the counter's scanner read it."""

    badge: str = Field(min_length=4, max_length=128)


@router.post("/badge")
@on_writer
def badge(body: BadgeLogin, core: CoreDep, device: CurrentPrincipal) -> dict[str, str]:
    """Log in by badge scan at a counter PC (the PC's device token authorises the call)."""
    return {"access_token": auth.badge_login(core, badge=body.badge, device=device),
            "token_type": "bearer"}


@router.get("/me")
def me(principal: CurrentPrincipal) -> dict[str, Any]:
    """Who the token belongs to."""
    return {"name": principal.name, "job_no": principal.job_no or None,
            "roles": sorted(principal.roles), "device": principal.device_kind}
