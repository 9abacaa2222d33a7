"""Shared fixtures: a real SQLite core per test, a manual clock, HTTP clients.

PostgreSQL and Redis fixtures need HALLQ_TEST_POSTGRES_URL / HALLQ_TEST_REDIS_URL (the test
command sets them); without them those tests fail with a clear message, never skip.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
import redis
from fastapi.testclient import TestClient
from sqlalchemy import create_engine, text

from server.app import build_core, create_app
from server.clock import ManualClock
from server.core import Core
from server.events.bus import RecordingBus
from server.halls import flows as hall_flows
from server.settings import Settings
from tests.factories import MONDAY_10, PASSWORD, hall_config
from tests.loop_thread import LoopThread

ARTIFACTS = Path(__file__).resolve().parent.parent / "artifacts"
# Device simulator fixtures (printer_sim, evaluator_sim, scanner_sim, led_sim).
pytest_plugins = ["tests.device_sims"]


def postgres_base_url() -> str:
    """The test PostgreSQL URL, or a clear failure."""
    url = os.environ.get("HALLQ_TEST_POSTGRES_URL")
    if not url:
        pytest.fail("HALLQ_TEST_POSTGRES_URL is not set: this test needs a real PostgreSQL "
                    "(run the README's test command, `make test`, which provides one)")
    return url


def redis_url() -> str:
    """The test Redis URL, or a clear failure."""
    url = os.environ.get("HALLQ_TEST_REDIS_URL")
    if not url:
        pytest.fail("HALLQ_TEST_REDIS_URL is not set: this test needs a real Redis "
                    "(run `make test`, which provides one)")
    return url


@pytest.fixture
def clock() -> ManualClock:
    """A clock standing at Monday 10:00 in Shanghai."""
    return ManualClock(MONDAY_10)


def make_core(url: str, clock: ManualClock) -> Core:
    """A migrated core on `url` with a recording bus."""
    settings = Settings(database_url=url, pepper="test-pepper-not-secret", demo=False)
    return build_core(settings, clock=clock, bus=RecordingBus())


@pytest.fixture
def core(tmp_path: Path, clock: ManualClock) -> Iterator[Core]:
    """A core on a fresh SQLite file with the test hall loaded."""
    c = make_core(f"sqlite:///{tmp_path / 'hallq.db'}", clock)
    hall_flows.load(c, config=hall_config())
    yield c
    c.db.dispose()


@pytest.fixture
def pg_url() -> Iterator[str]:
    """A PostgreSQL URL whose search_path is a fresh schema, dropped afterwards."""
    base = postgres_base_url()
    schema = f"t_{uuid.uuid4().hex[:12]}"
    admin = create_engine(base)
    try:
        with admin.begin() as conn:
            conn.execute(text(f"CREATE SCHEMA {schema}"))
    except Exception as err:  # pragma: no cover - depends on the machine
        pytest.fail(f"cannot reach PostgreSQL at {base}: {err}")
    sep = "&" if "?" in base else "?"
    yield f"{base}{sep}options=-csearch_path%3D{schema}"
    with admin.begin() as conn:
        conn.execute(text(f"DROP SCHEMA {schema} CASCADE"))
    admin.dispose()


@pytest.fixture
def pg_core(pg_url: str, clock: ManualClock) -> Iterator[Core]:
    """A core on real PostgreSQL with the test hall loaded."""
    c = make_core(pg_url, clock)
    hall_flows.load(c, config=hall_config())
    yield c
    c.db.dispose()


@pytest.fixture
def client(core: Core) -> Iterator[TestClient]:
    """An HTTP client on the SQLite core."""
    with TestClient(create_app(core)) as c:
        yield c


def login(client: TestClient, job_no: str, password: str = PASSWORD) -> dict[str, str]:
    """Log in and return the Authorization header."""
    r = client.post("/api/v1/auth/token", data={"username": job_no, "password": password})
    assert r.status_code == 200, r.text
    return {"Authorization": f"Bearer {r.json()['access_token']}"}


@pytest.fixture
def prefix() -> Iterator[str]:
    """A Redis key prefix of this test's own (for a core's bus), removed afterwards."""
    name = f"hallq-test-{uuid.uuid4().hex[:8]}"
    yield name
    client = redis.Redis.from_url(redis_url())
    client.delete(*client.keys(f"{name}:*") or [f"{name}:none"])
    client.close()


@pytest.fixture
def loop() -> Iterator[LoopThread]:
    """An asyncio loop in a thread, for the Redis buses of in-process cores."""
    out = LoopThread()
    yield out
    out.close()
