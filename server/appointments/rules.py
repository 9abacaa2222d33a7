"""Booking rules as pure functions: slots, capacity, refusals, the no-show policy, reminders.

Nothing here touches the database or the clock; the flows pass in what they read.

- Slots come from the hall's opening hours and calendar (`halls.hours`: periods, holidays,
  调休) plus the hall's 预约服务 periods outside normal hours (焦作 第四十一条: 预约服务,
  延时服务; 广西 第十一条: 延时、周末、节假日服务 where needed).
- Capacity keeps room for walk-ins: only a share of a slot's service capacity is bookable,
  because the online booking may never become a precondition (邵阳 第三十三条).
- A booking that cannot be honoured is refused when it is made (广西 第十九条: 线上预约、
  线下办理 must work end to end), never at the door.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, tzinfo

from server.halls.hours import HallHours, Period, periods_on

# Why a booking is refused, with the message the API answers (English; pages translate codes).
REFUSALS: Mapping[str, str] = {
    "booking_off": "this hall does not take bookings for this service",
    "closed_day": "the hall is closed on that day",
    "closed_hours": "that time is outside the hall's opening and booking hours",
    "past": "that slot has already ended",
    "too_soon": "that slot starts too soon to be booked",
    "too_far": "that day is too far ahead to be booked",
    "full": "that slot is fully booked",
    "suspended": "booking is suspended after repeated missed appointments",
    "too_many": "this person already holds the most active bookings allowed",
}


@dataclass(frozen=True, slots=True)
class Slot:
    """One bookable time slot in the hall's local time; `extended` is 预约服务 off-hours."""

    start: datetime
    end: datetime
    extended: bool = False


@dataclass(frozen=True, slots=True)
class NoShowPolicy:
    """`max_missed` missed bookings within `window_days` suspend booking for `suspend_days`."""

    max_missed: int = 3
    window_days: int = 30
    suspend_days: int = 7


def bookable_periods(
    hours: HallHours, extended: HallHours | None, day: date
) -> list[tuple[Period, bool]]:
    """The day's opening periods, then its off-hours booking periods, by start time."""
    periods = [(p, False) for p in periods_on(hours, day)]
    if extended is not None:
        periods += [(p, True) for p in periods_on(extended, day)]
    return sorted(periods, key=lambda item: item[0].opens)


def slots_on(
    hours: HallHours, extended: HallHours | None, day: date, slot_min: int, tz: tzinfo
) -> list[Slot]:
    """A day's slots: each period cut into `slot_min`-minute slots; a short tail is dropped."""
    if slot_min <= 0:
        raise ValueError("slot_min must be positive")
    step = timedelta(minutes=slot_min)
    slots: list[Slot] = []
    for period, is_extended in bookable_periods(hours, extended, day):
        start = datetime.combine(day, period.opens, tzinfo=tz)
        closes = datetime.combine(day, period.closes, tzinfo=tz)
        if period.closes.second or period.closes.microsecond:  # END_OF_DAY stands for 24:00
            closes = datetime.combine(day + timedelta(days=1), time(0), tzinfo=tz)
        while start + step <= closes:
            slots.append(Slot(start, start + step, is_extended))
            start += step
    return slots


def slot_capacity(
    *, windows: int, slot_min: int, avg_handle_s: int, share: float,
    override: int | None = None,
) -> int:
    """Bookings one service can take in one slot.

    `windows` serving the service for `slot_min` minutes handle about
    windows × slot / average handling time citizens; `share` of that is bookable, the rest
    is kept for walk-ins (邵阳 第三十三条). An explicit `override` wins.
    """
    if override is not None:
        return max(0, override)
    if windows <= 0 or avg_handle_s <= 0 or share <= 0:
        return 0
    served = windows * slot_min * 60 / avg_handle_s
    return max(1, math.floor(served * share + 1e-9))


def find_slot(slots: Sequence[Slot], start: datetime, end: datetime | None = None) -> Slot | None:
    """The slot a booking starts in; a booking with its own `end` (a platform's slot) must
    also end before the hall's hours are interrupted."""
    for i, slot in enumerate(slots):
        if not slot.start <= start < slot.end:
            continue
        reach, j = slot.end, i
        while end is not None and reach < end and j + 1 < len(slots) and (
                slots[j + 1].start == reach):
            j += 1
            reach = slots[j].end
        return slot if end is None or end <= reach else None
    return None


def booking_refusal(
    *, slot: Slot | None, day_open: bool, now: datetime, horizon_days: int, min_lead_min: int,
    booked: int, capacity: int, end: datetime | None = None,
) -> str | None:
    """Why a booking for `slot` cannot be honoured (a key of REFUSALS), or None.

    `day_open` says whether the day has any bookable period at all (to tell a closed day from
    a time outside the hours); `booked` counts the active bookings already in the slot;
    `end` is the booking's own end when it is not the slot's.
    """
    if not day_open:
        return "closed_day"
    if slot is None:
        return "closed_hours"
    if (end or slot.end) <= now:
        return "past"
    if slot.start < now + timedelta(minutes=min_lead_min) and min_lead_min > 0:
        return "too_soon"
    local_today = now.astimezone(slot.start.tzinfo).date()
    if (slot.start.date() - local_today).days > horizon_days:
        return "too_far"
    if booked >= capacity:
        return "full"
    return None


def suspended_until(
    missed: Sequence[datetime], policy: NoShowPolicy, now: datetime
) -> datetime | None:
    """When a suspension earned by these missed bookings ends, or None if not suspended.

    A suspension starts at the miss that completes `max_missed` misses within `window_days`
    and lasts `suspend_days`. `max_missed` 0 turns the policy off.
    """
    if policy.max_missed <= 0 or policy.suspend_days <= 0:
        return None
    window = timedelta(days=policy.window_days)
    ordered = sorted(missed)
    until: datetime | None = None
    for i, miss in enumerate(ordered):
        first = i - policy.max_missed + 1
        if first >= 0 and miss - ordered[first] < window:
            end = miss + timedelta(days=policy.suspend_days)
            until = end if until is None or end > until else until
    return until if until is not None and until > now else None


def reminder_times(
    *, slot_start: datetime, booked_at: datetime, day_before_at: time | None,
    before_min: int,
) -> list[tuple[str, datetime]]:
    """The reminders a booking gets: `day_before` (at a local time the previous day) and
    `soon` (`before_min` minutes before the slot), those still ahead at booking time."""
    out: list[tuple[str, datetime]] = []
    if day_before_at is not None:
        at = datetime.combine(slot_start.date() - timedelta(days=1), day_before_at,
                              tzinfo=slot_start.tzinfo)
        if at > booked_at:
            out.append(("day_before", at))
    if before_min > 0:
        at = slot_start - timedelta(minutes=before_min)
        if at > booked_at:
            out.append(("soon", at))
    return out


__all__ = ["REFUSALS", "NoShowPolicy", "Slot", "bookable_periods", "booking_refusal",
           "find_slot", "reminder_times", "slot_capacity", "slots_on", "suspended_until"]
