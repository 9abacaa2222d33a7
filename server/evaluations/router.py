"""Rating from the ticket page (the evaluator's come through the agent); 差评 cases."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter
from pydantic import BaseModel, Field

from server.auth.dependencies import CoreDep, CurrentOperator
from server.evaluations import cases, service
from server.evaluations.schemas import EvaluationRead, RatingCreate

router = APIRouter(prefix="/api/v1", tags=["evaluations"])


@router.post("/tickets/{ticket_id}/rating", status_code=201)
def rate(ticket_id: str, body: RatingCreate, core: CoreDep) -> EvaluationRead:
    """Rate the service of one ticket, once; the unguessable id is the credential."""
    return service.record(core, ticket_id=ticket_id, rating=body, channel="web").evaluation


class CaseStep(BaseModel):
    """A step of a 差评 case, with what was done."""

    note: str = Field(min_length=1, max_length=1000)
    citizen_view: str | None = None


class CaseVoid(BaseModel):
    """An approved appeal against a mistaken or malicious review."""

    reason: str = Field(min_length=1, max_length=1000)
    approver: str = Field(min_length=1, max_length=100)


@router.get("/halls/{hall}/cases")
def list_cases(hall: str, core: CoreDep, actor: CurrentOperator, status: str | None = None,
               overdue: bool | None = None, below: bool = False) -> dict[str, Any]:
    """The hall's 差评 cases with the three rates (feedback, rectification, follow-up)."""
    return cases.listing(core, hall=hall, actor=actor, status=status, overdue=overdue,
                         below=below)


@router.post("/halls/{hall}/cases/{case_id}/void")
def void_case(hall: str, case_id: int, body: CaseVoid, core: CoreDep,
              actor: CurrentOperator) -> dict[str, Any]:
    """Void a review by an approved appeal (reason and approver kept)."""
    return cases.void(core, hall=hall, case_id=case_id, reason=body.reason,
                      approver=body.approver, actor=actor)


@router.post("/halls/{hall}/cases/{case_id}/{step}")
def case_step(hall: str, case_id: int, step: str, body: CaseStep, core: CoreDep,
              actor: CurrentOperator) -> dict[str, Any]:
    """核实 verify, 整改 rectify, 反馈 answer or 回访 follow_up."""
    return cases.advance(core, hall=hall, case_id=case_id, step=step.replace("-", "_"),
                         note=body.note, actor=actor, citizen_view=body.citizen_view)
