"""`hallq demo` runs the booking platform's simulator in its own process and polls it."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from sqlalchemy import select

from server.app import build_core
from server.appointments import poller
from server.appointments.platform import PlatformClient, get_platform_settings
from server.cli import _booking_platform_sim
from server.demo.seed import seed
from server.events.bus import RecordingBus
from server.settings import Settings
from server.tickets.models import Appointment

KEYS = ("MODE", "URL", "KEY", "POLL_S")


def test_the_demo_polls_the_simulated_platform(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    for key in KEYS:
        monkeypatch.delenv(f"HALLQ_BOOKING_PLATFORM_{key}", raising=False)
    proc = _booking_platform_sim()
    get_platform_settings.cache_clear()
    try:
        settings = get_platform_settings()
        assert settings.mode == "poll" and settings.url == os.environ["HALLQ_BOOKING_PLATFORM_URL"]
        core = build_core(Settings(database_url=f"sqlite:///{tmp_path / 'demo.db'}",
                                   demo=True), bus=RecordingBus())
        seed(core)
        client = PlatformClient(settings)
        try:
            assert poller.poll_hall(core, client, "demo") == 5
        finally:
            client.close()
        with core.db.read_session() as db:
            rows = [(a.code[:2], a.status, a.source) for a in
                    db.scalars(select(Appointment).order_by(Appointment.id))]
        core.db.dispose()
    finally:
        proc.terminate()
        proc.wait(10)
        # _booking_platform_sim set these in os.environ itself (monkeypatch restores only
        # what it changed): without this, later tests' apps poll a simulator that is gone.
        for key in KEYS:
            os.environ.pop(f"HALLQ_BOOKING_PLATFORM_{key}", None)
        get_platform_settings.cache_clear()
    assert rows == [("YY", "booked", "platform")] * 3 + [("YY", "cancelled", "platform")]
