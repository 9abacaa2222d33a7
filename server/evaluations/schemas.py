"""Rating requests and views."""

from __future__ import annotations

from pydantic import BaseModel, Field


class RatingCreate(BaseModel):
    """A citizen's rating of one service."""

    level: int = Field(ge=1, le=5)
    reasons: list[str] = Field(default_factory=list, max_length=10)
    comment: str = Field("", max_length=500)


class WebRating(RatingCreate):
    """A rating from the ticket page, with the holder's rating key (`k` of its address)."""

    key: str | None = Field(None, max_length=64,
                            description="the rating key given with the ticket; 403 "
                                        "`rating_key` when missing or wrong")


class EvaluationRead(BaseModel):
    """A stored rating."""

    ticket_id: str
    ticket: str
    level: int
    reasons: list[str]
    channel: str
    window: str | None
    staff_no: str | None
    service: str
    created_at: str
    bad: bool
