"""The core's scaled clock, as `hallq serve --speed --start` sets it up."""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta

import pytest
from pydantic import ValidationError

from server.app import settings_clock
from server.clock import ScaledClock, SystemClock
from server.settings import Settings
from tests.factories import MONDAY_10


def test_no_speed_is_the_system_clock() -> None:
    """By default the core tells the wall-clock time."""
    assert isinstance(settings_clock(Settings()), SystemClock)


def test_a_simulated_day_starts_at_the_first_reading() -> None:
    """However long the core took to start, its first reading is the start time."""
    clock = settings_clock(Settings(clock_speed=60, clock_start=MONDAY_10))
    assert isinstance(clock, ScaledClock)
    time.sleep(0.3)
    first = clock.now()
    assert abs((first - MONDAY_10).total_seconds()) < 1
    time.sleep(0.5)
    moved = (clock.now() - first).total_seconds()
    assert 25 <= moved <= 60  # half a wall second is half a minute at ×60


def test_a_speed_alone_runs_from_now() -> None:
    """`--speed` without `--start` scales from the current time."""
    clock = settings_clock(Settings(clock_speed=10))
    assert abs(clock.now() - datetime.now(UTC)) < timedelta(seconds=5)


def test_the_start_needs_an_offset() -> None:
    """A naive start time is refused: the hall's day depends on the time zone."""
    with pytest.raises(ValidationError, match="offset"):
        Settings(clock_speed=60, clock_start=datetime(2026, 11, 24, 8, 0))
    with pytest.raises(ValidationError):
        Settings(clock_speed=0)
