"""Two core processes on one PostgreSQL database, each with its notice worker and its 好差评
uploader, racing over the same outboxes: every notice and every record goes out once."""

from __future__ import annotations

import threading
from collections import Counter
from collections.abc import Callable, Iterator

import pytest

from server.clock import ManualClock
from server.core import Core
from server.evaluations import service as ratings
from server.evaluations.platform.worker import Uploader
from server.evaluations.schemas import RatingCreate
from server.halls import flows as hall_flows
from server.integrations import IntegrationSettings
from server.notices import flows as phone_flows
from server.notices.adapters import Adapters
from server.notices.schemas import NoticeRequest, PhoneTicketCreate
from server.notices.worker import NoticeWorker
from server.tickets import flows as tickets
from server.windows import flows as windows
from simulators.evaluation_platform import EvaluationPlatformSim
from simulators.sms_gateway import SmsGatewaySim
from tests.conftest import make_core
from tests.evaluations.test_platform_upload import CODES
from tests.factories import hall_config
from tests.notices.conftest import PHONE_RULES, link_settings, staff
from tests.server.test_flows import KIOSK


@pytest.fixture
def two_cores(pg_url: str, clock: ManualClock) -> Iterator[tuple[Core, Core]]:
    """Two cores (as two processes would have) on one PostgreSQL schema."""
    a = make_core(pg_url, clock)
    hall_flows.load(a, config=hall_config(rules={**PHONE_RULES, **CODES,
                                                 "phone_daily_limit": 0}))
    b = make_core(pg_url, clock)
    yield a, b
    a.db.dispose()
    b.db.dispose()


def _go(barrier: threading.Barrier, fn: Callable[[], object],
        errors: list[BaseException]) -> None:
    barrier.wait()
    try:
        fn()
    except BaseException as err:  # reported by `race`
        errors.append(err)


def race(*rounds: Callable[[], object]) -> None:
    """Run each round function in its own thread, all at once, several times."""
    for _ in range(4):
        barrier = threading.Barrier(len(rounds))
        errors: list[BaseException] = []
        threads = [threading.Thread(target=_go, args=(barrier, fn, errors)) for fn in rounds]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        assert errors == []


def test_notices_once_across_two_cores(two_cores: tuple[Core, Core],
                                       sms: SmsGatewaySim) -> None:
    a, b = two_cores
    settings = link_settings(sms)
    workers = [NoticeWorker(c, settings, Adapters.from_settings(settings)) for c in (a, b)]
    for i in range(12):
        phone_flows.take(a, hall="h1", settings=settings, adapters=workers[0].adapters,
                         body=PhoneTicketCreate(service="SB01", phone=f"1380000{i:04d}",
                                                notice=NoticeRequest(channel="sms", ahead=3)))
    race(*(lambda w=w: w.round(sweep=True) for w in workers))
    who = staff(a, "s2")
    windows.sign_in(a, hall="h1", window="2", post="A", actor=who)
    for _ in range(6):
        windows.call_next(b, hall="h1", window="2", actor=who)
        race(*(lambda w=w: w.round(sweep=True) for w in workers))
        windows.start(a, hall="h1", window="2", actor=who)
        windows.finish(a, hall="h1", window="2", outcome="completed", actor=who)
    counts = Counter(s.out_id for s in sms.sent)
    assert counts and max(counts.values()) == 1
    near = [s for s in sms.sent if "前面还有" in s.content]
    called = [s for s in sms.sent if "号窗口办理" in s.content]
    # A00k has k-1 ahead at first, k-1-c after c calls: after six calls A001…A010 reached 3.
    assert len(near) == 10 and len(called) == 6
    for w in workers:
        w.adapters.close()


def test_uploads_once_across_two_cores(two_cores: tuple[Core, Core],
                                       clock: ManualClock) -> None:
    a, b = two_cores
    platform = EvaluationPlatformSim()
    platform.start()
    try:
        settings = IntegrationSettings(evaluation_platform_url=platform.url,
                                       evaluation_platform_key=platform.key)
        uploaders = [Uploader(c, settings) for c in (a, b)]
        who = staff(a, "s2")
        windows.sign_in(a, hall="h1", window="2", post="A", actor=who)
        for i in range(10):
            ticket = tickets.issue(a, hall="h1", service="SB01", actor=KIOSK)
            windows.call_next(a, hall="h1", window="2", actor=who)
            windows.start(a, hall="h1", window="2", actor=who)
            windows.finish(a, hall="h1", window="2", outcome="completed", actor=who)
            ratings.record(b if i % 2 else a, ticket_id=ticket.id, channel="evaluator",
                           rating=RatingCreate(level=1 if i % 3 == 0 else 5,
                                               reasons=["3"] if i % 3 == 0 else []))
        race(*(u.round for u in uploaders))
        assert platform.duplicates == 0 and platform.rejected == []
        kinds = Counter(r["record_type"] for r in platform.records.values())
        assert kinds == {"rating": 10, "case_step": 4}
        for u in uploaders:
            assert u.client is not None
            u.client.close()
    finally:
        platform.stop()
