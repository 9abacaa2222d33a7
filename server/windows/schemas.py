"""Counter requests and window views."""

from __future__ import annotations

from typing import Annotated

from pydantic import BaseModel, Field, model_validator

from server.tickets.models import OUTCOMES
from server.tickets.schemas import TicketRead


class SignIn(BaseModel):
    """Sign in to a window as its A (main) or B (stand-in) post (AB岗, 焦作 第三十九条)."""

    post: str = Field("A", pattern=r"^[AB]$")


class CallNext(BaseModel):
    """Call the next ticket; `confirm_no_show` is the staff's yes to marking a ticket that
    is still called a no-show (过号) first."""

    confirm_no_show: bool = False


class Finish(BaseModel):
    """Finish the current ticket with an outcome; a 补正告知 names the missing materials."""

    outcome: str = "completed"
    note: str = Field("", max_length=500)
    # 一次性告知 (焦作 第三十八条): picked from the service's material list, plus free text.
    missing: list[Annotated[str, Field(min_length=1, max_length=100)]] = Field(
        [], max_length=40)
    missing_other: str = Field("", max_length=500)
    # Print the 一次性告知单 on the window's printer (or the desk's, or any online one).
    print_notice: bool = True

    @model_validator(mode="after")
    def _outcome(self) -> Finish:
        if self.outcome not in OUTCOMES:
            raise ValueError(f"outcome must be one of {', '.join(OUTCOMES)}")
        return self


class Transfer(BaseModel):
    """Hand the current ticket to another service or window (首问负责)."""

    service: str | None = None
    window: str | None = None
    note: str = Field("", max_length=500)

    @model_validator(mode="after")
    def _one_target(self) -> Transfer:
        if (self.service is None) == (self.window is None):
            raise ValueError("give exactly one of service or window")
        return self


class Pause(BaseModel):
    """Pause the window (休息, 外出, 会议 …)."""

    reason: str = Field(min_length=1, max_length=200)


class CallSpecific(BaseModel):
    """Call one ticket by its number (指定呼叫)."""

    number: str = Field(min_length=2, max_length=16)


class WindowRead(BaseModel):
    """A window's live state."""

    number: str
    name: str
    name_en: str | None = None
    kind: str
    state: str
    ticket: str | None = None
    ticket_id: str | None = None
    service: str | None = None
    staff: str | None = None
    staff_no: str | None = None
    post: str | None = None
    paused_reason: str | None = None
    since: str | None = None
    # AB岗: who holds each post (names only); 去向牌: a sign when its staff is away.
    a_staff: str | None = None
    b_staff: str | None = None
    presence: str | None = None
    presence_staff: str | None = None
    presence_note: str | None = None


class CallResult(BaseModel):
    """The ticket a counter action left on the window."""

    ticket: TicketRead
    window: WindowRead | None = None
