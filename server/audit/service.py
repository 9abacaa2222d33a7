"""Writing the audit trail."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Table, insert
from sqlalchemy.orm import Session

from server.audit.models import AuditEntry
from server.prepared import Prepared

AUDIT: Table = AuditEntry.__table__  # type: ignore[assignment]
# Run on the driver's cursor (server.prepared): every flow writes one.
_INSERT = Prepared(insert(AUDIT), keys=("hall_id", "action", "at", "staff_id", "device_id",
                                        "window_id", "ticket_id", "detail"))


def record(
    db: Session,
    *,
    hall_id: int,
    action: str,
    at: datetime,
    staff_id: int | None = None,
    device_id: int | None = None,
    window_id: int | None = None,
    ticket_id: str | None = None,
    **detail: Any,
) -> None:
    """Add one audit entry to the flow's transaction.

    One plain INSERT (no ORM unit of work: an entry is never read back by the flow).
    Objects the flow added but has not flushed yet are flushed first, so the entry's
    foreign keys find them.
    """
    if db.new:
        db.flush()
    _INSERT.execute(db, {
        "hall_id": hall_id, "action": action, "at": at, "staff_id": staff_id,
        "device_id": device_id, "window_id": window_id, "ticket_id": ticket_id,
        "detail": {k: v for k, v in detail.items() if v is not None}})
