"""Rating from the citizen's ticket page (the evaluator's ratings come through the agent)."""

from __future__ import annotations

from fastapi import APIRouter

from server.auth.dependencies import CoreDep
from server.evaluations import service
from server.evaluations.schemas import EvaluationRead, RatingCreate

router = APIRouter(prefix="/api/v1", tags=["evaluations"])


@router.post("/tickets/{ticket_id}/rating", status_code=201)
def rate(ticket_id: str, body: RatingCreate, core: CoreDep) -> EvaluationRead:
    """Rate the service of one ticket, once; the unguessable id is the credential."""
    return service.record(core, ticket_id=ticket_id, rating=body, channel="web").evaluation
