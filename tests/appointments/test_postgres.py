"""On real PostgreSQL, concurrent bookings never overfill a slot."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from datetime import datetime

import pytest

from server.appointments import flows
from server.core import Core
from server.errors import Refused
from tests.factories import SHANGHAI

SLOT = datetime(2026, 11, 24, 9, 0, tzinfo=SHANGHAI).isoformat()


@pytest.mark.postgres
def test_concurrent_bookings_fill_a_slot_exactly(pg_core: Core) -> None:
    # BDC01: two windows, 10 minutes a citizen → 6 a slot, 3 bookable.
    def attempt(i: int) -> str:
        try:
            flows.book(pg_core, hall="h1", service="BDC01", slot_start=SLOT,
                       phone=f"1380013{i:04d}", source="citizen", actor=None)
        except Refused as err:
            return err.code
        return "booked"

    with ThreadPoolExecutor(max_workers=8) as pool:
        results = list(pool.map(attempt, range(16)))
    assert results.count("booked") == 3
    assert results.count("full") == 13
    slots = flows.slots(pg_core, hall="h1", service="BDC01",
                        start=datetime(2026, 11, 24).date(), days=1)
    assert slots.days[0].slots[1].booked == 3 and slots.days[0].slots[1].free == 0
