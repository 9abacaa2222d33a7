"""What operators see of the notice outbox: how much waits, what failed, how far behind."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from server.db import aggregate_time
from server.halls import service as halls
from server.halls.models import Hall
from server.notices.models import NoticeMessage
from server.tickets.models import Ticket


def outbox_status(db: Session, hall: Hall, now: datetime, behind_s: float) -> dict[str, Any]:
    """Counts by state, the age of the oldest unsent notice, and the latest failures."""
    counts = dict(db.execute(select(NoticeMessage.status, func.count()).where(
        NoticeMessage.hall_id == hall.id).group_by(NoticeMessage.status)).all())
    oldest = db.scalar(select(func.min(NoticeMessage.created_at)).where(
        NoticeMessage.hall_id == hall.id, NoticeMessage.status.in_(("pending", "sending"))))
    oldest = aggregate_time(oldest, now.tzinfo)
    age = max(0.0, (now - oldest).total_seconds()) if oldest is not None else 0.0
    failures = db.execute(
        select(NoticeMessage, Ticket.number, Ticket.business_day)
        .join(Ticket, Ticket.id == NoticeMessage.ticket_id)
        .where(NoticeMessage.hall_id == hall.id, NoticeMessage.status == "failed")
        .order_by(NoticeMessage.id.desc()).limit(20)).all()
    return {
        "counts": {k: int(v) for k, v in counts.items()},
        "oldest_unsent_s": round(age),
        "behind": age > behind_s,
        "failures": [{"ticket": number, "kind": m.kind, "channel": m.channel,
                      "attempts": m.attempts, "error": m.last_error, "day": day,
                      "at": halls.local_time(hall, m.created_at).isoformat()}
                     for m, number, day in failures],
    }
