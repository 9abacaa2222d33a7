"""Booking endpoints: slots, the citizen's bookings (code + ID or phone), the staff's list."""

from __future__ import annotations

from datetime import date
from typing import Annotated

from fastapi import APIRouter, Query, Request
from pydantic import BaseModel

from server.appointments import flows, platform, reminders
from server.appointments.schemas import (
    BookingCreate,
    BookingLookup,
    BookingMove,
    BookingOffer,
    Proof,
    SlotsRead,
    StaffCancel,
    StaffMove,
)
from server.auth.access import IssuerInHall, OperatorInHall, PublicHall
from server.auth.dependencies import CoreDep
from server.errors import Conflict, Invalid
from server.tickets.models import APPOINTMENT_STATUSES
from server.tickets.schemas import AppointmentRead
from server.writer import on_writer

router = APIRouter(prefix="/api/v1", tags=["appointments"])


def _day(value: date | None) -> date | None:
    if value is not None and not 2000 <= value.year <= 2999:
        raise Invalid("the date is out of range")
    return value


@router.get("/halls/{hall}/appointments/offer")
def offer(hall: str, scope: PublicHall, request: Request, core: CoreDep) -> BookingOffer:
    """The hall's bookable services and how far ahead they can be booked (anyone)."""
    return flows.offer(core, hall=hall,
                       sms_reminders=bool(request.app.state.integrations.sms_url))


@router.get("/halls/{hall}/appointments/slots")
def slots(hall: str,
          scope: PublicHall, core: CoreDep, service: Annotated[str, Query(max_length=32)],
          start: date | None = None,
          days: Annotated[int, Query(ge=1, le=flows.MAX_DAYS)] = 7) -> SlotsRead:
    """The bookable slots of a service, with their room left (anyone)."""
    return flows.slots(core, hall=hall, service=service, start=_day(start), days=days)


@router.post("/halls/{hall}/bookings", status_code=201)
@on_writer
def book(hall: str, scope: PublicHall, body: BookingCreate, request: Request,
         core: CoreDep) -> AppointmentRead:
    """A citizen books a slot with their ID number or phone (kept only as a keyed hash)."""
    sealer = reminders.sealer_for(request.app.state.integrations) if body.remind else None
    return flows.book(core, hall=hall, service=body.service, slot_start=body.slot_start,
                      id_number=body.id_number, phone=body.phone, source="citizen",
                      actor=None, sealer=sealer, lang=body.lang)


@router.post("/halls/{hall}/bookings/lookup")
def lookup(hall: str, scope: PublicHall, body: BookingLookup, core: CoreDep) -> AppointmentRead:
    """A citizen's booking by its code and their ID number or phone."""
    return flows.lookup(core, hall=hall, code=body.code, proof=body)


@router.post("/halls/{hall}/bookings/mine")
@on_writer
def mine(hall: str, scope: PublicHall, body: Proof, core: CoreDep) -> list[AppointmentRead]:
    """A citizen's bookings in this hall, by ID number or phone."""
    return flows.list_mine(core, hall=hall, proof=body)


@router.post("/halls/{hall}/bookings/{code}/cancel")
@on_writer
def cancel_mine(hall: str,
                scope: PublicHall, code: str, body: Proof, core: CoreDep) -> AppointmentRead:
    """A citizen cancels their booking."""
    return flows.cancel(core, hall=hall, code=code, proof=body, actor=None,
                        reason="cancelled by the citizen")


@router.post("/halls/{hall}/bookings/{code}/reschedule")
@on_writer
def reschedule_mine(hall: str, scope: PublicHall, code: str, body: BookingMove,
                    core: CoreDep) -> AppointmentRead:
    """A citizen moves their booking to another slot."""
    proof = Proof(id_number=body.id_number, phone=body.phone)
    return flows.reschedule(core, hall=hall, code=code, slot_start=body.slot_start,
                            proof=proof, actor=None)


@router.get("/halls/{hall}/appointments")
@on_writer
def list_hall(hall: str, core: CoreDep, scope: IssuerInHall, day: date | None = None,
              service: Annotated[str | None, Query(max_length=32)] = None,
              status: str | None = None) -> list[AppointmentRead]:
    """A day's bookings (help desk, operator)."""
    if status is not None and status not in APPOINTMENT_STATUSES:
        raise Invalid(f"status must be one of {', '.join(APPOINTMENT_STATUSES)}")
    return flows.list_hall(core, hall=hall, day=_day(day), service=service, status=status)


@router.get("/halls/{hall}/appointments/{code}")
def get_one(hall: str, code: str, core: CoreDep, scope: IssuerInHall) -> AppointmentRead:
    """One booking by its code (help desk, operator)."""
    return flows.lookup(core, hall=hall, code=code, proof=None)


@router.post("/halls/{hall}/appointments/{code}/cancel")
@on_writer
def cancel(hall: str, code: str, body: StaffCancel, core: CoreDep,
           scope: IssuerInHall) -> AppointmentRead:
    """Cancel a booking at the hall, with a reason."""
    return flows.cancel(core, hall=hall, code=code, proof=None, actor=scope.principal,
                        reason=body.reason)


@router.post("/halls/{hall}/appointments/{code}/reschedule")
@on_writer
def reschedule(hall: str, code: str, body: StaffMove, core: CoreDep,
               scope: IssuerInHall) -> AppointmentRead:
    """Move a booking to another slot at the hall."""
    return flows.reschedule(core, hall=hall, code=code, slot_start=body.slot_start,
                            proof=None, actor=scope.principal)


class PushResults(BaseModel):
    """What became of each pushed record, in order."""

    results: list[platform.RecordResult]


@router.post("/halls/{hall}/appointments/platform")
@on_writer
def platform_push(hall: str, body: platform.PlatformBatch, request: Request, core: CoreDep,
                  scope: OperatorInHall) -> PushResults:
    """Bookings and cancellations pushed by the provincial booking platform (idempotent)."""
    settings: platform.BookingPlatformSettings = request.app.state.booking_platform
    if settings.mode != "push":
        raise Conflict("this deployment does not take pushes from the booking platform "
                       "(HALLQ_BOOKING_PLATFORM_MODE)", code="platform_off")
    return PushResults(results=platform.apply_records(core, hall=hall, records=body.items))
