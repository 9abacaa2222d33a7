"""Who may watch which hall: its own operators, and those of the centres above it.

江苏 第五条、第六条: a sub-centre (分中心) is managed as part of its centre, and its on-site
monitoring is connected to the centre's; so an operator of a centre sees every hall below
it (its sub-centres, and for a city the county and township halls under it), never a
sibling's. An account with no hall (city- or province-wide) sees every hall.
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from server.auth.principal import Principal
from server.errors import Forbidden
from server.halls import service as halls
from server.halls.models import Hall

WATCH_ROLES = ("operator", "admin")


def descendants(db: Session, hall: Hall) -> list[Hall]:
    """The hall and every hall below it, the hall first, then level by level."""
    out = [hall]
    frontier = [hall.id]
    seen = {hall.id}
    while frontier:
        children = list(db.scalars(select(Hall).where(Hall.parent_id.in_(frontier))
                                   .order_by(Hall.code)))
        frontier = [c.id for c in children if c.id not in seen]
        seen.update(frontier)
        out.extend(c for c in children if c.id in frontier)
    return out


def ancestors(db: Session, hall: Hall) -> list[int]:
    """Ids of the hall and the centres above it."""
    ids = [hall.id]
    parent_id = hall.parent_id
    while parent_id is not None and parent_id not in ids:
        ids.append(parent_id)
        parent = db.get(Hall, parent_id)
        parent_id = parent.parent_id if parent else None
    return ids


def may_watch(db: Session, actor: Principal, hall: Hall) -> bool:
    """True when an operator or admin belongs to this hall or to a centre above it."""
    if not actor.has(*WATCH_ROLES):
        return False
    return actor.hall_id is None or actor.hall_id in ancestors(db, hall)


def watched_hall(db: Session, actor: Principal, code: str) -> Hall:
    """The hall with this code if the actor may watch it (NotFound, Forbidden)."""
    hall = halls.get_hall(db, code)
    if not may_watch(db, actor, hall):
        raise Forbidden("this account may not watch this hall")
    return hall


def watched_halls(db: Session, actor: Principal, code: str, *, below: bool) -> list[Hall]:
    """The hall, and with `below` every hall under it, checked for the actor."""
    hall = watched_hall(db, actor, code)
    return descendants(db, hall) if below else [hall]


__all__ = ["WATCH_ROLES", "ancestors", "descendants", "may_watch", "watched_hall",
           "watched_halls"]
