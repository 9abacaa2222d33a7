"""Kiosk endpoints: the overview, issuing and check-in with a print job, the ticket QR."""

from __future__ import annotations

from typing import Annotated, Any

import qrcode
import qrcode.image.svg
from fastapi import APIRouter, Query, Request, Response
from pydantic import BaseModel, Field

from server.auth.access import IssuerInHall
from server.auth.dependencies import CoreDep
from server.auth.principal import Principal
from server.auth.security import rating_key_ok
from server.core import Core
from server.devices import printing
from server.errors import Forbidden
from server.kiosk import service
from server.openapi import files
from server.responses import json_response
from server.tickets import flows as ticket_flows
from server.tickets.schemas import TicketCreate, TicketRead
from server.writer import on_writer

router = APIRouter(prefix="/api/v1", tags=["kiosk"])


@router.get("/halls/{hall}/kiosk")
def overview(hall: str, core: CoreDep, scope: IssuerInHall) -> dict[str, Any]:
    """Services by domain with waiting counts, estimated waits, hours and printer state."""
    return service.overview(core, hall=hall)


def _printed(core: Core, base: str, ticket: TicketRead, actor: Principal) -> dict[str, Any]:
    base = printing.public_base(core, base)
    job = printing.request_print(core, ticket=ticket, base=base,
                                 kiosk=actor.name if actor.device_kind else None)
    return {"ticket": ticket.model_dump(), **printing.holder_fields(core, base, ticket.id),
            "print": job}


@router.post("/halls/{hall}/kiosk/tickets", status_code=201, response_model=dict[str, Any])
async def issue(hall: str, body: TicketCreate, request: Request, core: CoreDep,
                scope: IssuerInHall) -> Response:
    """Take a ticket at the kiosk and print it through the hall's device agent."""
    actor, base = scope.principal, str(request.base_url)

    def issue() -> Response:  # one hop: the flow, its print job and its answer
        ticket = ticket_flows.issue(core, hall=hall, service=body.service,
                                    priority=body.priority, channel="kiosk", actor=actor,
                                    id_number=body.id_number, green_reason=body.green_reason)
        return json_response(_printed(core, base, ticket, actor), 201)

    return await core.db.run_write(issue)


class CheckIn(BaseModel):
    """An appointment's code, typed or scanned from its QR code."""

    code: str = Field(min_length=1, max_length=200)


@router.post("/halls/{hall}/kiosk/check-in", status_code=201)
@on_writer
def check_in(hall: str, body: CheckIn, request: Request, core: CoreDep,
             scope: IssuerInHall) -> dict[str, Any]:
    """Check an appointment in at the kiosk and print its ticket."""
    ticket = ticket_flows.check_in(core, hall=hall, code=service.appointment_code(body.code),
                                   actor=scope.principal)
    return _printed(core, str(request.base_url), ticket, scope.principal)


@router.get("/tickets/{ticket_id}/qr.svg", response_class=Response,
            responses=files("image/svg+xml"))
def ticket_qr(ticket_id: str, request: Request, core: CoreDep,
              k: Annotated[str | None, Query(max_length=64)] = None) -> Response:
    """The QR code leading to the citizen's ticket page, as SVG.

    With the ticket's rating key (`k`, which the kiosk got with the ticket) the code
    carries it, so the phone that scans it can rate; without, only the live view.
    """
    ticket = ticket_flows.get(core, ticket_id=ticket_id)
    base = printing.public_base(core, str(request.base_url))
    if k is not None and not rating_key_ok(ticket.id, k, core.settings.pepper):
        raise Forbidden("not this ticket's rating key", code="rating_key")
    url = printing.holder_url(core, base, ticket.id) if k else printing.ticket_url(base, ticket.id)
    image = qrcode.make(url, image_factory=qrcode.image.svg.SvgPathImage, box_size=10,
                        border=2)
    return Response(image.to_string(encoding="unicode"), media_type="image/svg+xml",
                    headers={"Cache-Control": "private, max-age=86400"})
