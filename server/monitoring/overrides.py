"""A window moved to other services for the day: applied over the configured scopes.

Kept apart from the hall configuration so that it ends by itself: it is read for the
hall's current business day only, and the configuration cache reloads when the day or
the hall's `config_version` changes.
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from server.halls.models import Hall
from server.monitoring.models import WindowDayOverride
from server.tickets.engine import WindowScope


def apply(db: Session, hall: Hall, scopes: dict[int, WindowScope]) -> dict[int, WindowScope]:
    """The scopes with today's overrides in place (all the window's services primary)."""
    if hall.business_day is None:
        return scopes
    rows = db.scalars(select(WindowDayOverride).where(
        WindowDayOverride.hall_id == hall.id, WindowDayOverride.day == hall.business_day))
    out = dict(scopes)
    for row in rows:
        services = frozenset(int(s) for s in row.service_ids)
        out[row.window_id] = WindowScope(row.window_id, services, services)
    return out


__all__ = ["apply"]
