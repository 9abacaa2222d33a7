"""去向牌 and AB岗 rules, free of HTTP: who may take a post, what a window's sign says.

焦作 第三十条(五): each window shows its staff's information and 去向牌 (在岗, 休假, 外出,
会议); 第三十一条(三): staff away from the window say where. 邵阳 第十六条 and 焦作 第三十九条:
every window has a main (A) and a stand-in (B) post named in advance.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from server.audit import service as audit
from server.auth.models import PRESENCE, Staff
from server.auth.principal import Principal
from server.errors import Forbidden, Invalid
from server.halls.models import Hall
from server.staffing.models import PostOverride, PresenceChange
from server.windows.models import Window
from server.windows.rows import WindowRow

AWAY = tuple(p for p in PRESENCE if p != "on_duty")


@dataclass(frozen=True)
class Sign:
    """What a window's 去向牌 says: whose presence, and which it is."""

    staff: str
    staff_no: str
    presence: str
    note: str


def check_presence(value: str) -> str:
    """The presence value, or Invalid."""
    if value not in PRESENCE:
        raise Invalid(f"presence must be one of {', '.join(PRESENCE)}")
    return value


def record(db: Session, *, hall: Hall, staff: Staff, presence: str, note: str, now: datetime,
           set_by: int | None, device_id: int | None = None) -> bool:
    """Set a staff member's presence, logged for reports and audited; False if unchanged."""
    check_presence(presence)
    if staff.presence == presence and staff.presence_note == note:
        return False
    staff.presence, staff.presence_note, staff.presence_since = presence, note, now
    db.add(PresenceChange(hall_id=hall.id, staff_id=staff.id, presence=presence, note=note,
                          at=now, set_by=set_by))
    audit.record(db, hall_id=hall.id, action="presence", at=now, staff_id=set_by,
                 device_id=device_id, subject_staff_id=staff.id, job_no=staff.job_no,
                 presence=presence, note=note or None)
    return True


def arrive(db: Session, *, hall: Hall, staff_id: int, now: datetime) -> None:
    """Signing in to a window puts the staff member 在岗 (their sign turns back)."""
    staff = db.get(Staff, staff_id)
    if staff is not None and staff.presence != "on_duty":
        record(db, hall=hall, staff=staff, presence="on_duty", note="", now=now,
               set_by=staff_id)


def window_sign(db: Session, window: Window | WindowRow,
                people: Mapping[int, Any] | None = None) -> Sign | None:
    """The 去向牌 a window shows: who is away among those who work it, if anyone.

    The staff signed in, else the named A post, else the B post; a sign shows only when
    that person is not 在岗 (an empty window with nobody named shows none). `people`, when
    given, holds those staff already read (id → a row with their name, job number and
    presence).
    """
    for staff_id in (window.staff_id, window.a_staff_id, window.b_staff_id):
        if staff_id is None:
            continue
        staff = people.get(staff_id) if people is not None else db.get(Staff, staff_id)
        if staff is None:
            continue
        if staff.presence == "on_duty":
            if window.staff_id == staff_id:
                return None  # the one at the window is here: no sign
            continue
        return Sign(staff.name, staff.job_no, staff.presence, staff.presence_note)
    return None


def may_take_post(db: Session, *, window: Window, staff_id: int, post: str, day: date) -> bool:
    """True when the staff member may sign in to this window's post today.

    A post named in the hall's configuration is for the named person only; an operator's
    override for the day lets another stand in (audited when granted).
    """
    named = window.a_staff_id if post == "A" else window.b_staff_id
    if named is None or named == staff_id:
        return True
    return db.scalar(select(PostOverride.id).where(
        PostOverride.window_id == window.id, PostOverride.staff_id == staff_id,
        PostOverride.post == post, PostOverride.day == day)) is not None


def check_post(db: Session, *, window: Window, actor: Principal, post: str, day: date) -> None:
    """Forbidden unless the actor may take the post (AB岗, 邵阳 第十六条)."""
    if actor.staff_id is None:
        raise Forbidden("only staff take a post")
    if not may_take_post(db, window=window, staff_id=actor.staff_id, post=post, day=day):
        raise Forbidden(f"window {window.number}'s {post} post is named for someone else; "
                        "an operator may let you stand in", code="post_named")


def names(db: Session, window: Window | WindowRow,
          people: Mapping[int, Any] | None = None) -> tuple[str | None, str | None]:
    """The names of the window's A and B staff (`people`: as `window_sign`'s)."""
    out: list[str | None] = []
    for staff_id in (window.a_staff_id, window.b_staff_id):
        staff = None
        if staff_id:
            staff = people.get(staff_id) if people is not None else db.get(Staff, staff_id)
        out.append(staff.name if staff else None)
    return out[0], out[1]


__all__ = ["AWAY", "Sign", "arrive", "check_post", "check_presence", "may_take_post", "names",
           "record", "window_sign"]
