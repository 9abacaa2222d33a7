"""The operator's actions from the dashboard, each checked for the hall and audited.

焦作 第五十三条 and 邵阳 第三十七条: on-site supervision with a record of every action.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import delete, select

from server.audit import service as audit
from server.auth.principal import Principal
from server.core import Core
from server.errors import Invalid, NotFound
from server.events import schemas
from server.halls import service as halls
from server.halls.day import open_hall
from server.monitoring import access
from server.monitoring.models import WindowDayOverride
from server.tickets import flows as ticket_flows
from server.tickets.models import Ticket
from server.tickets.schemas import TicketRead
from server.windows import flows as window_flows


def _check(core: Core, actor: Principal, hall: str) -> None:
    with core.db.read_session() as db:
        access.hall(db, hall)


def set_scroll(core: Core, *, hall: str, text: str, actor: Principal) -> dict[str, Any]:
    """Set the LED scrolling line of the hall's screens."""
    now = core.clock.now()
    text = text.strip()
    with core.db.begin() as db:
        h = access.hall(db, hall)
        h.scroll_text = text
        audit.record(db, hall_id=h.id, action="scroll_text", at=now, **actor.audit(),
                     text=text)
        name, name_en = h.name, h.name_en
    # `hall` is what the screens listen for; `scroll` is the dashboard's own.
    core.bus.publish(hall, schemas.hall(hall_name=name, hall_name_en=name_en, scroll_text=text))
    core.bus.publish(hall, schemas.scroll(text))
    return {"scroll_text": text}


def move_window(core: Core, *, hall: str, window: str, services: list[str] | None,
                actor: Principal) -> dict[str, Any]:
    """Serve other services at a window for the rest of the day (None: back to normal)."""
    now = core.clock.now()
    with core.db.begin() as db:
        h = open_hall(db, hall, now)  # a read-only copy of the row: changed below by `row`
        row = access.hall(db, hall)
        w = halls.get_window(db, h, window, lock=True)
        db.execute(delete(WindowDayOverride).where(WindowDayOverride.window_id == w.id,
                                                   WindowDayOverride.day == h.business_day))
        ids: list[int] = []
        if services is not None:
            if not services:
                raise Invalid("name at least one service, or clear the move")
            ids = [halls.get_service(db, h, code).id for code in services]
            assert h.business_day is not None
            db.add(WindowDayOverride(hall_id=h.id, window_id=w.id, day=h.business_day,
                                     service_ids=ids, set_by=actor.staff_id, set_at=now))
        # Every core process reloads the hall's configuration on its next flow.
        row.config_version += 1
        audit.record(db, hall_id=h.id, action="window_services", at=now, window_id=w.id,
                     **actor.audit(), services=services, day=str(h.business_day))
    ticket_flows.publish_queue(core, hall)
    core.bus.publish(hall, schemas.window_services(window=window, services=services))
    return {"window": window, "services": services}


def set_open(core: Core, *, hall: str, window: str, open_: bool,
             actor: Principal) -> dict[str, Any]:
    """Open or close a window for the day."""
    _check(core, actor, hall)
    out = window_flows.set_open(core, hall=hall, window=window, open_=open_, actor=actor)
    assert out.window is not None
    return out.window.model_dump()


def cancel(core: Core, *, hall: str, ticket_id: str, reason: str,
           actor: Principal) -> TicketRead:
    """Cancel a ticket with a reason."""
    _check(core, actor, hall)
    return ticket_flows.cancel(core, hall=hall, ticket_id=ticket_id, reason=reason,
                               actor=actor)


def reissue(core: Core, *, hall: str, ticket_id: str, service: str | None,
            actor: Principal) -> dict[str, Any]:
    """Give a citizen a new ticket in place of an old one (lost, wrong matter, no-show).

    The old ticket is cancelled if still open; the new one keeps its priority and is
    issued at the help desk.
    """
    _check(core, actor, hall)
    new = ticket_flows.reissue(core, hall=hall, ticket_id=ticket_id, service=service,
                               actor=actor)
    return {"old": ticket_id, "ticket": new.model_dump()}


def find_ticket(core: Core, *, hall: str, number: str, actor: Principal) -> str:
    """Today's ticket id of a number (the operator types A012)."""
    with core.db.read_session() as db:
        h = access.hall(db, hall)
        t = db.scalar(select(Ticket).where(Ticket.hall_id == h.id,
                                           Ticket.business_day == h.business_day,
                                           Ticket.number == number.strip().upper()))
        if t is None:
            raise NotFound(f"no ticket {number} today", code="unknown_ticket")
        return t.id


__all__ = ["cancel", "find_ticket", "move_window", "reissue", "set_open", "set_scroll"]
