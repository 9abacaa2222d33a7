"""Booking settings of a hall, and the booking requests and views."""

from __future__ import annotations

from datetime import time

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from server.halls.hours import WEEKDAYS, parse_period

_Strict = ConfigDict(extra="forbid")


class BookingRules(BaseModel):
    """How a hall takes bookings (`rules.booking` in the hall configuration)."""

    model_config = _Strict

    enabled: bool = True
    services: list[str] | None = Field(
        None, description="bookable service codes; none = every active general service")
    slot_min: int = Field(30, ge=5, le=240)
    share: float = Field(0.5, ge=0, le=1,
                         description="share of a slot's capacity bookable; the rest is for "
                                     "walk-ins (邵阳 第三十三条)")
    capacity: dict[str, int] = Field(
        {}, description="bookings per slot for a service, instead of the derived figure")
    horizon_days: int = Field(14, ge=0, le=90)
    min_lead_min: int = Field(0, ge=0, le=10080)
    max_active_per_person: int = Field(3, ge=0, le=50, description="0 = no limit")
    extended_hours: dict[str, list[str]] = Field(
        {}, description="预约服务 periods outside normal hours, by weekday (焦作 第四十一条)")
    extended_windows: int = Field(1, ge=0, le=100,
                                  description="windows staffed for 预约服务 off-hours")
    no_show_max: int = Field(3, ge=0, le=100, description="missed bookings that suspend; 0 = off")
    no_show_window_days: int = Field(30, ge=1, le=365)
    no_show_suspend_days: int = Field(7, ge=0, le=365)
    remind_day_before_at: str | None = Field("16:00", pattern=r"^\d\d:\d\d$")
    remind_before_min: int = Field(60, ge=0, le=1440, description="0 = off")
    platform_services: dict[str, str] = Field(
        {}, description="the booking platform's item code -> this hall's service code")

    @field_validator("extended_hours")
    @classmethod
    def _extended(cls, value: dict[str, list[str]]) -> dict[str, list[str]]:
        for day, periods in value.items():
            if day not in WEEKDAYS:
                raise ValueError(f"unknown weekday {day!r} (use {', '.join(WEEKDAYS)})")
            for text in periods:
                parse_period(text)
        return value

    @model_validator(mode="after")
    def _times(self) -> BookingRules:
        if self.remind_day_before_at is not None:
            try:
                time.fromisoformat(self.remind_day_before_at)
            except ValueError as err:
                raise ValueError(f"remind_day_before_at: bad time "
                                 f"{self.remind_day_before_at!r}") from err
        for code, n in self.capacity.items():
            if n < 0 or n > 10000:
                raise ValueError(f"capacity of {code}: must be 0…10000")
        return self

    def day_before_time(self) -> time | None:
        """The local time of the day-before reminder, if any."""
        text = self.remind_day_before_at
        return time.fromisoformat(text) if text is not None else None


class SlotRead(BaseModel):
    """One slot of a service with its room left."""

    start: str
    end: str
    extended: bool
    capacity: int
    booked: int
    free: int
    bookable: bool
    refusal: str | None = None


class DaySlots(BaseModel):
    """A day's slots (none on a closed day)."""

    date: str
    open: bool
    slots: list[SlotRead]


class SlotsRead(BaseModel):
    """The bookable slots of a service over some days."""

    hall: str
    service: str
    service_name: str
    slot_min: int
    days: list[DaySlots]


class Proof(BaseModel):
    """What a citizen proves a booking is theirs with: the ID number or the phone number."""

    id_number: str | None = Field(None, min_length=6, max_length=32)
    phone: str | None = Field(None, min_length=5, max_length=32)

    @model_validator(mode="after")
    def _one(self) -> Proof:
        if not (self.id_number or self.phone):
            raise ValueError("give the ID number or the phone number")
        return self


class BookingCreate(Proof):
    """A citizen books a slot (the ID or phone number is kept only as a keyed hash)."""

    service: str = Field(min_length=1, max_length=32)
    slot_start: str = Field(min_length=10, max_length=40)
    remind: bool = Field(False, description="an SMS reminder to `phone` (kept sealed until "
                                            "sent, then erased)")
    lang: str = Field("zh", pattern=r"^(zh|en)$")


class BookingLookup(Proof):
    """A citizen names one of their bookings."""

    code: str = Field(min_length=4, max_length=64)


class BookingMove(Proof):
    """A citizen moves a booking to another slot."""

    slot_start: str = Field(min_length=10, max_length=40)


class StaffMove(BaseModel):
    """Staff move a booking to another slot."""

    slot_start: str = Field(min_length=10, max_length=40)


class StaffCancel(BaseModel):
    """Staff cancel a booking, with a reason."""

    reason: str = Field("cancelled at the hall", min_length=1, max_length=200)


class OfferService(BaseModel):
    """A bookable service."""

    code: str
    name: str


class BookingOffer(BaseModel):
    """What a hall offers for booking (the citizen's booking page starts here)."""

    hall: str
    hall_name: str
    enabled: bool
    services: list[OfferService]
    horizon_days: int
    slot_min: int
    today: str
    sms_reminders: bool = False
