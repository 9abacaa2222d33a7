"""Help-desk endpoints (综合咨询服务台): one thin handler per action on the desk page.

Staff and operators of the hall (or of a centre above it) use them: `DeskInHall`.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Query, Request
from pydantic import BaseModel, Field

from server.auth.access import DeskInHall
from server.auth.dependencies import CoreDep
from server.desk import flows, service
from server.devices import printing
from server.tickets import flows as ticket_flows
from server.tickets.schemas import CancelRequest, RequeueRequest, TicketCreate
from server.writer import on_writer

router = APIRouter(prefix="/api/v1/halls/{hall}/desk", tags=["desk"])


class DeskIssue(TicketCreate):
    """A ticket issued for a citizen at the desk; printed on the desk's printer."""

    print: bool = True


class Reissue(BaseModel):
    """A new ticket in place of an old one, for the same or another service."""

    service: str | None = Field(None, min_length=1, max_length=32)
    print: bool = True


def _base(request: Request, core: CoreDep) -> str:
    return printing.public_base(core, str(request.base_url))


@router.get("")
def overview(hall: str, core: CoreDep, scope: DeskInHall) -> dict[str, Any]:
    """The hall, its services with their materials (办事指南) and the 绿色通道 categories."""
    return service.overview(core, hall=hall, actor=scope.principal)


@router.post("/tickets", status_code=201)
@on_writer
def issue(hall: str, body: DeskIssue, request: Request, core: CoreDep,
          scope: DeskInHall) -> dict[str, Any]:
    """Issue a ticket for a citizen (any service, 绿色通道 with its category) and print it."""
    return flows.issue(core, hall=hall, service=body.service, priority=body.priority,
                       green_reason=body.green_reason, id_number=body.id_number,
                       print_it=body.print, base=_base(request, core), actor=scope.principal)


@router.get("/tickets/{number}")
def lookup(hall: str, number: str, core: CoreDep, scope: DeskInHall) -> dict[str, Any]:
    """Today's ticket with this number and its history."""
    return service.lookup(core, hall=hall, number=number, actor=scope.principal)


@router.get("/appointments")
def appointments(hall: str, core: CoreDep, scope: DeskInHall,
                 code: str | None = Query(None, max_length=64),
                 id_number: str | None = Query(None, max_length=32),
                 phone: str | None = Query(None, max_length=32)) -> list[dict[str, Any]]:
    """Today's bookings by code, ID number or phone."""
    return service.appointments(core, hall=hall, code=code, id_number=id_number, phone=phone,
                                actor=scope.principal)


@router.post("/appointments/{code}/check-in", status_code=201)
@on_writer
def check_in(hall: str, code: str, request: Request, core: CoreDep,
             scope: DeskInHall) -> dict[str, Any]:
    """Check a booking in for the citizen and print its ticket."""
    return flows.check_in(core, hall=hall, code=code, print_it=True,
                          base=_base(request, core), actor=scope.principal)


@router.post("/requeue")
@on_writer
def requeue(hall: str, body: RequeueRequest, core: CoreDep,
            scope: DeskInHall) -> dict[str, Any]:
    """过号重排: a returning no-show waits again, behind as many as the hall's rule says."""
    return {"ticket": ticket_flows.requeue(core, hall=hall, number=body.number,
                                           actor=scope.principal).model_dump()}


@router.post("/tickets/{ticket_id}/cancel")
@on_writer
def cancel(hall: str, ticket_id: str, body: CancelRequest, core: CoreDep,
           scope: DeskInHall) -> dict[str, Any]:
    """Cancel a ticket with a reason."""
    return {"ticket": ticket_flows.cancel(core, hall=hall, ticket_id=ticket_id,
                                          reason=body.reason, actor=scope.principal).model_dump()}


@router.post("/tickets/{ticket_id}/reissue", status_code=201)
@on_writer
def reissue(hall: str, ticket_id: str, body: Reissue, request: Request, core: CoreDep,
            scope: DeskInHall) -> dict[str, Any]:
    """A new ticket in place of an old one; the answer carries the new number."""
    return flows.reissue(core, hall=hall, ticket_id=ticket_id, service=body.service,
                         print_it=body.print, base=_base(request, core), actor=scope.principal)


@router.post("/tickets/{ticket_id}/reprint", status_code=202)
def reprint(hall: str, ticket_id: str, request: Request, core: CoreDep,
            scope: DeskInHall) -> dict[str, Any]:
    """Print a ticket again (补打)."""
    return flows.reprint(core, hall=hall, ticket_id=ticket_id, base=_base(request, core),
                         actor=scope.principal)


@router.post("/tickets/{ticket_id}/notice/print", status_code=202)
def print_notice(hall: str, ticket_id: str, request: Request, core: CoreDep,
                 scope: DeskInHall) -> dict[str, Any]:
    """Print a ticket's 一次性告知单 again."""
    return flows.print_notice(core, hall=hall, ticket_id=ticket_id,
                              base=_base(request, core), actor=scope.principal)


@router.post("/services/{code}/guide/print", status_code=202)
def print_guide(hall: str, code: str, core: CoreDep, scope: DeskInHall) -> dict[str, Any]:
    """Print a service's 办事指南 on the desk's printer."""
    return flows.print_guide(core, hall=hall, service=code, actor=scope.principal)
