"""Window state and views."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import FromClause, bindparam, select
from sqlalchemy.orm import Session

from server.auth.models import Staff
from server.errors import NotFound
from server.halls.cache import HallConfigSnapshot
from server.halls.models import Hall, Service
from server.prepared import Prepared, listed, spread
from server.staffing import service as staffing
from server.tickets import service as tickets
from server.tickets.models import Ticket
from server.tickets.rows import TicketRow
from server.windows.models import Window
from server.windows.rows import WINDOWS, WindowRow
from server.windows.schemas import WindowRead

# Built once (see `server.tickets.rows`).
# Who works a window and its A and B posts: at most three people, in one statement.
_PERSON = ("id", "name", "job_no", "presence", "presence_note")
_PEOPLE = Prepared(select(*(Staff.__table__.c[k] for k in _PERSON)).where(
    Staff.id.in_(listed("_id", 3))))
# The window row-locked, with those three people (read in the same statement: every
# counter action shows the window, so each would read them next). FOR UPDATE OF the
# window alone: the people's rows are only read.
_POSTS = ("staff_id", "a_staff_id", "b_staff_id")
_STAFF = {post: Staff.__table__.alias(f"p_{post}") for post in _POSTS}
_WORKED_BY: FromClause = WINDOWS
for _post, _alias in _STAFF.items():
    _WORKED_BY = _WORKED_BY.outerjoin(_alias, _alias.c.id == WINDOWS.c[_post])
_LOCK_ROW = Prepared(
    select(WINDOWS, *(alias.c[k].label(f"{post}__{k}") for post, alias in _STAFF.items()
                      for k in _PERSON))
    .select_from(_WORKED_BY)
    .where(WINDOWS.c.hall_id == bindparam("hall_id"), WINDOWS.c.number == bindparam("number"))
    .with_for_update(of=WINDOWS))  # on the driver's cursor (server.prepared)


@dataclass(frozen=True, slots=True)
class Person:
    """A row of `_PEOPLE`."""

    id: int
    name: str
    job_no: str
    presence: str
    presence_note: str


def lock_row(db: Session, hall: Hall, number: str) -> WindowRow:
    """The hall's window with this number, row-locked, as plain columns (or NotFound).

    Every counter action locks its window's row first; change its attributes and `save`.
    The people who work it (its `people`) come with it.
    """
    row = _LOCK_ROW.first(db, {"hall_id": hall.id, "number": number})
    if row is None:
        raise NotFound(f"no window {number!r} in hall {hall.code!r}", code="unknown_window")
    window = WindowRow(row)
    window.read_people({row[f"{post}__id"]: Person(*(row[f"{post}__{k}"] for k in _PERSON))
                        for post in _POSTS if row[f"{post}__id"] is not None})
    return window


def state_of(window: Window | WindowRow, ticket: Ticket | TicketRow | None) -> str:
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


def view(db: Session, hall: Hall, window: Window | WindowRow, *,
         current: Ticket | TicketRow | None = None,
         snap: HallConfigSnapshot | None = None) -> WindowRead:
    """A window as screens, counters and operators see it.

    `current`, when it is the window's current ticket, is not read again; with `snap` the
    service comes from the hall's configuration cache. The people shown (who works it,
    its A and B posts, the 去向牌) are read in one statement, or, for a window from `lock_row`,
    were read with its lock.
    """
    ticket: Ticket | TicketRow | None = None
    if window.current_ticket_id:
        ticket = (current if current is not None and current.id == window.current_ticket_id
                  else db.get(Ticket, window.current_ticket_id))
    ids = {i for i in (window.staff_id, window.a_staff_id, window.b_staff_id) if i}
    people = window.people if isinstance(window, WindowRow) else None
    if people is None or not ids <= people.keys():
        people = ({row["id"]: Person(**row) for row in _PEOPLE.rows(
            db, spread("_id", (list(ids) * 3)[:3]))} if ids else {})
    staff = people.get(window.staff_id) if window.staff_id else None
    service_code: str | None = None
    if ticket is not None:
        entry = snap.services.get(ticket.service_id) if snap is not None else None
        if entry is not None:
            service_code = entry.code
        else:
            service = db.get(Service, ticket.service_id)
            service_code = service.code if service else None
    a_staff, b_staff = staffing.names(db, window, people)
    sign = staffing.window_sign(db, window, people)
    return WindowRead(
        number=window.number, name=window.name, name_en=window.name_en, kind=window.kind,
        state=state_of(window, ticket),
        ticket=ticket.number if ticket else None, ticket_id=ticket.id if ticket else None,
        service=service_code,
        staff=staff.name if staff else None, staff_no=staff.job_no if staff else None,
        post=window.post, paused_reason=window.paused_reason,
        since=tickets.iso(hall, window.state_since),
        a_staff=a_staff, b_staff=b_staff,
        presence=sign.presence if sign else None, presence_staff=sign.staff if sign else None,
        presence_note=sign.note if sign else None,
    )
