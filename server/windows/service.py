"""Window state and views."""

from __future__ import annotations

from sqlalchemy.orm import Session

from server.auth.models import Staff
from server.halls.models import Hall, Service
from server.staffing import service as staffing
from server.tickets import service as tickets
from server.tickets.models import Ticket
from server.windows.models import Window
from server.windows.schemas import WindowRead


def state_of(window: Window, ticket: Ticket | None) -> str:
    """closed, empty, paused, called, serving or idle."""
    if not window.open:
        return "closed"
    if window.staff_id is None:
        return "empty"
    if ticket is not None and ticket.status in ("called", "serving"):
        return ticket.status
    if window.paused_reason:
        return "paused"
    return "idle"


# Pause reasons are stored as codes, so each screen shows them in its viewer's language
# (docs/model.md); the counter sends the code. An API client's words that are one of the
# counter's labels become that code; any other words are kept as given.
PAUSE_LABELS: dict[str, str] = {
    "休息": "rest", "break": "rest", "rest": "rest",
    "外出": "out", "out": "out",
    "会议": "meeting", "meeting": "meeting",
    "其他": "other", "other": "other",
}


def pause_reason(text: str) -> str:
    """`rest`, `meeting: 科室例会` …: a known label (in Chinese or English) as its code."""
    text = text.strip()
    cut = min((i for i in (text.find(":"), text.find("：")) if i >= 0), default=len(text))
    code = PAUSE_LABELS.get(text[:cut].strip().lower())
    if code is None:
        return text
    detail = text[cut + 1:].strip()
    return f"{code}: {detail}" if detail else code


def view(db: Session, hall: Hall, window: Window) -> WindowRead:
    """A window as screens, counters and operators see it."""
    ticket = db.get(Ticket, window.current_ticket_id) if window.current_ticket_id else None
    staff = db.get(Staff, window.staff_id) if window.staff_id else None
    service = db.get(Service, ticket.service_id) if ticket else None
    a_staff, b_staff = staffing.names(db, window)
    sign = staffing.window_sign(db, window)
    return WindowRead(
        number=window.number, name=window.name, name_en=window.name_en, kind=window.kind,
        state=state_of(window, ticket),
        ticket=ticket.number if ticket else None, ticket_id=ticket.id if ticket else None,
        service=service.code if service else None,
        staff=staff.name if staff else None, staff_no=staff.job_no if staff else None,
        post=window.post, paused_reason=window.paused_reason,
        since=tickets.iso(hall, window.state_since),
        a_staff=a_staff, b_staff=b_staff,
        presence=sign.presence if sign else None, presence_staff=sign.staff if sign else None,
        presence_note=sign.note if sign else None,
    )
