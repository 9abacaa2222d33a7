"""Hall access checks shared by the terminals' endpoints."""

from __future__ import annotations

from server.auth.principal import Principal
from server.core import Core
from server.errors import Forbidden
from server.halls import service as halls


def check_hall(core: Core, hall: str, actor: Principal) -> None:
    """NotFound for an unknown hall, Forbidden for a caller from another hall."""
    with core.db.read_session() as db:
        h = halls.get_hall(db, hall)
        if not actor.may_act_in(h.id):
            raise Forbidden("this account or device belongs to another hall")
