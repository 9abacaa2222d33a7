"""Writing upload records in the rating's or the step's own transaction (the outbox).

A record exists exactly when its rating or step was committed: nothing is uploaded for a
rolled-back rating, and nothing committed is lost when the core stops before sending.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from server.audit import service as audit
from server.auth.models import Staff
from server.auth.principal import Principal
from server.core import Core
from server.evaluations import reasons
from server.evaluations.models import Evaluation, ReviewCase
from server.evaluations.platform import records
from server.evaluations.platform.models import EvaluationUpload
from server.halls import service as halls
from server.halls.models import Hall, Service
from server.monitoring import access
from server.tickets.models import Ticket
from server.windows.models import Window


def issuer(hall: Hall) -> records.Issuer:
    """The hall as the platform knows it, from its rules."""
    rules = halls.rules_of(hall)
    return records.Issuer(area_code=rules.evaluation_area_code,
                          org_code=rules.evaluation_org_code,
                          org_name=rules.evaluation_org_name, hall_code=hall.code,
                          hall_name=hall.name)


def _add(db: Session, hall: Hall, *, evaluation_id: int, case_id: int | None,
         step: str | None, payload: dict[str, Any], now: datetime) -> None:
    db.add(EvaluationUpload(
        hall_id=hall.id, record_id=payload["record_id"], stream=f"{hall.code}-E{evaluation_id}",
        kind="case" if case_id else "rating", evaluation_id=evaluation_id, case_id=case_id,
        step=step, payload=payload, status="pending", attempts=0, next_attempt_at=now,
        created_at=now, last_error=""))


def add_rating(db: Session, hall: Hall, evaluation: Evaluation, now: datetime) -> None:
    """Queue a rating for the platform (in the rating's transaction)."""
    ticket = db.get(Ticket, evaluation.ticket_id)
    service = db.get(Service, evaluation.service_id)
    window = db.get(Window, evaluation.window_id) if evaluation.window_id else None
    staff = db.get(Staff, evaluation.staff_id) if evaluation.staff_id else None
    assert ticket is not None and service is not None
    payload = records.rating_record(
        issuer(hall), evaluation_id=evaluation.id, ticket=ticket.number,
        business_day=ticket.business_day.isoformat(), service_code=service.code,
        service_name=service.name, window=window.number if window else None,
        staff_no=staff.job_no if staff else None, level=evaluation.level,
        reasons=[reasons.label(str(r)) for r in evaluation.reasons], comment=evaluation.comment,
        channel=evaluation.channel,
        rated_at=halls.local_time(hall, evaluation.created_at).isoformat())
    _add(db, hall, evaluation_id=evaluation.id, case_id=None, step=None, payload=payload,
         now=now)


def add_step(db: Session, hall: Hall, case: ReviewCase, now: datetime, note: str = "") -> None:
    """Queue a case's new state for the platform (in the step's transaction)."""
    payload = records.step_record(
        issuer(hall), evaluation_id=case.evaluation_id, case_id=case.id, status=case.status,
        at=halls.local_time(hall, now).isoformat(), note=note,
        deadline=case.deadline.isoformat(), citizen_view=case.citizen_view)
    _add(db, hall, evaluation_id=case.evaluation_id, case_id=case.id, step=case.status,
         payload=payload, now=now)


def status(db: Session, hall: Hall, now: datetime, behind_s: float) -> dict[str, Any]:
    """Counts by state, the age of the oldest unsent record, and the rejected ones."""
    counts = dict(db.execute(select(EvaluationUpload.status, func.count()).where(
        EvaluationUpload.hall_id == hall.id).group_by(EvaluationUpload.status)).all())
    oldest = db.scalar(select(EvaluationUpload.created_at).where(
        EvaluationUpload.hall_id == hall.id,
        EvaluationUpload.status.in_(("pending", "sending", "rejected")))
        .order_by(EvaluationUpload.id).limit(1))
    age = max(0.0, (now - oldest).total_seconds()) if oldest is not None else 0.0
    problems = db.scalars(select(EvaluationUpload).where(
        EvaluationUpload.hall_id == hall.id,
        (EvaluationUpload.status == "rejected") | (EvaluationUpload.attempts > 0)
        & (EvaluationUpload.status != "sent"),
    ).order_by(EvaluationUpload.id).limit(20)).all()
    return {
        "counts": {k: int(v) for k, v in counts.items()},
        "oldest_unsent_s": round(age),
        "behind": age > behind_s or bool(counts.get("rejected")),
        "problems": [{"record": u.record_id, "status": u.status, "attempts": u.attempts,
                      "error": u.last_error} for u in problems],
    }


def retry_rejected(core: Core, *, hall: str, actor: Principal) -> int:
    """Send the hall's rejected records again with its issuer items as configured now.

    A record is rejected for a data item the hall's configuration gives (行政区划代码,
    统一社会信用代码 …); once an administrator has fixed it, an operator sends them again.
    """
    now = core.clock.now()
    with core.db.begin() as db:
        h = access.hall(db, hall)  # the caller was admitted by server.auth.access
        items = issuer(h).items()
        # The records waiting behind a rejected one were written with the same items.
        rows = db.scalars(select(EvaluationUpload).where(
            EvaluationUpload.hall_id == h.id,
            EvaluationUpload.status.in_(("rejected", "pending")))
            .with_for_update()).all()
        rejected = [r.record_id for r in rows if r.status == "rejected"]
        for row in rows:
            row.payload = {**row.payload, **items}
            if row.status == "rejected":
                row.status, row.next_attempt_at, row.last_error = "pending", now, ""
        if rejected:
            audit.record(db, hall_id=h.id, action="upload_retry", at=now, **actor.audit(),
                         records=rejected)
        return len(rejected)
