"""Booking rules as pure functions: slots from hours and calendar, capacity, refusals,
the no-show policy and reminder times."""

from __future__ import annotations

import itertools
from datetime import date, datetime, time, timedelta

from hypothesis import given
from hypothesis import strategies as st

from server.appointments.rules import (
    NoShowPolicy,
    Slot,
    booking_refusal,
    find_slot,
    reminder_times,
    slot_capacity,
    slots_on,
    suspended_until,
)
from server.halls.hours import HallHours, Period
from tests.factories import SHANGHAI

WEEK = {d: (Period(time(8, 30), time(12, 0)), Period(time(13, 30), time(17, 30)))
        for d in range(5)}
HOURS = HallHours(weekly=WEEK, holidays=frozenset({date(2026, 10, 1)}),
                  workdays={date(2026, 11, 29): 0})
# 预约服务 outside normal hours: Tuesday evening and Saturday morning.
EXTENDED = HallHours(weekly={1: (Period(time(17, 30), time(19, 0)),),
                             5: (Period(time(9, 0), time(11, 0)),)},
                     holidays=HOURS.holidays, workdays=HOURS.workdays)
MONDAY = date(2026, 11, 23)


def at(day: date, hh: int, mm: int = 0) -> datetime:
    return datetime.combine(day, time(hh, mm), tzinfo=SHANGHAI)


def test_a_working_day_is_cut_into_slots_and_a_short_tail_is_dropped() -> None:
    slots = slots_on(HOURS, None, MONDAY, 30, SHANGHAI)
    # 08:30-12:00 gives 7 slots, 13:30-17:30 gives 8.
    assert len(slots) == 15
    assert slots[0] == Slot(at(MONDAY, 8, 30), at(MONDAY, 9, 0))
    assert slots[6].end == at(MONDAY, 12) and slots[7].start == at(MONDAY, 13, 30)
    forty = slots_on(HOURS, None, MONDAY, 40, SHANGHAI)
    # 210 min → 5 slots (10 min left over), 240 min → 6 slots.
    assert len(forty) == 11 and forty[4].end == at(MONDAY, 11, 50)


def test_the_calendar_closes_holidays_and_opens_working_weekends() -> None:
    assert slots_on(HOURS, None, date(2026, 10, 1), 30, SHANGHAI) == []  # 国庆节, a Thursday
    assert slots_on(HOURS, None, date(2026, 11, 28), 30, SHANGHAI) == []  # a Saturday
    sunday_workday = slots_on(HOURS, None, date(2026, 11, 29), 30, SHANGHAI)  # 调休 as Monday
    assert len(sunday_workday) == 15 and not any(s.extended for s in sunday_workday)


def test_booking_service_outside_normal_hours_adds_extended_slots() -> None:
    tuesday = date(2026, 11, 24)
    slots = slots_on(HOURS, EXTENDED, tuesday, 30, SHANGHAI)
    assert [(s.start.time(), s.extended) for s in slots[-3:]] == [
        (time(17, 30), True), (time(18, 0), True), (time(18, 30), True)]
    saturday = slots_on(HOURS, EXTENDED, date(2026, 11, 28), 30, SHANGHAI)
    assert len(saturday) == 4 and all(s.extended for s in saturday)
    # A holiday closes the extended service too.
    assert slots_on(HOURS, EXTENDED, date(2026, 10, 1), 30, SHANGHAI) == []


def test_capacity_keeps_a_share_for_walk_ins() -> None:
    # Two windows, 30 min slots, 5 min a citizen: 12 served, half of them bookable.
    assert slot_capacity(windows=2, slot_min=30, avg_handle_s=300, share=0.5) == 6
    assert slot_capacity(windows=1, slot_min=30, avg_handle_s=1800, share=0.3) == 1
    assert slot_capacity(windows=0, slot_min=30, avg_handle_s=300, share=0.5) == 0
    assert slot_capacity(windows=3, slot_min=30, avg_handle_s=300, share=0) == 0
    assert slot_capacity(windows=2, slot_min=30, avg_handle_s=300, share=0.5, override=2) == 2


@given(windows=st.integers(0, 100), slot_min=st.integers(5, 240),
       avg=st.integers(1, 28800), share=st.floats(0, 1))
def test_bookable_capacity_never_exceeds_what_the_windows_serve(
        windows: int, slot_min: int, avg: int, share: float) -> None:
    cap = slot_capacity(windows=windows, slot_min=slot_min, avg_handle_s=avg, share=share)
    served = windows * slot_min * 60 / avg
    assert cap >= 0
    if windows and share:
        assert cap <= max(1, served * share + 1e-6)
    else:
        assert cap == 0


def test_find_slot_and_a_platform_slot_spanning_the_grid() -> None:
    slots = slots_on(HOURS, None, MONDAY, 30, SHANGHAI)
    assert find_slot(slots, at(MONDAY, 9, 10)) == slots[1]
    assert find_slot(slots, at(MONDAY, 12, 30)) is None  # lunch break
    # A 09:55-10:25 slot of the platform lies inside one opening period.
    assert find_slot(slots, at(MONDAY, 9, 55), at(MONDAY, 10, 25)) == slots[2]
    # 11:45-12:15 runs into the lunch break.
    assert find_slot(slots, at(MONDAY, 11, 45), at(MONDAY, 12, 15)) is None


def _refusal(slot: Slot | None, now: datetime, booked: int = 0, cap: int = 3,
             day_open: bool = True, lead: int = 0, end: datetime | None = None) -> str | None:
    return booking_refusal(slot=slot, day_open=day_open, now=now, horizon_days=14,
                           min_lead_min=lead, booked=booked, capacity=cap, end=end)


def test_refusals_name_what_cannot_be_honoured() -> None:
    now = at(MONDAY, 10)
    slot = Slot(at(MONDAY, 14), at(MONDAY, 14, 30))
    assert _refusal(slot, now) is None
    assert _refusal(None, now, day_open=False) == "closed_day"
    assert _refusal(None, now) == "closed_hours"
    assert _refusal(Slot(at(MONDAY, 9), at(MONDAY, 9, 30)), now) == "past"
    # The slot in progress can still be booked until it ends.
    assert _refusal(Slot(at(MONDAY, 9, 30), at(MONDAY, 10, 30)), now) is None
    assert _refusal(slot, now, lead=300) == "too_soon"
    far = MONDAY + timedelta(days=15)
    assert _refusal(Slot(at(far, 9), at(far, 9, 30)), now) == "too_far"
    edge = MONDAY + timedelta(days=14)
    assert _refusal(Slot(at(edge, 9), at(edge, 9, 30)), now) is None
    assert _refusal(slot, now, booked=3) == "full"
    assert _refusal(slot, now, cap=0) == "full"


def test_three_misses_in_thirty_days_suspend_for_seven_days() -> None:
    policy = NoShowPolicy(max_missed=3, window_days=30, suspend_days=7)
    misses = [at(date(2026, 11, 2), 10), at(date(2026, 11, 10), 10), at(date(2026, 11, 20), 10)]
    assert suspended_until(misses[:2], policy, at(MONDAY, 10)) is None
    assert suspended_until(misses, policy, at(MONDAY, 10)) == at(date(2026, 11, 27), 10)
    assert suspended_until(misses, policy, at(date(2026, 11, 27), 10)) is None
    # Misses spread over more than 30 days do not suspend.
    spread = [at(date(2026, 9, 1), 10), at(date(2026, 10, 5), 10), at(date(2026, 11, 20), 10)]
    assert suspended_until(spread, policy, at(MONDAY, 10)) is None
    assert suspended_until(misses, NoShowPolicy(max_missed=0), at(MONDAY, 10)) is None


@given(st.lists(st.integers(0, 120 * 24), max_size=12), st.integers(1, 5),
       st.integers(1, 60), st.integers(1, 30), st.integers(0, 200 * 24))
def test_suspension_matches_a_brute_force_count(
        offsets_h: list[int], max_missed: int, window_days: int, suspend_days: int,
        now_h: int) -> None:
    base = at(date(2026, 1, 1), 0)
    misses = [base + timedelta(hours=h) for h in offsets_h]
    now = base + timedelta(hours=now_h)
    policy = NoShowPolicy(max_missed, window_days, suspend_days)
    until = suspended_until(misses, policy, now)
    # Brute force: suspended when some miss m has max_missed misses in (m - window, m]
    # and now < m + suspend.
    ends = [m + timedelta(days=suspend_days) for m in misses
            if sum(1 for x in misses if m - timedelta(days=window_days) < x <= m) >= max_missed]
    live = [e for e in ends if e > now]
    assert until == (max(live) if live else None)


def test_reminders_the_day_before_and_before_the_slot() -> None:
    start = at(date(2026, 11, 25), 9)
    both = reminder_times(slot_start=start, booked_at=at(MONDAY, 10),
                          day_before_at=time(16), before_min=60)
    assert both == [("day_before", at(date(2026, 11, 24), 16)), ("soon", at(date(2026, 11, 25), 8))]
    # Booked the evening before: the day-before reminder is already past, only `soon` is owed.
    late = reminder_times(slot_start=start, booked_at=at(date(2026, 11, 24), 20),
                          day_before_at=time(16), before_min=60)
    assert late == [("soon", at(date(2026, 11, 25), 8))]
    assert reminder_times(slot_start=start, booked_at=at(MONDAY, 10), day_before_at=None,
                          before_min=0) == []


_minutes = st.integers(0, 24 * 60 - 1)


@st.composite
def _periods(draw: st.DrawFn) -> tuple[Period, ...]:
    """A few non-overlapping opening periods of one day."""
    cuts = sorted(draw(st.sets(_minutes, min_size=2, max_size=8)))
    pairs = list(zip(cuts[0::2], cuts[1::2], strict=False))
    return tuple(Period(time(a // 60, a % 60), time(b // 60, b % 60)) for a, b in pairs)


@given(_periods(), st.integers(5, 240))
def test_slots_lie_inside_the_periods_in_order_without_overlap(
        periods: tuple[Period, ...], slot_min: int) -> None:
    hours = HallHours(weekly={0: periods})
    slots = slots_on(hours, None, MONDAY, slot_min, SHANGHAI)
    for slot in slots:
        assert slot.end - slot.start == timedelta(minutes=slot_min)
        assert any(at(MONDAY, p.opens.hour, p.opens.minute) <= slot.start
                   and slot.end <= at(MONDAY, p.closes.hour, p.closes.minute) for p in periods)
    assert all(a.end <= b.start for a, b in itertools.pairwise(slots))
    # Nothing bookable is left out: each period keeps less than one slot unused.
    for p in periods:
        length = (p.closes.hour * 60 + p.closes.minute) - (p.opens.hour * 60 + p.opens.minute)
        inside = [s for s in slots if s.start.time() >= p.opens and s.end <= at(
            MONDAY, p.closes.hour, p.closes.minute)]
        assert len(inside) == length // slot_min
