"""Opening hours and the hall calendar, as pure functions.

广西 第十一条: at least six service hours a working day, with extended, weekend and holiday
service where needed; the calendar marks holidays and working weekends (调休).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta

END_OF_DAY = time(23, 59, 59, 999999)
WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


@dataclass(frozen=True, slots=True)
class Period:
    """One opening period in local time; `closes` may be END_OF_DAY for 24:00."""

    opens: time
    closes: time


@dataclass(frozen=True)
class HallHours:
    """A hall's week and its calendar exceptions."""

    weekly: Mapping[int, tuple[Period, ...]]
    holidays: frozenset[date] = frozenset()
    workdays: Mapping[date, int] = field(default_factory=dict)  # day -> whose weekday's hours


def parse_period(text: str) -> Period:
    """Parse "08:30-12:00" (and "24:00" as the end of the day)."""
    try:
        start, end = (part.strip() for part in text.split("-"))
        opens = time.fromisoformat(start)
        closes = END_OF_DAY if end == "24:00" else time.fromisoformat(end)
    except ValueError as err:
        raise ValueError(f"bad opening period {text!r}: expected HH:MM-HH:MM") from err
    if closes <= opens:
        raise ValueError(f"bad opening period {text!r}: closes before it opens")
    return Period(opens, closes)


def format_period(period: Period) -> str:
    """The inverse of `parse_period`."""
    end = "24:00" if period.closes == END_OF_DAY else period.closes.strftime("%H:%M")
    return f"{period.opens.strftime('%H:%M')}-{end}"


def periods_on(hours: HallHours, day: date) -> tuple[Period, ...]:
    """The opening periods of one calendar day."""
    if day in hours.holidays:
        return ()
    if day in hours.workdays:
        return hours.weekly.get(hours.workdays[day], ())
    return hours.weekly.get(day.weekday(), ())


def issuing_refusal(hours: HallHours, local: datetime, cutoff_min: int) -> str | None:
    """Why no ticket may be issued at local time `local`, or None when it may.

    Tickets stop `cutoff_min` minutes before each closing; those already issued are still
    served after closing (延时服务, 焦作 第四十一条).
    """
    periods = periods_on(hours, local.date())
    if not periods:
        return "closed_day"
    now = local.time()
    for period in periods:
        last = _minus(period.closes, cutoff_min)
        if period.opens <= now <= last:
            return None
        if last < now <= period.closes:
            return "closing_soon"
    return "closed_hours"


def next_opening(hours: HallHours, local: datetime, horizon_days: int = 30) -> datetime | None:
    """The next local time the hall opens after `local`, for telling citizens when to come."""
    for offset in range(horizon_days + 1):
        day = local.date() + timedelta(days=offset)
        for period in periods_on(hours, day):
            start = datetime.combine(day, period.opens, tzinfo=local.tzinfo)
            if start > local:
                return start
    return None


def _minus(t: time, minutes: int) -> time:
    if minutes <= 0:
        return t
    moved = datetime.combine(date(2000, 1, 1), t) - timedelta(minutes=minutes)
    return moved.time() if moved.date() == date(2000, 1, 1) else time(0, 0)
