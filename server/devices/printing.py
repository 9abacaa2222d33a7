"""Print jobs: tickets and slips (一次性告知单, 办事指南) go to the hall's device agent.

A job is published on the bus as `{"type": "print", "job", "kiosk", "ticket": {...}}`; the
agent prints it and reports back through `status.record_print`. The ticket is valid
whether or not it prints: the kiosk shows its number and QR code either way.
"""

from __future__ import annotations

import secrets
from typing import Any

from server.agents import service as agents
from server.auth.security import rating_key
from server.core import Core
from server.devices import status
from server.errors import Conflict
from server.events import schemas
from server.tickets import notices
from server.tickets.schemas import TicketRead

# Printed under the number; one line of an 80 mm roll holds 24 Chinese characters.
NOTICE = "过号请到咨询台重新排队，扫码可查进度"


def public_base(core: Core, request_base: str) -> str:
    """The base URL citizens' phones reach: the configured one, else the request's own."""
    configured = core.settings.public_url.rstrip("/")
    if "public_url" in core.settings.model_fields_set:
        return configured
    return request_base.rstrip("/")


def ticket_url(base: str, ticket_id: str) -> str:
    """The citizen's ticket page, the target of the ticket's QR code."""
    return f"{base}/t/{ticket_id}"


def holder_url(core: Core, base: str, ticket_id: str) -> str:
    """The ticket page as its holder gets it: with the rating key (`k`), for the QR code
    printed on the ticket and the kiosk's and phone's answer; never shown on a screen."""
    return f"{ticket_url(base, ticket_id)}?k={rating_key(ticket_id, core.settings.pepper)}"


def holder_fields(core: Core, base: str, ticket_id: str) -> dict[str, str]:
    """`url` (with the key) and `rating_key`, added to the answer of whoever took a ticket."""
    return {"url": holder_url(core, base, ticket_id),
            "rating_key": rating_key(ticket_id, core.settings.pepper)}


def request_print(core: Core, *, ticket: TicketRead, base: str, kiosk: str | None,
                  reprint: bool = False) -> dict[str, Any]:
    """Publish a print job for a ticket; say at once when no printer can take it."""
    centre = ticket.hall_name
    job = secrets.token_urlsafe(9)
    core.bus.publish(ticket.hall, schemas.print_ticket(job=job, kiosk=kiosk, ticket={
        "id": ticket.id, "number": ticket.number, "service": ticket.service,
        "service_name": ticket.service_name, "centre": centre, "ahead": ticket.ahead,
        "issued_at": ticket.issued_at, "url": holder_url(core, base, ticket.id),
        "notice": NOTICE, "priority": ticket.priority, "reprint": reprint,
    }))
    return {"job": job, **_expected(core, ticket.hall, kiosk)}


def request_slip(core: Core, *, hall: str, slip: dict[str, Any], kiosk: str | None = None,
                 window: str | None = None) -> dict[str, Any]:
    """Publish a print job for a slip (一次性告知单, 办事指南) to the window's or the desk's
    printer: the agent that names that window or kiosk, else any agent with a printer."""
    job = secrets.token_urlsafe(9)
    core.bus.publish(hall, schemas.print_slip(job=job, kiosk=kiosk, at_window=window,
                                              slip=slip))
    return {"job": job, **_expected(core, hall, kiosk, window)}


def print_notice(core: Core, *, ticket: TicketRead, base: str, window: str | None = None,
                 kiosk: str | None = None) -> dict[str, Any]:
    """Print a ticket's 一次性告知单 (焦作 第三十八条: 书面告知) with a QR back to its page."""
    if not ticket.notice:
        raise Conflict(f"ticket {ticket.number} has no 一次性告知", code="no_notice")
    # The slip is the holder's: its QR carries the rating key, as the ticket's does.
    slip = notices.slip(ticket.notice, number=ticket.number,
                        url=holder_url(core, base, ticket.id))
    return request_slip(core, hall=ticket.hall, slip={**slip, "number": ticket.number},
                        kiosk=kiosk, window=window)


def _expected(core: Core, hall: str, kiosk: str | None,
              window: str | None = None) -> dict[str, str]:
    """What the job will meet: a printer that is up (pending) or a known failure."""
    rows = status.cached_devices(core, hall)  # one read serves both questions below
    printers = status.printers_of(rows)
    # The agent channel sends the job to this agent; judge by its printer when it has one.
    chosen = agents.choose_printer(rows, kiosk, window)
    mine = [p for p in printers if p["device"] == chosen]
    if chosen is not None and not mine:
        return {"state": "pending", "detail": ""}  # connected; its answer will tell
    candidates = mine or printers
    # Reachable is not enough: a printer out of paper answers its status queries too.
    if any(p["online"] and not p["detail"] for p in candidates):
        return {"state": "pending", "detail": ""}
    if not candidates:
        return {"state": "failed", "detail": "no_printer"}
    reasons = [p["detail"] for p in candidates if p["detail"]]
    return {"state": "failed", "detail": reasons[0] if reasons else "printer_offline"}
