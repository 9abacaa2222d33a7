"""On real PostgreSQL: concurrent bookings never overfill a slot; two reminder senders never
send one reminder twice."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from datetime import datetime

import pytest

from server.appointments import flows, reminders
from server.clock import ManualClock
from server.core import Core
from server.errors import Refused
from server.notices.adapters import Adapters
from simulators.sms_gateway import SmsGatewaySim
from tests.factories import SHANGHAI
from tests.notices.conftest import link_settings

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


@pytest.mark.postgres
def test_two_senders_send_each_booking_reminder_once(pg_core: Core) -> None:
    sms = SmsGatewaySim()
    sms.start()
    links = link_settings(sms)
    sealer = reminders.sealer_for(links)
    try:
        for i in range(12):
            flows.book(pg_core, hall="h1", service="SB01",
                       slot_start=datetime(2026, 11, 25, 9 + i // 6, 0, tzinfo=SHANGHAI)
                       .isoformat(), phone=f"1380013{i:04d}", source="citizen", actor=None,
                       sealer=sealer)
        assert isinstance(pg_core.clock, ManualClock)
        pg_core.clock.set(datetime(2026, 11, 24, 16, 0, tzinfo=SHANGHAI))

        def sender(_: int) -> int:
            adapters = Adapters.from_settings(links)
            try:
                return reminders.send_due(pg_core, settings=links, adapters=adapters)
            finally:
                adapters.close()

        with ThreadPoolExecutor(max_workers=2) as pool:
            handled = sum(pool.map(sender, range(2)))
    finally:
        sms.stop()
    assert handled == 12
    assert sorted(m.phone for m in sms.sent) == [f"1380013{i:04d}" for i in range(12)]
