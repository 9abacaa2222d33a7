"""ID-card flows: a card read arrives from an agent; a terminal uses it to check in or issue.

The agent sends the number over its authenticated websocket; `record_read` hashes it with
the core's pepper at once (`pii_digest`, the same keyed hash as typed numbers and
bookings) and drops it. Only the hash and a random reference travel on: the number is
never stored, logged or published (PIPL; the name and photo never leave the agent).
"""

from __future__ import annotations

import secrets
from typing import Literal

from sqlalchemy import select

from drivers import id_number_valid
from server.auth.models import Device
from server.auth.principal import Principal
from server.auth.security import pii_digest
from server.core import Core
from server.errors import Refused
from server.events import schemas
from server.halls import service as halls
from server.idcards.reads import CardRead, card_log, may_use
from server.tickets import flows as ticket_flows
from server.tickets import service as tickets
from server.tickets.models import Appointment
from server.tickets.schemas import TicketRead

Action = Literal["checked_in", "issued", "none"]


def record_read(core: Core, *, hall: str, reader: str, kiosks: list[str], id_number: str,
                expired: bool) -> None:
    """Hash a card's number at once and publish the read for the reader's terminals."""
    number = "".join(str(id_number).split()).upper()
    if not id_number_valid(number):
        # Never echo the number: the refusal goes back to the agent and into logs.
        raise Refused("the card's number is not a valid ID number", code="invalid")
    digest = pii_digest(number, core.settings.pepper)
    now = core.clock.now()
    with core.db.read_session() as db:
        at = tickets.iso(halls.get_hall(db, hall), now)
    card_log(core.bus)  # listening before the first read, whatever polled first
    core.bus.publish(hall, schemas.idcard(reader=reader, kiosks=kiosks[:32],
                                          card=secrets.token_urlsafe(16), id_hash=digest,
                                          expired=expired, at=at))


def readers(core: Core, *, hall: str, actor: Principal) -> list[str]:
    """The agents with an ID-card reader the caller may use (from their hellos)."""
    with core.db.read_session() as db:
        h = halls.get_hall(db, hall)
        rows = db.scalars(select(Device).where(Device.hall_id == h.id).order_by(Device.name))
        found = []
        for row in rows:
            agent = (row.status or {}).get("agent") or {}
            kinds = {d.get("kind") for d in agent.get("devices") or [] if isinstance(d, dict)}
            if "idcard" in kinds and may_use(row.name, agent.get("kiosks") or [], actor):
                found.append(row.name)
        return found


def booking_today(core: Core, *, hall: str, id_hash: str) -> str | None:
    """The code of the card holder's earliest booking today not yet checked in or cancelled."""
    now = core.clock.now()
    with core.db.read_session() as db:
        h = halls.get_hall(db, hall)
        today = halls.local_time(h, now).date()
        booked = db.scalars(select(Appointment).where(
            Appointment.hall_id == h.id, Appointment.id_hash == id_hash,
            # A booking marked missed is still checked in the same day, as a walk-in.
            Appointment.status.in_(("booked", "missed"))).order_by(Appointment.slot_start))
        for appt in booked:
            if halls.local_day(h, appt.slot_start) == today:
                return appt.code
    return None


def use_card(
    core: Core, *, hall: str, read: CardRead, actor: Principal, channel: str,
    service: str | None = None, priority: str = "normal", green_reason: str | None = None,
) -> tuple[Action, TicketRead | None]:
    """Check in the holder's booking for today; else issue for `service`; else nothing.

    The daily limit (每人每日限取) applies to the card's hash either way.
    """
    code = booking_today(core, hall=hall, id_hash=read.id_hash)
    if code is not None:
        return "checked_in", ticket_flows.check_in(core, hall=hall, code=code, actor=actor,
                                                   id_hash=read.id_hash)
    if service is None:
        return "none", None
    ticket = ticket_flows.issue(core, hall=hall, service=service, priority=priority,
                                channel=channel, actor=actor, green_reason=green_reason,
                                id_hash=read.id_hash)
    return "issued", ticket
