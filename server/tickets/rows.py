"""Rows the counter flows read and write with SQLAlchemy Core, not the ORM's unit of work.

A call-next locks one window row and claims one ticket row, changes a few columns of each
and writes them back. Through the ORM that costs an instance per row, its identity map and
a flush; a `Tracked` row is the row's columns as plain attributes, and the columns a flow
assigns are written back by one `UPDATE … WHERE id = …` (`save`).
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, datetime
from typing import Any, ClassVar

from sqlalchemy import Table, bindparam, update
from sqlalchemy.orm import Session

from server.prepared import PreparedByKeys
from server.tickets.models import Ticket

TICKETS: Table = Ticket.__table__  # type: ignore[assignment]


class Tracked:
    """One row's columns as attributes; the ones assigned since loading are remembered."""

    __slots__ = ("_dirty",)
    table: ClassVar[Table]
    columns: ClassVar[tuple[str, ...]]
    # Its SET clause comes from the parameters' keys; run on the driver's cursor
    # (server.prepared), compiled once per set of columns.
    _update: ClassVar[PreparedByKeys]
    id: Any

    def __init__(self, row: Mapping[Any, Any]) -> None:
        object.__setattr__(self, "_dirty", set())
        for name in self.columns:
            object.__setattr__(self, name, row[name])

    def __setattr__(self, name: str, value: Any) -> None:
        if getattr(self, name) != value:  # like the ORM: an unchanged value is not written
            object.__setattr__(self, name, value)
            self._dirty.add(name)

    _dirty: set[str]

    def save(self, db: Session) -> None:
        """Write the assigned columns in one UPDATE (nothing when none was assigned)."""
        if not self._dirty:
            return
        values = {name: getattr(self, name) for name in self._dirty}
        self._update.get(values).execute(db, {"_id": self.id, **values}).close()
        self._dirty.clear()

    def written(self, **values: Any) -> None:
        """These columns hold these values in the database now (written by a statement of
        the flow's): kept, and not written again by `save`."""
        for name, value in values.items():
            object.__setattr__(self, name, value)
            self._dirty.discard(name)

    def __init_subclass__(cls) -> None:
        cls._update = PreparedByKeys(update(cls.table).where(cls.table.c.id == bindparam("_id")))


class TicketRow(Tracked):
    """A ticket row (`server.tickets.models.Ticket`'s columns)."""

    table = TICKETS
    columns = tuple(c.name for c in TICKETS.c)
    __slots__ = columns

    id: str
    hall_id: int
    service_id: int
    number: str
    business_day: date
    priority: str
    channel: str
    status: str
    issued_at: datetime
    queued_at: datetime
    target_window_id: int | None
    appointment_id: int | None
    slot_start: datetime | None
    slot_end: datetime | None
    id_hash: str | None
    window_id: int | None
    staff_id: int | None
    issued_by_staff_id: int | None
    called_at: datetime | None
    started_at: datetime | None
    finished_at: datetime | None
    outcome: str | None
    recalls: int
    recalled_at: datetime | None
    green_category: str | None
    transfers: int
    requeues: int
    note: str
    close_reason: str | None
    notice: dict[str, Any] | None


__all__ = ["TICKETS", "TicketRow", "Tracked"]
