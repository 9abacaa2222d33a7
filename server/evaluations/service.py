"""Recording ratings: one per service (一次一评), idempotent for the device agent."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from server.audit import service as audit
from server.auth.models import Staff
from server.auth.security import rating_key_ok
from server.core import Core
from server.errors import Conflict, Forbidden, NotFound
from server.evaluations import cases, reasons
from server.evaluations.models import BAD_LEVELS, Evaluation
from server.evaluations.platform import outbox as upload
from server.evaluations.schemas import EvaluationRead, RatingCreate
from server.events import schemas
from server.halls.models import Hall, Service
from server.tickets import service as tickets
from server.tickets.models import Ticket
from server.windows.models import Window


@dataclass(frozen=True)
class Recorded:
    """The stored rating, and whether this call stored it (False for a repeated uid)."""

    evaluation: EvaluationRead
    created: bool


def record(
    core: Core, *, ticket_id: str, rating: RatingCreate, channel: str,
    uid: str | None = None, key: str | None = None, hall: str | None = None,
) -> Recorded:
    """Store a rating against the ticket, window, staff member and service.

    A second rating of the same service is refused (一次一评, 焦作 第四十五条); the same
    agent delivery (`uid`) arriving twice returns the stored one, so an agent that lost
    the acknowledgement can safely send again (exactly once).

    Who may rate: on the web (`channel="web"`) only the ticket's holder, proven by its
    rating `key` (given with the ticket, never by `GET /tickets/{id}` nor to a screen);
    through an agent (`hall` given) only a ticket of the agent's own hall.
    """
    if channel == "web":
        # The evaluator sends protocol codes; the rating page picks from the same list.
        rating = rating.model_copy(update={"reasons": reasons.check(rating.level,
                                                                    rating.reasons)})
    now = core.clock.now()
    with core.db.begin() as db:
        if uid is not None:
            same = db.scalar(select(Evaluation).where(Evaluation.uid == uid))
            if same is not None and _in_hall(db, same.hall_id, hall):
                return Recorded(_view(db, same), created=False)
        ticket = db.get(Ticket, ticket_id)
        if ticket is None or not _in_hall(db, ticket.hall_id, hall):
            raise NotFound("no such ticket", code="unknown_ticket")
        if channel == "web" and not rating_key_ok(ticket.id, key, core.settings.pepper):
            raise Forbidden("rating needs the key given with the ticket (its QR code or page)",
                            code="rating_key")
        if ticket.status not in ("serving", "done"):
            raise Conflict(f"ticket {ticket.number} has not been served", code="not_served")
        if db.scalar(select(Evaluation.id).where(Evaluation.ticket_id == ticket.id)):
            raise Conflict(f"ticket {ticket.number} is rated already", code="already_rated")
        evaluation = Evaluation(
            hall_id=ticket.hall_id, ticket_id=ticket.id, window_id=ticket.window_id,
            staff_id=ticket.staff_id, service_id=ticket.service_id, level=rating.level,
            reasons=list(rating.reasons), comment=rating.comment, channel=channel, uid=uid,
            created_at=now,
        )
        db.add(evaluation)
        try:
            db.flush()
        except IntegrityError as err:  # a concurrent rating of the same ticket won
            raise Conflict(f"ticket {ticket.number} is rated already",
                           code="already_rated") from err
        audit.record(db, hall_id=ticket.hall_id, action="rating", at=now, ticket_id=ticket.id,
                     window_id=ticket.window_id, level=rating.level, channel=channel)
        view = _view(db, evaluation)
        home = db.get(Hall, ticket.hall_id)
        assert home is not None
        hall_code = home.code
        # Every rating goes to the provincial 好差评 platform (江苏 第十七条), through the
        # outbox written in this same transaction.
        upload.add_rating(db, home, evaluation, now)
        case_id = None
        if evaluation.level in BAD_LEVELS:
            # Every 差评 becomes a case at once (江苏 第五条: 100% 核实整改).
            case = cases.open_case(db, home, evaluation, now)
            upload.add_step(db, home, case, now)
            case_id = case.id
    core.bus.publish(hall_code, schemas.rating(view))
    if case_id is not None:
        core.bus.publish(hall_code, schemas.case(case=case_id, status="open", overdue=False,
                                                 ticket=view.ticket, window=view.window,
                                                 level=view.level))
    return Recorded(view, created=True)


def _in_hall(db: Session, hall_id: int, hall: str | None) -> bool:
    """True when no hall is asked for, or the row belongs to the hall coded `hall`."""
    if hall is None:
        return True
    row = db.get(Hall, hall_id)
    return row is not None and row.code == hall


def _view(db: Session, evaluation: Evaluation) -> EvaluationRead:
    ticket = db.get(Ticket, evaluation.ticket_id)
    hall = db.get(Hall, evaluation.hall_id)
    window = db.get(Window, evaluation.window_id) if evaluation.window_id else None
    staff = db.get(Staff, evaluation.staff_id) if evaluation.staff_id else None
    service = db.get(Service, evaluation.service_id)
    assert ticket is not None and hall is not None and service is not None
    return EvaluationRead(
        ticket_id=ticket.id, ticket=ticket.number, level=evaluation.level,
        reasons=[str(r) for r in evaluation.reasons], channel=evaluation.channel,
        window=window.number if window else None, staff_no=staff.job_no if staff else None,
        service=service.code, created_at=tickets.iso(hall, evaluation.created_at) or "",
        bad=evaluation.level in BAD_LEVELS,
    )
