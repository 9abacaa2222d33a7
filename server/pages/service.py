"""What the hall chooser and a hall's page list show: public names and numbers only."""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

from sqlalchemy import select

from server.core import Core
from server.halls import service as halls
from server.halls.models import Hall
from server.windows.models import Window

# The pages of a hall, for the IT person setting it up: (key, path under the hall,
# needs a device token in the address). The help desk (综合咨询) is /desk/{hall}.
HALL_PAGES: tuple[tuple[str, str, bool], ...] = (
    ("kiosk", "/kiosk/{hall}", True),
    ("counter", "/counter/{hall}", False),
    ("desk", "/desk/{hall}", False),
    ("hall_screen", "/display/{hall}", True),
    ("monitor", "/monitor/{hall}", False),
    ("reports", "/monitor/{hall}/reports", False),
    ("cases", "/monitor/{hall}/cases", False),
    ("presence", "/monitor/{hall}/presence", False),
    ("audit", "/monitor/{hall}/audit", False),
)


def list_halls(core: Core) -> list[dict[str, Any]]:
    """Every hall on this deployment: code, name and the code of the centre above it."""
    with core.db.read_session() as db:
        rows = db.scalars(select(Hall).order_by(Hall.code)).all()
        codes = {h.id: h.code for h in rows}
        return [{"code": h.code, "name": h.name, "name_en": h.name_en, "level": h.level,
                 "parent": codes.get(h.parent_id) if h.parent_id else None} for h in rows]


def directory(core: Core, *, hall: str) -> dict[str, Any]:
    """A hall's name, its windows and the addresses of every page it has."""
    with core.db.read_session() as db:
        h = halls.get_hall(db, hall)
        windows = db.scalars(select(Window).where(Window.hall_id == h.id)
                             .order_by(Window.sort, Window.number)).all()
        code = quote(h.code, safe="")
        return {
            "code": h.code, "name": h.name, "name_en": h.name_en,
            "pages": [{"page": key, "path": path.format(hall=code), "token": token}
                      for key, path, token in HALL_PAGES],
            "windows": [{"number": w.number, "name": w.name, "name_en": w.name_en,
                         "path": f"/display/{code}/window/{w.number}"} for w in windows],
            "docs": ["/docs", "/redoc"],
        }
