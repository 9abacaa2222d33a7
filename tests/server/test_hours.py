"""Opening hours and the calendar."""

from __future__ import annotations

from datetime import date, datetime, time

import pytest

from server.halls.hours import (
    HallHours,
    issuing_refusal,
    next_opening,
    parse_period,
    periods_on,
)
from tests.factories import SHANGHAI

WEEK = HallHours(
    weekly={d: (parse_period("08:30-12:00"), parse_period("13:30-17:30")) for d in range(5)},
    holidays=frozenset({date(2026, 10, 1)}),
    workdays={date(2026, 11, 29): 0},
)


def at(y: int, m: int, d: int, hh: int, mm: int) -> datetime:
    return datetime(y, m, d, hh, mm, tzinfo=SHANGHAI)


@pytest.mark.parametrize(("when", "cutoff", "expected"), [
    (at(2026, 11, 23, 10, 0), 0, None),
    (at(2026, 11, 23, 8, 0), 0, "closed_hours"),
    (at(2026, 11, 23, 12, 30), 0, "closed_hours"),  # lunch
    (at(2026, 11, 23, 17, 10), 30, "closing_soon"),
    (at(2026, 11, 23, 17, 10), 0, None),
    (at(2026, 11, 23, 18, 0), 0, "closed_hours"),
    (at(2026, 11, 28, 10, 0), 0, "closed_day"),  # Saturday
    (at(2026, 11, 29, 10, 0), 0, None),  # working Sunday (调休)
    (at(2026, 10, 1, 10, 0), 0, "closed_day"),  # holiday on a Thursday
])
def test_issuing_refusal(when: datetime, cutoff: int, expected: str | None) -> None:
    assert issuing_refusal(WEEK, when, cutoff) == expected


def test_next_opening_skips_weekend_and_lunch() -> None:
    assert next_opening(WEEK, at(2026, 11, 23, 12, 30)) == at(2026, 11, 23, 13, 30)
    assert next_opening(WEEK, at(2026, 11, 27, 18, 0)) == at(2026, 11, 29, 8, 30)


def test_period_parsing() -> None:
    assert periods_on(WEEK, date(2026, 11, 28)) == ()
    assert parse_period("00:00-24:00").closes > time(23, 59)
    with pytest.raises(ValueError, match="closes before it opens"):
        parse_period("12:00-08:00")
    with pytest.raises(ValueError, match="HH:MM"):
        parse_period("noon")
