"""Writing the audit trail."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from server.audit.models import AuditEntry


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
    """Add one audit entry to the flow's transaction."""
    db.add(AuditEntry(hall_id=hall_id, action=action, at=at, staff_id=staff_id,
                      device_id=device_id, window_id=window_id, ticket_id=ticket_id,
                      detail={k: v for k, v in detail.items() if v is not None}))
