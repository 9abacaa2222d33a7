"""The halls a centre's view covers: a hall and the halls below it.

江苏 第五条、第六条: a sub-centre (分中心) is managed as part of its centre, and its on-site
monitoring is connected to the centre's; so an operator of a centre sees every hall below
it (its sub-centres, and for a city the county and township halls under it), never a
sibling's. Whether a caller may see a hall at all is decided once, by `server.auth.access`.
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from server.halls import service as halls
from server.halls.models import Hall


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


def hall(db: Session, code: str) -> Hall:
    """The hall with this code (the caller was admitted by `server.auth.access`)."""
    return halls.get_hall(db, code)


def halls_below(db: Session, code: str, *, below: bool) -> list[Hall]:
    """The hall, and with `below` every hall under it (its sub-centres and their halls)."""
    top = halls.get_hall(db, code)
    return descendants(db, top) if below else [top]


__all__ = ["descendants", "hall", "halls_below"]
