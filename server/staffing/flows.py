"""去向牌 and AB岗 flows: set presence, let someone stand in, read the presence board."""

from __future__ import annotations

from typing import Any

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from server.audit import service as audit
from server.auth.models import Staff
from server.auth.principal import Principal
from server.core import Core
from server.errors import Forbidden, Invalid, NotFound
from server.events import schemas
from server.halls import service as halls
from server.halls.models import Hall
from server.monitoring import access
from server.staffing import service as staffing
from server.staffing.models import PostOverride
from server.tickets import service as tickets
from server.windows import flows as window_flows
from server.windows import service as windows
from server.windows.models import Window


def _staff_of(db: Session, hall: Hall, job_no: str) -> Staff:
    staff = db.scalar(select(Staff).where(Staff.job_no == job_no))
    if staff is None or staff.hall_id != hall.id:
        raise NotFound(f"no staff {job_no!r} in hall {hall.code!r}", code="unknown_staff")
    return staff


def _their_windows(db: Session, hall: Hall, staff_id: int) -> list[Window]:
    return list(db.scalars(select(Window).where(
        Window.hall_id == hall.id,
        or_(Window.staff_id == staff_id, Window.a_staff_id == staff_id,
            Window.b_staff_id == staff_id)).order_by(Window.sort, Window.id).with_for_update()))


def set_presence(core: Core, *, hall: str, job_no: str | None, presence: str, note: str,
                 actor: Principal) -> dict[str, Any]:
    """Set a 去向牌: one's own at the counter (`job_no` None) or anyone's by an operator.

    Going away (休假, 外出, 会议) signs the person out of the window they work, refused
    while a ticket is in hand, so the window shows as empty and its B post is called for
    (焦作 第四十二条); signing in again turns the sign back to 在岗.
    """
    staffing.check_presence(presence)
    now = core.clock.now()
    events: list[schemas.WindowEvent] = []
    with core.db.begin() as db:
        h = halls.get_hall(db, hall)
        if job_no is None:
            staff = db.get(Staff, actor.staff_id) if actor.staff_id is not None else None
            if staff is None or staff.hall_id != h.id:
                raise Forbidden("this account belongs to another hall")
        else:
            staff = _staff_of(db, h, job_no)
        mine = _their_windows(db, h, staff.id)
        if presence != "on_duty":
            for w in mine:
                if w.staff_id == staff.id:
                    events.append(window_flows.release(db, h, w, now, actor,
                                                       f"presence:{presence}"))
        changed = staffing.record(db, hall=h, staff=staff, presence=presence, note=note,
                                  now=now, set_by=actor.staff_id, device_id=actor.device_id)
        if changed or events:
            events = [schemas.window(windows.view(db, h, w)) for w in mine]
        out = _person(db, h, staff, mine)
    for event in events:
        core.bus.publish(hall, event)
    if changed:
        core.bus.publish(hall, schemas.presence(out))
    return out


def _person(db: Session, hall: Hall, staff: Staff, mine: list[Window]) -> dict[str, Any]:
    at = [w for w in mine if w.staff_id == staff.id]
    return {
        "job_no": staff.job_no, "name": staff.name, "department": staff.department,
        "presence": staff.presence, "note": staff.presence_note,
        "since": tickets.iso(hall, staff.presence_since),
        "window": at[0].number if at else None, "post": at[0].post if at else None,
        "a_of": [w.number for w in mine if w.a_staff_id == staff.id],
        "b_of": [w.number for w in mine if w.b_staff_id == staff.id],
    }


def board(core: Core, *, hall: str, actor: Principal) -> dict[str, Any]:
    """The presence board: every window's A and B post and every staff member's 去向牌."""
    with core.db.read_session() as db:
        h = access.hall(db, hall)
        all_windows = list(halls.list_windows(db, h))
        people = []
        for s in db.scalars(select(Staff).where(Staff.hall_id == h.id, Staff.active)
                            .order_by(Staff.job_no)):
            if "staff" not in (s.roles or []):
                continue
            mine = [w for w in all_windows if s.id in (w.staff_id, w.a_staff_id, w.b_staff_id)]
            people.append(_person(db, h, s, mine))
        rows = [windows.view(db, h, w).model_dump() for w in all_windows if w.open]
    counts = {p: sum(1 for x in people if x["presence"] == p) for p in
              ("on_duty", *staffing.AWAY)}
    return {"hall": h.code, "hall_name": h.name,
            "hall_name_en": h.name_en, "staff": people, "windows": rows,
            "counts": counts}


def grant_post(core: Core, *, hall: str, window: str, job_no: str, post: str, reason: str,
               actor: Principal) -> dict[str, Any]:
    """An operator lets someone stand in at a named post for today (audited)."""
    if post not in ("A", "B"):
        raise Invalid("post is A or B")
    if not reason.strip():
        raise Invalid("an override needs its reason")
    now = core.clock.now()
    with core.db.begin() as db:
        h = access.hall(db, hall)
        w = halls.get_window(db, h, window)
        staff = _staff_of(db, h, job_no)
        day = halls.local_day(h, now)
        db.add(PostOverride(hall_id=h.id, window_id=w.id, staff_id=staff.id, post=post,
                            day=day, reason=reason, granted_by=actor.staff_id,
                            granted_at=now))
        audit.record(db, hall_id=h.id, action="post_override", at=now, window_id=w.id,
                     **actor.audit(), subject_staff_id=staff.id, job_no=job_no, post=post,
                     reason=reason, day=day.isoformat())
    return {"window": window, "job_no": job_no, "post": post, "day": day.isoformat(),
            "reason": reason}


__all__ = ["board", "grant_post", "set_presence"]
