"""去向牌 and AB岗 endpoints: thin handlers over `staffing.flows`."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter

from server.auth.access import OperatorInHall, StaffInHall
from server.auth.dependencies import CoreDep
from server.staffing import flows
from server.staffing.schemas import PostOverrideIn, PresenceIn
from server.writer import on_writer

router = APIRouter(prefix="/api/v1/halls/{hall}", tags=["staffing"])


@router.get("/presence")
def presence_board(hall: str, core: CoreDep, scope: OperatorInHall) -> dict[str, Any]:
    """The presence board: staff 去向牌 and each window's A and B post."""
    return flows.board(core, hall=hall, actor=scope.principal)


@router.put("/presence/me")
@on_writer
def set_my_presence(hall: str, body: PresenceIn, core: CoreDep,
                    scope: StaffInHall) -> dict[str, Any]:
    """Set one's own 去向牌 at the counter."""
    return flows.set_presence(core, hall=hall, job_no=None, presence=body.presence,
                              note=body.note, actor=scope.principal)


@router.put("/staff/{job_no}/presence")
@on_writer
def set_presence(hall: str, job_no: str, body: PresenceIn, core: CoreDep,
                 scope: OperatorInHall) -> dict[str, Any]:
    """An operator sets a staff member's 去向牌."""
    return flows.set_presence(core, hall=hall, job_no=job_no, presence=body.presence,
                              note=body.note, actor=scope.principal)


@router.post("/windows/{window}/post-override", status_code=201)
@on_writer
def post_override(hall: str, window: str, body: PostOverrideIn, core: CoreDep,
                  scope: OperatorInHall) -> dict[str, Any]:
    """Let someone other than the named staff take a window's A or B post today (audited)."""
    return flows.grant_post(core, hall=hall, window=window, job_no=body.job_no, post=body.post,
                            reason=body.reason, actor=scope.principal)
