"""线上取号 endpoints: the hall's phone offer, taking a number, the door's QR code.

Public on purpose: a citizen's phone holds no account. What protects the queue is the
hall's rules (on/off, services, the daily limit per phone number, hours).
"""

from __future__ import annotations

from typing import Annotated, Any

import anyio.to_thread
import qrcode
import qrcode.image.svg
from fastapi import APIRouter, Depends, Request, Response

from server.auth.access import PublicHall
from server.auth.dependencies import CoreDep
from server.devices import printing
from server.integrations import IntegrationSettings
from server.notices import flows
from server.notices.adapters import Adapters
from server.notices.schemas import PhoneOffer, PhoneTicketCreate
from server.openapi import files

router = APIRouter(prefix="/api/v1", tags=["phone"])


def get_integrations(request: Request) -> IntegrationSettings:
    """The app's integration settings."""
    settings: IntegrationSettings = request.app.state.integrations
    return settings


def get_adapters(request: Request) -> Adapters:
    """The app's notice links."""
    adapters: Adapters = request.app.state.notices.adapters
    return adapters


IntegrationsDep = Annotated[IntegrationSettings, Depends(get_integrations)]
AdaptersDep = Annotated[Adapters, Depends(get_adapters)]


@router.get("/halls/{hall}/phone")
def offer(hall: str, scope: PublicHall, core: CoreDep, settings: IntegrationsDep) -> PhoneOffer:
    """What the phone page offers: services, notice channels, whether the hall issues now."""
    return flows.offer(core, hall=hall, settings=settings)


@router.post("/halls/{hall}/phone/tickets", status_code=201)
async def take(hall: str, scope: PublicHall, body: PhoneTicketCreate, request: Request,
               core: CoreDep, settings: IntegrationsDep, adapters: AdaptersDep) -> dict[str, Any]:
    """Take a number from a phone, with 到号提醒 when asked for."""
    # The notice contact first, in the threadpool (a WeChat notice asks WeChat), then the
    # ticket on the writer.
    prepared = await anyio.to_thread.run_sync(flows.contact, body, settings, adapters)
    base = str(request.base_url)

    def take() -> dict[str, Any]:
        ticket, ahead = flows.take(core, hall=hall, body=body, settings=settings,
                                   adapters=adapters, prepared=prepared)
        holder = printing.holder_fields(core, printing.public_base(core, base), ticket.id)
        return {"ticket": ticket.model_dump(), **holder,
                "notice": body.notice.channel if body.notice else "none", "notify_ahead": ahead}

    return await core.db.run_write(take)


@router.get("/halls/{hall}/phone/qr.svg", response_class=Response,
            responses=files("image/svg+xml"))
def door_qr(hall: str, scope: PublicHall, request: Request, core: CoreDep) -> Response:
    """The QR code for the hall's door, leading to its phone page."""
    code = flows.hall_code(core, hall=hall)
    base = printing.public_base(core, str(request.base_url))
    image = qrcode.make(f"{base}/p/{code}", box_size=10, border=2,
                        image_factory=qrcode.image.svg.SvgPathImage)
    return Response(image.to_string(encoding="unicode"), media_type="image/svg+xml",
                    headers={"Cache-Control": "public, max-age=3600"})
