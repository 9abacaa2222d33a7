"""Counter-terminal endpoints beyond the contract's buttons."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter

from server.auth.access import StaffInHall
from server.auth.dependencies import CoreDep
from server.counter import service

router = APIRouter(prefix="/api/v1/halls/{hall}", tags=["counter"])


@router.get("/counter")
def choices(hall: str, core: CoreDep, scope: StaffInHall) -> dict[str, Any]:
    """The windows to pick from (who works each now) and the services to transfer to."""
    return service.choices(core, hall=hall, actor=scope.principal)


@router.get("/windows/{window}/desk")
def desk(hall: str, window: str, core: CoreDep, scope: StaffInHall) -> dict[str, Any]:
    """The window's current ticket, waiting list, today's counts and 空岗 warning."""
    return service.desk(core, hall=hall, window=window, actor=scope.principal)


@router.post("/windows/{window}/invite-rating", status_code=202)
def invite_rating(hall: str, window: str, core: CoreDep, scope: StaffInHall) -> dict[str, Any]:
    """邀请评价: the evaluator at the window asks the citizen to rate the service."""
    return service.invite_rating(core, hall=hall, window=window, actor=scope.principal)
