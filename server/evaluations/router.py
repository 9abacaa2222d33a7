"""Rating from the ticket page (the evaluator's come through the agent); 差评 cases."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Path, Response
from pydantic import BaseModel, Field

from server.auth.access import OperatorInHall
from server.auth.dependencies import CoreDep
from server.errors import MAX_ID
from server.evaluations import cases, reasons, service
from server.evaluations.schemas import EvaluationRead, RatingCreate, WebRating
from server.responses import json_response
from server.writer import on_writer

router = APIRouter(prefix="/api/v1", tags=["evaluations"])
CaseId = Annotated[int, Path(ge=1, le=MAX_ID)]


@router.post("/tickets/{ticket_id}/rating", status_code=201, response_model=EvaluationRead)
async def rate(ticket_id: str, body: WebRating, core: CoreDep) -> Response:
    """Rate the service of one ticket, once; only its holder, who has its rating key.

    A write in one hop like the counter's buttons (`Database.run_write`): on SQLite it
    queues on the one writer instead of meeting it in the busy handler (a busy hall's
    citizens rate as fast as its windows finish)."""
    rating = RatingCreate(level=body.level, reasons=body.reasons, comment=body.comment)

    def record() -> EvaluationRead:
        return service.record(core, ticket_id=ticket_id, rating=rating, channel="web",
                              key=body.key).evaluation

    return json_response(await core.db.run_write(record), status_code=201)


@router.get("/review-reasons")
def review_reasons() -> list[dict[str, str]]:
    """The standard 差评 reasons (the evaluator's list), with Chinese and English names."""
    return reasons.catalogue()


class CaseStep(BaseModel):
    """A step of a 差评 case, with what was done."""

    note: str = Field(min_length=1, max_length=1000)
    citizen_view: str | None = None


class CaseAppeal(BaseModel):
    """An appeal against a mistaken or malicious review (申诉), with its reason."""

    reason: str = Field(min_length=1, max_length=1000)


class AppealDecision(BaseModel):
    """A second person's decision on an appeal, with a note."""

    note: str = Field(min_length=1, max_length=1000)


@router.get("/halls/{hall}/cases")
def list_cases(hall: str, core: CoreDep, scope: OperatorInHall, status: str | None = None,
               overdue: bool | None = None, below: bool = False) -> dict[str, Any]:
    """The hall's 差评 cases with the three rates (feedback, rectification, follow-up)."""
    return cases.listing(core, hall=hall, actor=scope.principal, status=status, overdue=overdue,
                         below=below)


@router.post("/halls/{hall}/cases/{case_id}/appeal")
@on_writer
def appeal_case(hall: str, case_id: CaseId, body: CaseAppeal, core: CoreDep,
                scope: OperatorInHall) -> dict[str, Any]:
    """申诉: ask to void a review; a second person approves or refuses."""
    return cases.appeal(core, hall=hall, case_id=case_id, reason=body.reason, actor=scope.principal)


@router.post("/halls/{hall}/cases/{case_id}/appeal/approve")
@on_writer
def approve_appeal(hall: str, case_id: CaseId, body: AppealDecision, core: CoreDep,
                   scope: OperatorInHall) -> dict[str, Any]:
    """申诉作废: a second person approves the appeal; the rating stops counting."""
    return cases.decide_appeal(core, hall=hall, case_id=case_id, approve=True, note=body.note,
                               actor=scope.principal)


@router.post("/halls/{hall}/cases/{case_id}/appeal/refuse")
@on_writer
def refuse_appeal(hall: str, case_id: CaseId, body: AppealDecision, core: CoreDep,
                  scope: OperatorInHall) -> dict[str, Any]:
    """A second person refuses the appeal; the case goes on where it was."""
    return cases.decide_appeal(core, hall=hall, case_id=case_id, approve=False, note=body.note,
                               actor=scope.principal)


@router.post("/halls/{hall}/cases/{case_id}/{step}")
@on_writer
def case_step(hall: str, case_id: CaseId, step: str, body: CaseStep, core: CoreDep,
              scope: OperatorInHall) -> dict[str, Any]:
    """核实 verify, 整改 rectify, 反馈 answer or 回访 follow_up."""
    return cases.advance(core, hall=hall, case_id=case_id, step=step.replace("-", "_"),
                         note=body.note, actor=scope.principal, citizen_view=body.citizen_view)
