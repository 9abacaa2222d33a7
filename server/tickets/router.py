"""Ticket endpoints: issue, read, appointments, requeue, cancel."""

from __future__ import annotations

from functools import partial

from fastapi import APIRouter, Request, Response

from server.auth.access import IssuerInHall, OperatorInHall
from server.auth.dependencies import CoreDep
from server.auth.principal import Principal
from server.auth.security import rating_key
from server.core import Core
from server.devices import printing
from server.responses import json_response
from server.tickets import at_once, flows
from server.tickets.schemas import (
    AppointmentCreate,
    AppointmentRead,
    CancelRequest,
    IssuedTicket,
    RequeueRequest,
    TicketCreate,
    TicketRead,
)
from server.writer import on_writer

router = APIRouter(prefix="/api/v1", tags=["tickets"])


def _print_for_kiosk(core: Core, base: str, ticket: TicketRead,
                     actor: Principal) -> dict[str, str]:
    """A kiosk device's ticket is printed by its agent; the job id goes in a header."""
    if actor.device_kind != "kiosk":
        return {}
    job = printing.request_print(core, ticket=ticket, kiosk=actor.name,
                                 base=printing.public_base(core, base))
    return {"X-Print-Job": job["job"], "X-Print-State": job["state"]}


@router.post("/halls/{hall}/tickets", status_code=201, response_model=IssuedTicket)
async def issue_ticket(hall: str, body: TicketCreate, request: Request, core: CoreDep,
                       scope: IssuerInHall) -> Response:
    """Take a ticket at a kiosk (printed by the hall's agent) or at the help desk."""
    # One hop: the flow, its print job and its answer (`server.hotpaths` takes the plain
    # case of this route before FastAPI, to the same function).
    return await core.db.run_write(partial(issue_answer, core, hall, body, scope.principal,
                                           str(request.base_url)))


def issue_answer(core: Core, hall: str, body: TicketCreate, actor: Principal,
                 base: str) -> Response:
    """Issue the ticket, ask the agent to print it, and encode the answer (201)."""
    channel = "desk" if actor.is_staff and body.channel == "kiosk" else body.channel
    ticket = None
    if not body.id_number:  # the plain case, on PostgreSQL in one statement
        ticket = at_once.issue(core, hall=hall, service=body.service, priority=body.priority,
                               channel=channel, actor=actor, green_reason=body.green_reason)
    if ticket is None:
        ticket = flows.issue(core, hall=hall, service=body.service, priority=body.priority,
                             channel=channel, actor=actor, id_number=body.id_number,
                             green_reason=body.green_reason)
    headers = _print_for_kiosk(core, base, ticket, actor)
    return json_response(_issued(core, ticket), 201, headers)


def _issued(core: Core, ticket: TicketRead) -> IssuedTicket:
    """The ticket with its rating key, for the one who took it (the contract's fields and
    one more)."""
    return IssuedTicket(**ticket.model_dump(),
                        rating_key=rating_key(ticket.id, core.settings.pepper))


@router.get("/tickets/{ticket_id}")
def get_ticket(ticket_id: str, core: CoreDep) -> TicketRead:
    """A ticket, for anyone holding its unguessable id."""
    return flows.get(core, ticket_id=ticket_id)


@router.post("/halls/{hall}/appointments", status_code=201)
@on_writer
def create_appointment(hall: str, body: AppointmentCreate, core: CoreDep,
                       scope: OperatorInHall) -> AppointmentRead:
    """Record a booking (the online platform, through an operator or admin account)."""
    return flows.create_appointment(core, hall=hall, body=body, actor=scope.principal)


@router.post("/halls/{hall}/appointments/{code}/check-in", status_code=201)
@on_writer
def check_in(hall: str, code: str, request: Request, response: Response, core: CoreDep,
             scope: IssuerInHall) -> IssuedTicket:
    """Check a booking in at the kiosk (scanned QR code or typed code)."""
    ticket = flows.check_in(core, hall=hall, code=code, actor=scope.principal)
    response.headers.update(_print_for_kiosk(core, str(request.base_url), ticket,
                                             scope.principal))
    return _issued(core, ticket)


@router.post("/halls/{hall}/tickets/requeue")
@on_writer
def requeue(hall: str, body: RequeueRequest, core: CoreDep, scope: IssuerInHall) -> TicketRead:
    """A returning no-show goes back in the queue (过号重排)."""
    return flows.requeue(core, hall=hall, number=body.number, actor=scope.principal)


@router.post("/halls/{hall}/tickets/{ticket_id}/cancel")
@on_writer
def cancel(hall: str, ticket_id: str, body: CancelRequest, core: CoreDep,
           scope: IssuerInHall) -> TicketRead:
    """Cancel a ticket with a reason."""
    return flows.cancel(core, hall=hall, ticket_id=ticket_id, reason=body.reason,
                        actor=scope.principal)
