"""Device endpoints: printer and device status, print results, scans, reprints."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from pydantic import BaseModel, Field

from server.auth.access import DeskInHall, IssuerInHall
from server.auth.dependencies import CoreDep
from server.devices import printing, status
from server.devices.scans import scan_log
from server.errors import NotFound
from server.tickets import flows as ticket_flows

router = APIRouter(prefix="/api/v1/halls/{hall}", tags=["devices"])


@router.get("/devices/status")
def devices_status(hall: str, core: CoreDep, scope: IssuerInHall) -> dict[str, Any]:
    """The hall's printers (ok, offline or none) and every reporting device."""
    return {"printer": status.printer_state(core, hall),
            "devices": status.device_status(core, hall)}


@router.get("/print-jobs/{job}")
def print_job(hall: str, job: str, core: CoreDep, scope: IssuerInHall) -> dict[str, Any]:
    """What became of a print job (pending, printed or failed)."""
    return status.print_job(core, hall, job)


@router.get("/devices/scans")
def scans(hall: str, core: CoreDep, scope: IssuerInHall, after: int = -1) -> dict[str, Any]:
    """Scanner reads after number `after` (kiosks without a websocket poll this)."""
    core.bus.follow_for(hall, 120.0)  # scans arrive where the scanner's agent is connected
    return scan_log(core.bus).since(hall, after)


class Reprint(BaseModel):
    """Reprint a ticket at the help desk, optionally on one kiosk's printer."""

    kiosk: str | None = Field(None, max_length=100)


@router.post("/tickets/{ticket_id}/reprint", status_code=202)
def reprint(hall: str, ticket_id: str, body: Reprint, request: Request, core: CoreDep,
            scope: DeskInHall) -> dict[str, Any]:
    """Help-desk staff reprint a citizen's ticket (a lost or unprinted one)."""
    ticket = ticket_flows.get(core, ticket_id=ticket_id)
    if ticket.hall != hall:
        raise NotFound("no such ticket in this hall", code="unknown_ticket")
    base = printing.public_base(core, str(request.base_url))
    return printing.request_print(core, ticket=ticket, base=base, kiosk=body.kiosk,
                                  reprint=True)
