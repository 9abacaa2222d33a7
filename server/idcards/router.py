"""ID-card reads for the kiosk and the help desk: poll for a card, then use it.

`GET /api/v1/halls/{hall}/id-cards` lists the fresh reads the caller may see (a kiosk its
own reader's; help-desk staff every reader's, or one `reader`'s); `POST
/api/v1/halls/{hall}/id-cards/ticket` checks in the holder's booking for today, or issues
a ticket for a service, and prints it. Terminals only ever hold the random `card`
reference: never the number, never its hash.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Query, Request, Response
from pydantic import BaseModel, Field

from server.auth.access import IssuerInHall
from server.auth.dependencies import CoreDep
from server.devices import printing
from server.errors import Forbidden, NotFound
from server.idcards import flows
from server.idcards.reads import TTL_S, card_log
from server.writer import on_writer

router = APIRouter(prefix="/api/v1/halls/{hall}/id-cards", tags=["id-cards"])


@router.get("")
def reads(hall: str, core: CoreDep, scope: IssuerInHall, after: int = -1,
          reader: str | None = Query(None, max_length=100)) -> dict[str, Any]:
    """Card reads after number `after`; a negative `after` learns the position and readers."""
    # Reads are published where the reader's agent is connected: follow the hall a while.
    core.bus.follow_for(hall, TTL_S)
    result = card_log(core.bus).since(hall, after, scope.principal, reader)
    if after < 0:
        result["readers"] = flows.readers(core, hall=hall, actor=scope.principal)
    return result


class UseCard(BaseModel):
    """Use a card read: check in today's booking, else take a ticket for `service`."""

    card: str = Field(min_length=8, max_length=64)
    service: str | None = Field(None, min_length=1, max_length=32)
    priority: str = Field("normal", pattern=r"^(normal|green)$")
    green_reason: str | None = Field(None, max_length=64)
    kiosk: str | None = Field(None, max_length=100, description="help desk: whose printer")


@router.post("/ticket")
@on_writer
def use_card(hall: str, body: UseCard, request: Request, response: Response, core: CoreDep,
             scope: IssuerInHall) -> dict[str, Any]:
    """Check in or issue by ID card; 201 with the printed ticket, 200 when nothing was due."""
    if not scope.principal.is_staff and not scope.principal.has("kiosk"):
        raise Forbidden("only kiosks and help-desk staff use ID cards")
    read = card_log(core.bus).get(hall, body.card, scope.principal)
    if read is None:
        raise NotFound("this card read is unknown or too old: place the card again",
                       code="card_expired")
    action, ticket = flows.use_card(
        core, hall=hall, read=read, actor=scope.principal,
        channel="desk" if scope.principal.is_staff else "kiosk",
        service=body.service, priority=body.priority, green_reason=body.green_reason)
    if ticket is None:
        return {"action": action, "ticket": None}
    base = printing.public_base(core, str(request.base_url))
    kiosk = body.kiosk if scope.principal.is_staff else scope.principal.name
    job = printing.request_print(core, ticket=ticket, base=base, kiosk=kiosk)
    response.status_code = 201
    return {"action": action, "ticket": ticket.model_dump(),
            **printing.holder_fields(core, base, ticket.id), "print": job}
