"""Help-desk flows: issue and print, re-issue in one transaction, reprints and slips."""

from __future__ import annotations

from typing import Any

from server.auth.principal import Principal
from server.core import Core
from server.desk import service as desk
from server.devices import printing
from server.errors import Conflict, NotFound
from server.tickets import flows as ticket_flows
from server.tickets import service as tickets
from server.tickets.models import Ticket
from server.tickets.schemas import TicketRead

__all__ = ["DESK_PRINTER", "issue", "print_guide", "print_notice", "reissue", "reprint"]

# The desk's printer: the agent that prints for the kiosk named "desk" (`--kiosk desk`),
# else any agent with a printer online.
DESK_PRINTER = "desk"


def _answer(core: Core, ticket: TicketRead, base: str, *, print_it: bool,
            reprint: bool = False) -> dict[str, Any]:
    job = (printing.request_print(core, ticket=ticket, base=base, kiosk=DESK_PRINTER,
                                  reprint=reprint) if print_it else None)
    return {"ticket": ticket.model_dump(), "print": job}


def issue(core: Core, *, hall: str, service: str, priority: str, green_reason: str | None,
          id_number: str | None, print_it: bool, base: str, actor: Principal) -> dict[str, Any]:
    """Issue a ticket for a citizen at the desk (channel `desk`) and print it there."""
    ticket = ticket_flows.issue(core, hall=hall, service=service, priority=priority,
                                channel="desk", actor=actor, id_number=id_number,
                                green_reason=green_reason if priority == "green" else None)
    return _answer(core, ticket, base, print_it=print_it)


def check_in(core: Core, *, hall: str, code: str, print_it: bool, base: str,
             actor: Principal) -> dict[str, Any]:
    """Check a booking in for the citizen (looked up by code, ID or phone) and print it."""
    ticket = ticket_flows.check_in(core, hall=hall, code=code, actor=actor)
    return _answer(core, ticket, base, print_it=print_it)


def reprint(core: Core, *, hall: str, ticket_id: str, base: str,
            actor: Principal) -> dict[str, Any]:
    """Print a ticket again (补打), marked as a reprint."""
    ticket = _ticket(core, hall, ticket_id, actor)
    if ticket.status not in ("waiting", "called", "no_show"):
        raise Conflict(f"ticket {ticket.number} is {ticket.status}", code="not_open")
    return _answer(core, ticket, base, print_it=True, reprint=True)


def print_notice(core: Core, *, hall: str, ticket_id: str, base: str,
                 actor: Principal) -> dict[str, Any]:
    """Print a ticket's 一次性告知单 again at the desk."""
    ticket = _ticket(core, hall, ticket_id, actor)
    return {"print": printing.print_notice(core, ticket=ticket, base=base, kiosk=DESK_PRINTER)}


def print_guide(core: Core, *, hall: str, service: str, actor: Principal) -> dict[str, Any]:
    """Print a service's 办事指南 (the materials it needs) on the desk's printer."""
    slip = desk.guide(core, hall=hall, service=service, actor=actor)
    return {"print": printing.request_slip(core, hall=hall, slip=slip, kiosk=DESK_PRINTER)}


def _ticket(core: Core, hall: str, ticket_id: str, actor: Principal) -> TicketRead:
    with core.db.read_session() as db:
        h = desk.hall_for(db, hall)
        row = db.get(Ticket, ticket_id)
        if row is None or row.hall_id != h.id:
            raise NotFound("no such ticket in this hall")
        return tickets.view(db, h, row, core.clock.now(), core.cache.get(db, h))


def reissue(core: Core, *, hall: str, ticket_id: str, service: str | None, print_it: bool,
            base: str, actor: Principal) -> dict[str, Any]:
    """A new ticket in place of an old one (lost, wrong matter, returning no-show).

    `tickets.flows.reissue` does it in one transaction (the old ticket, if still open, is
    cancelled with reason `reissued`; the new one keeps its priority and 绿色通道
    category); the answer carries both, so the desk shows the new number.
    """
    _ticket(core, hall, ticket_id, actor)  # this hall's ticket, for a person of this hall
    new = ticket_flows.reissue(core, hall=hall, ticket_id=ticket_id, service=service,
                               actor=actor)
    old = _ticket(core, hall, ticket_id, actor)
    return {"old": old.model_dump(), **_answer(core, new, base, print_it=print_it)}
