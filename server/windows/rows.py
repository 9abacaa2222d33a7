"""A window row read and written with SQLAlchemy Core (see `server.tickets.rows`)."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from sqlalchemy import Table

from server.tickets.rows import Tracked
from server.windows.models import Window

WINDOWS: Table = Window.__table__  # type: ignore[assignment]


class WindowRow(Tracked):
    """A window row (`server.windows.models.Window`'s columns)."""

    table = WINDOWS
    columns = tuple(c.name for c in WINDOWS.c)
    __slots__ = (*columns, "people")

    id: int
    hall_id: int
    number: str
    name: str
    name_en: str | None
    kind: str
    sort: int
    open: bool
    staff_id: int | None
    post: str | None
    a_staff_id: int | None
    b_staff_id: int | None
    current_ticket_id: str | None
    paused_reason: str | None
    paused_at: datetime | None
    empty_since: datetime | None
    state_since: datetime | None
    # The staff who work it (id → `server.windows.service.Person`), when read with the
    # row (`lock_row`): not a column, never written.
    people: dict[int, Any] | None

    def __init__(self, row: Mapping[Any, Any]) -> None:
        super().__init__(row)
        object.__setattr__(self, "people", None)

    def read_people(self, people: dict[int, Any]) -> None:
        """Keep the people read with the row (as `people`)."""
        object.__setattr__(self, "people", people)


__all__ = ["WINDOWS", "WindowRow"]
