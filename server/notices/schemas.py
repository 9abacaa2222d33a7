"""Requests and views of 线上取号 and 到号提醒."""

from __future__ import annotations

from pydantic import BaseModel, Field

from server.tickets.schemas import TicketRead


class NoticeRequest(BaseModel):
    """How to be told: by SMS to the phone number, or a WeChat subscription message."""

    channel: str = Field(pattern=r"^(sms|wechat)$")
    ahead: int | None = Field(None, ge=1, le=50, description="notify when N are ahead")
    wechat_code: str | None = Field(None, min_length=1, max_length=128,
                                    description="the WeChat OAuth code (channel wechat)")


class PhoneTicketCreate(BaseModel):
    """Take a number from a phone (线上取号)."""

    service: str = Field(min_length=1, max_length=32)
    phone: str = Field(min_length=11, max_length=20, description="mainland mobile number")
    notice: NoticeRequest | None = None
    lang: str = Field("zh", pattern=r"^(zh|en)$")


class PhoneOffer(BaseModel):
    """What the phone page offers in a hall (public: no personal data)."""

    hall: str
    hall_name: str
    enabled: bool
    open_now: bool
    refusal: str | None = None
    services: list[dict[str, str | int]]
    channels: list[str]
    notice_ahead: int
    notice_ahead_max: int
    daily_limit: int


class PhoneTicketRead(BaseModel):
    """The ticket taken, its page, and the notice asked for (never the number itself)."""

    ticket: TicketRead
    url: str
    notice: str
    notify_ahead: int | None = None
