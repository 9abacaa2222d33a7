"""The provincial booking platform: its simulator feeds bookings, moves and cancellations
by poll and by push; feeding the same records twice gives the same result once."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from datetime import datetime
from typing import Any

import pytest
import uvicorn
from sqlalchemy import select

from server.app import create_app
from server.appointments import poller
from server.appointments.models import PlatformCursor
from server.appointments.platform import (
    BookingPlatformSettings,
    PlatformClient,
    PlatformError,
    get_platform_settings,
)
from server.auth import service as auth
from server.core import Core
from server.halls import flows as hall_flows
from server.monitoring import alerts
from server.tickets.models import Appointment
from simulators.booking_platform import BookingPlatformSim
from tests.factories import PASSWORD, SHANGHAI, hall_config
from tests.server.test_one_writer import Writes

ID = "110101199003071234"


def at(day: int, hh: int, mm: int = 0) -> str:
    return datetime(2026, 11, day, hh, mm, tzinfo=SHANGHAI).isoformat()


@pytest.fixture
def platform_sim() -> Iterator[BookingPlatformSim]:
    """The platform simulator on a free TCP port."""
    sim = BookingPlatformSim()
    sim.start()
    yield sim
    sim.stop()


def feed(sim: BookingPlatformSim) -> dict[str, str]:
    """A day on the platform: bookings, one moved, one cancelled, one the hall cannot honour."""
    ids = {
        "kept": sim.book(hall="h1", item="SB01", start=at(24, 9), id_number=ID),
        "moved": sim.book(hall="h1", item="3401-BDC", start=at(24, 10), end=at(24, 10, 30),
                          phone="13800138000"),
        "cancelled": sim.book(hall="h1", item="SB01", start=at(24, 11), phone="13900139000"),
        "saturday": sim.book(hall="h1", item="SB01", start=at(28, 9), phone="13700137000"),
        "other_hall": sim.book(hall="h2", item="SB01", start=at(24, 9)),
    }
    sim.move(ids["moved"], start=at(25, 14), end=at(25, 14, 30))
    sim.cancel(ids["cancelled"])
    return ids


def state(core: Core) -> list[tuple[Any, ...]]:
    """Every booking of the hall, as comparable tuples."""
    with core.db.read_session() as db:
        return [(a.external_id, a.code, a.status, a.slot_start, a.slot_end, a.source,
                 a.reschedules) for a in db.scalars(select(Appointment).order_by(Appointment.id))]


@pytest.fixture
def platform_core(core: Core) -> Core:
    """The test hall, mapping the platform's item code 3401-BDC to BDC01."""
    hall_flows.load(core, config=hall_config(rules={"booking": {
        "platform_services": {"3401-BDC": "BDC01"}}}))
    return core


def test_polling_applies_records_and_reports_back(
        platform_core: Core, platform_sim: BookingPlatformSim) -> None:
    ids = feed(platform_sim)
    client = PlatformClient(BookingPlatformSettings(
        mode="poll", url=platform_sim.url, key=platform_sim.key, batch=2))
    try:
        assert poller.poll_hall(platform_core, client, "h1") == 6
    finally:
        client.close()
    rows = {row[0]: row for row in state(platform_core)}
    assert set(rows) == {ids["kept"], ids["moved"], ids["cancelled"]}
    assert rows[ids["kept"]][2] == "booked" and rows[ids["kept"]][5] == "platform"
    assert rows[ids["moved"]][3] == datetime.fromisoformat(at(25, 14))
    assert rows[ids["moved"]][6] == 1
    assert rows[ids["cancelled"]][2] == "cancelled"
    # The code the citizen holds is the platform's: it checks in at the kiosk.
    assert rows[ids["kept"]][1] == "P0000001"
    reports = {(r["booking_id"], r["result"]) for r in platform_sim.reports}
    assert (ids["saturday"], "refused") in reports
    refused = [r for r in platform_sim.reports if r["booking_id"] == ids["saturday"]]
    assert refused[0]["refusal"] == "closed_day"
    with platform_core.db.read_session() as db:
        cursor = db.scalar(select(PlatformCursor))
        assert cursor is not None and cursor.cursor == "7" and cursor.last_error is None


def test_the_same_records_twice_give_the_same_result_once(
        platform_core: Core, platform_sim: BookingPlatformSim) -> None:
    feed(platform_sim)
    client = PlatformClient(BookingPlatformSettings(
        mode="poll", url=platform_sim.url, key=platform_sim.key))
    try:
        poller.poll_hall(platform_core, client, "h1")
        once = state(platform_core)
        # Replay everything from the start, as after a lost cursor.
        with platform_core.db.begin() as db:
            row = db.scalar(select(PlatformCursor))
            assert row is not None
            row.cursor = "0"
        poller.poll_hall(platform_core, client, "h1")
    finally:
        client.close()
    assert state(platform_core) == once
    second = platform_sim.reports[len(platform_sim.reports) // 2:]
    assert {r["result"] for r in second} == {"unchanged", "refused"}


@pytest.fixture
def polling(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """The process-wide platform settings in poll mode (as the dashboard's rules read them)."""
    monkeypatch.setenv("HALLQ_BOOKING_PLATFORM_MODE", "poll")
    get_platform_settings.cache_clear()
    yield
    get_platform_settings.cache_clear()


def test_an_unreachable_platform_is_noted_and_retried(
        platform_core: Core, platform_sim: BookingPlatformSim, polling: None) -> None:
    platform_sim.book(hall="h1", item="SB01", start=at(24, 9), id_number=ID)
    client = PlatformClient(BookingPlatformSettings(
        mode="poll", url=platform_sim.url, key=platform_sim.key))
    try:
        platform_sim.fail_next(1, 503)
        with pytest.raises(PlatformError):
            poller.poll_hall(platform_core, client, "h1")
        with platform_core.db.read_session() as db:
            row = db.scalar(select(PlatformCursor))
            assert row is not None and "503" in (row.last_error or "") and row.cursor == "0"
        # The operators' dashboard says the platform cannot be reached …
        [down] = alerts.scan(platform_core, "h1")
        assert (down["kind"], down["subject"], down["active"]) == (
            "link_down", "booking_platform", True)
        assert down["detail"]["name"] == "省网上预约平台" and "503" in down["detail"]["error"]
        assert poller.poll_all(platform_core, client) == {"h1": 1}
        # … until a poll succeeds.
        [ended] = alerts.scan(platform_core, "h1")
        assert (ended["id"], ended["active"]) == (down["id"], False)
    finally:
        client.close()
    assert len(state(platform_core)) == 1
    bad = PlatformClient(BookingPlatformSettings(mode="poll", url=platform_sim.url, key="nope"))
    try:
        with pytest.raises(PlatformError, match="401"):
            bad.fetch(hall="h1", after="0")
    finally:
        bad.close()


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def serve(core: Core, settings: BookingPlatformSettings) -> tuple[uvicorn.Server, str]:
    """The core on a real port, with these platform settings."""
    port = _free_port()
    srv = uvicorn.Server(uvicorn.Config(create_app(core, booking_platform=settings),
                                        host="127.0.0.1", port=port, log_level="warning"))
    threading.Thread(target=srv.run, daemon=True).start()
    deadline = time.monotonic() + 15
    while not srv.started:
        assert time.monotonic() < deadline, "uvicorn did not start"
        time.sleep(0.05)
    return srv, f"http://127.0.0.1:{port}"


def _token(core: Core, job_no: str) -> str:
    return auth.login(core, username=job_no, password=PASSWORD)


def test_pushes_are_idempotent_and_refused_when_push_is_off(
        platform_core: Core, platform_sim: BookingPlatformSim) -> None:
    ids = feed(platform_sim)
    srv, url = serve(platform_core, BookingPlatformSettings(mode="push"))
    try:
        token = _token(platform_core, "op")
        first = platform_sim.push(url, token, "h1")
        once = state(platform_core)
        second = platform_sim.push(url, token, "h1")
        assert state(platform_core) == once
        assert [r["result"] for r in first] == [
            "created", "created", "created", "refused", "moved", "cancelled"]
        assert [r["result"] for r in second] == [
            "unchanged", "unchanged", "unchanged", "refused", "unchanged", "unchanged"]
        assert first[3]["booking_id"] == ids["saturday"]
        # Staff without the operator role may not push.
        with pytest.raises(RuntimeError, match="403"):
            platform_sim.push(url, _token(platform_core, "s1"), "h1")
    finally:
        srv.should_exit = True
    srv, url = serve(platform_core, BookingPlatformSettings(mode="off"))
    try:
        with pytest.raises(RuntimeError, match="409"):
            platform_sim.push(url, _token(platform_core, "op"), "h1")
    finally:
        srv.should_exit = True


def test_the_poller_runs_in_the_core_when_configured(
        platform_core: Core, platform_sim: BookingPlatformSim) -> None:
    booking_id = platform_sim.book(hall="h1", item="SB01", start=at(24, 9), id_number=ID)
    srv, _ = serve(platform_core, BookingPlatformSettings(
        mode="poll", url=platform_sim.url, key=platform_sim.key, poll_s=0.2))
    try:
        deadline = time.monotonic() + 20
        while not platform_sim.reports:
            assert time.monotonic() < deadline, "the poller never reported"
            time.sleep(0.05)
    finally:
        srv.should_exit = True
    assert platform_sim.reports[0]["booking_id"] == booking_id
    assert [row[0] for row in state(platform_core)] == [booking_id]


def test_a_poll_fetches_from_its_thread_and_writes_on_the_writer(
        platform_core: Core, platform_sim: BookingPlatformSim) -> None:
    """The poller's calls to the platform stay on its thread; each record and the cursor
    are written on the one writer (issue 11)."""
    feed(platform_sim)
    client = PlatformClient(BookingPlatformSettings(
        mode="poll", url=platform_sim.url, key=platform_sim.key, batch=2))
    writes = Writes(platform_core.db)
    applied: list[int] = []
    thread = threading.Thread(target=lambda: applied.append(
        poller.poll_hall(platform_core, client, "h1")), name="booking-poller")
    try:
        thread.start()
        thread.join()
    finally:
        client.close()
    threads = writes.take()
    assert applied == [6] and len(platform_sim.reports) == 6
    assert len(threads) >= 7 and all(name.startswith("hallq-writer") for name in threads), \
        threads  # six records and the cursor at least
