"""Hall endpoints: the public service list, the live queue, configuration, devices."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Response
from pydantic import BaseModel, Field

from server.auth import service as auth
from server.auth.access import AdminOfHall, DeploymentAdmin, OperatorInHall, PublicHall
from server.auth.dependencies import CoreDep
from server.errors import Conflict, Forbidden, NotFound
from server.halls import flows
from server.halls.schemas import HallConfig, ServiceRead
from server.writer import on_writer

router = APIRouter(prefix="/api/v1", tags=["halls"])


@router.get("/halls/{hall}/services")
def list_services(hall: str, core: CoreDep, scope: PublicHall) -> list[ServiceRead]:
    """The services a citizen can take a ticket for."""
    return flows.services(core, hall=hall)


@router.get("/halls/{hall}/queue")
def queue(hall: str, core: CoreDep, scope: OperatorInHall) -> dict[str, Any]:
    """Waiting per service and the state of every window."""
    return flows.queue(core, hall=hall, actor=scope.principal)


@router.post("/admin/halls", status_code=201)
@on_writer
def create_hall(body: HallConfig, core: CoreDep, actor: DeploymentAdmin) -> HallConfig:
    """Create a hall or centre (the deployment administrator only)."""
    if flows.exists(core, hall=body.hall.code):
        raise Conflict(f"hall {body.hall.code!r} exists; change it with PUT .../config")
    flows.load(core, config=body, actor=actor)
    return flows.export(core, hall=body.hall.code)


@router.get("/admin/halls/{hall}/config")
def get_config(hall: str, core: CoreDep, scope: AdminOfHall) -> HallConfig:
    """The hall's configuration document (as `hallq load` reads it)."""
    return flows.export(core, hall=hall)


@router.put("/admin/halls/{hall}/config")
@on_writer
def put_config(hall: str, body: HallConfig, core: CoreDep, scope: AdminOfHall) -> HallConfig:
    """Replace the hall's configuration; tickets and history are kept."""
    if body.hall.code != hall:
        raise Forbidden("the document is for another hall")
    flows.load(core, config=body, actor=scope.principal)
    return flows.export(core, hall=hall)


class DeviceCreate(BaseModel):
    """Register a device."""

    name: str = Field(min_length=1, max_length=100)
    kind: str = Field(pattern=r"^(kiosk|screen|agent|counter)$")


@router.post("/admin/halls/{hall}/devices", status_code=201)
@on_writer
def create_device(hall: str, body: DeviceCreate, core: CoreDep,
                  scope: AdminOfHall) -> dict[str, Any]:
    """Register a device and return its token (shown only this once); 409 if the name exists."""
    device, token = auth.register_device(core, hall=hall, name=body.name, kind=body.kind)
    return {"name": device.name, "kind": device.kind, "token": token}


@router.get("/admin/halls/{hall}/devices")
def list_devices(hall: str, core: CoreDep, scope: AdminOfHall) -> list[dict[str, Any]]:
    """The hall's devices and their tokens' dates (never a token)."""
    return auth.list_devices(core, hall=hall)


@router.post("/admin/halls/{hall}/devices/{name}/rotate", status_code=201)
@on_writer
def rotate_device(hall: str, name: str, core: CoreDep, scope: AdminOfHall) -> dict[str, Any]:
    """A new token for a device; its old tokens stop working at once."""
    kind = next((d["kind"] for d in auth.list_devices(core, hall=hall) if d["name"] == name),
                None)
    if kind is None:
        raise NotFound(f"no device {name!r} in hall {hall!r}")
    device, token = auth.register_device(core, hall=hall, name=name, kind=kind, rotate=True)
    return {"name": device.name, "kind": device.kind, "token": token}


@router.delete("/admin/halls/{hall}/devices/{name}", status_code=204)
@on_writer
def revoke_device(hall: str, name: str, core: CoreDep, scope: AdminOfHall) -> Response:
    """Revoke a device's tokens (a lost or stolen PC)."""
    auth.revoke_device(core, hall=hall, name=name)
    return Response(status_code=204)
