"""Requests of the 去向牌 and AB岗 endpoints."""

from __future__ import annotations

from pydantic import BaseModel, Field

from server.auth.models import PRESENCE

_PRESENCE = "^(" + "|".join(PRESENCE) + ")$"


class PresenceIn(BaseModel):
    """A 去向牌: 在岗 on_duty, 休假 leave, 外出 out or 会议 meeting, with an optional note."""

    presence: str = Field(pattern=_PRESENCE)
    note: str = Field("", max_length=200)


class PostOverrideIn(BaseModel):
    """Let a staff member stand in at a named post for today, with the reason."""

    job_no: str = Field(min_length=1, max_length=64)
    post: str = Field("B", pattern=r"^[AB]$")
    reason: str = Field(min_length=1, max_length=200)
