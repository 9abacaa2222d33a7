"""The access cache (server.auth.cache): every change to who may do what takes effect at once.

Each test first makes the boundary cache the caller (a second request is answered from
the cache), then changes the account, device, token or hall, and checks that the very next
request is decided on the new state: in the process, and in a second core process that
follows over Redis. A process that missed the news (no shared bus) still forgets within
the cache's time to live.
"""

from __future__ import annotations

import threading
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from server.app import build_core
from server.auth import access
from server.auth import service as auth
from server.auth.cache import AccessCache, HallEntry
from server.auth.models import Staff
from server.auth.security import token_digest
from server.clock import ManualClock
from server.core import Core
from server.errors import Unauthorized
from server.events.redis_bus import RedisBus
from server.halls import flows as hall_flows
from server.settings import Settings
from server.tickets import flows as tickets
from tests.conftest import login, make_core, redis_url
from tests.factories import PASSWORD, hall_config
from tests.loop_thread import LoopThread

ISSUE = "/api/v1/halls/h1/tickets"
QUEUE = "/api/v1/halls/h1/queue"


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def cached(core: Core, headers: dict[str, str]) -> bool:
    """True when the cache holds the principal of these headers' token."""
    return core.access.principal(token_digest(headers["Authorization"][7:])) is not None


def kiosk(core: Core, client: TestClient, name: str = "k-1") -> dict[str, str]:
    """A kiosk's headers, used twice so that the cache holds it."""
    headers = bearer(auth.register_device(core, hall="h1", name=name, kind="kiosk")[1])
    for _ in range(2):
        assert client.post(ISSUE, headers=headers, json={"service": "SB01"}).status_code == 201
    assert cached(core, headers) and core.access.hall("h1") is not None
    return headers


def test_a_revoked_kiosk_is_refused_at_once(core: Core, client: TestClient) -> None:
    headers = kiosk(core, client)
    auth.revoke_device(core, hall="h1", name="k-1")
    r = client.post(ISSUE, headers=headers, json={"service": "SB01"})
    assert r.status_code == 401, r.text


def test_a_rotated_kiosk_token_is_refused_at_once(core: Core, client: TestClient) -> None:
    old = kiosk(core, client)
    _, new = auth.register_device(core, hall="h1", name="k-1", kind="kiosk", rotate=True)
    assert client.post(ISSUE, headers=old, json={"service": "SB01"}).status_code == 401
    assert client.post(ISSUE, headers=bearer(new), json={"service": "SB01"}).status_code == 201


def test_logout_is_refused_at_once(core: Core, client: TestClient) -> None:
    op = login(client, "op")
    for _ in range(2):
        assert client.get(QUEUE, headers=op).status_code == 200
    assert cached(core, op)
    assert client.post("/api/v1/auth/logout", headers=op).status_code == 204
    assert client.get(QUEUE, headers=op).status_code == 401


def test_a_disabled_account_is_refused_at_once(core: Core, client: TestClient) -> None:
    op = login(client, "op")
    for _ in range(2):
        assert client.get(QUEUE, headers=op).status_code == 200
    assert cached(core, op)
    with core.db.begin() as db:
        staff = db.scalar(select(Staff).where(Staff.job_no == "op"))
        assert staff is not None
        staff.active = False
    assert client.get(QUEUE, headers=op).status_code == 401


def test_a_role_taken_away_is_refused_at_once(core: Core, client: TestClient) -> None:
    op = login(client, "op")
    for _ in range(2):
        assert client.get(QUEUE, headers=op).status_code == 200
    config = hall_config()
    staff = [s.model_copy(update={"roles": ["staff"]}) if s.job_no == "op" else s
             for s in config.staff]
    hall_flows.load(core, config=config.model_copy(update={"staff": staff}))
    assert client.get(QUEUE, headers=op).status_code == 403


def test_a_password_reset_forgets_the_cached_account(core: Core, client: TestClient) -> None:
    auth.create_deployment_admin(core, job_no="deploy", name="部署", password=PASSWORD)
    deploy = login(client, "deploy")
    for _ in range(2):
        assert client.get(QUEUE, headers=deploy).status_code == 200
    assert cached(core, deploy)
    auth.create_deployment_admin(core, job_no="deploy", name="部署", password=PASSWORD + "2")
    assert not cached(core, deploy)


def test_a_reparented_hall_is_decided_at_once(core: Core, client: TestClient) -> None:
    hall_flows.load(core, config=hall_config(
        hall={"code": "city", "name": "市中心", "level": "city"},
        staff=[{"job_no": "cityop", "name": "市值班长", "roles": ["operator"],
                "password": PASSWORD}]))
    h1 = hall_config()
    hall_flows.load(core, config=h1.model_copy(
        update={"hall": h1.hall.model_copy(update={"parent": "city"})}))
    cityop = login(client, "cityop")
    for _ in range(2):
        assert client.get(QUEUE, headers=cityop).status_code == 200
    assert core.access.hall("h1") is not None
    hall_flows.load(core, config=h1)  # h1 no longer below the city
    assert client.get(QUEUE, headers=cityop).status_code == 403


def test_every_entry_lives_at_most_its_ttl() -> None:
    now = [100.0]
    cache = AccessCache(ttl_s=10, monotonic=lambda: now[0])
    entry = HallEntry(id=1, code="h1", name="h", parent_id=None, chain=(1,))
    cache.put_hall(cache.generation, entry)
    now[0] += 9.9
    assert cache.hall("h1") == entry
    now[0] += 0.2
    assert cache.hall("h1") is None
    # A read begun before a clear is not kept (it may hold what the clear removed).
    generation = cache.generation
    cache.clear()
    cache.put_hall(generation, entry)
    assert cache.hall("h1") is None


def test_a_bus_that_may_have_lost_news_clears_the_cache() -> None:
    cache = AccessCache()
    entry = HallEntry(id=1, code="h1", name="h", parent_id=None, chain=(1,))
    cache.put_hall(cache.generation, entry)
    cache.on_event("h1", {"type": "resync", "renewed": False})  # first followed: no loss
    assert cache.hall("h1") == entry
    for hall, event in (("h1", {"type": "resync", "renewed": True}),
                        ("*", {"type": "resync"}), ("h2", {"type": "access"})):
        cache.put_hall(cache.generation, entry)
        cache.on_event(hall, event)
        assert cache.hall("h1") is None, (hall, event)


def test_a_process_that_missed_the_news_forgets_within_the_ttl(
        tmp_path: Path, clock: ManualClock) -> None:
    url = f"sqlite:///{tmp_path / 'hallq.db'}"
    one = make_core(url, clock)
    hall_flows.load(one, config=hall_config())
    other = make_core(url, clock)  # another process, no shared bus
    now = [0.0]
    one.access = AccessCache(monotonic=lambda: now[0])
    _, token = auth.register_device(one, hall="h1", name="k-1", kind="kiosk")
    grants = ("kiosk",)
    assert access.authorize(one, hall="h1", token=token, grants=grants).actor is not None
    auth.revoke_device(other, hall="h1", name="k-1")
    # Within the time to live the first process still answers from its cache…
    assert access.authorize_cached(one, hall="h1", token=token, grants=grants) is not None
    now[0] += one.access.ttl_s + 0.1
    # …and once it has passed, asks the database.
    assert access.authorize_cached(one, hall="h1", token=token, grants=grants) is None
    with pytest.raises(Unauthorized):
        access.authorize(one, hall="h1", token=token, grants=grants)
    one.db.dispose()
    other.db.dispose()


@pytest.fixture
def two_cores(tmp_path: Path, clock: ManualClock) -> Iterator[tuple[Core, Core]]:
    """Two core processes on one database, following each other over Redis."""
    url, prefix = f"sqlite:///{tmp_path / 'hallq.db'}", f"t{uuid.uuid4().hex[:10]}"
    loop = LoopThread()
    cores = []
    for _ in range(2):
        bus = RedisBus(redis_url(), prefix=prefix)
        cores.append(build_core(Settings(database_url=url, pepper="test-pepper",
                                         redis_url=redis_url()), clock=clock, bus=bus))
        loop.run(bus.start())
    hall_flows.load(cores[0], config=hall_config())
    yield cores[0], cores[1]
    for core in cores:
        loop.run(core.bus.stop())
        core.bus.close()
        core.db.dispose()
    loop.close()


def test_a_revoke_in_another_process_is_refused_at_once(two_cores: tuple[Core, Core]) -> None:
    one, other = two_cores
    _, token = auth.register_device(one, hall="h1", name="k-1", kind="kiosk")
    actor = access.authorize(one, hall="h1", token=token, grants=("kiosk",)).principal
    tickets.issue(one, hall="h1", service="SB01", actor=actor)  # process one follows h1
    assert access.authorize_cached(one, hall="h1", token=token, grants=("kiosk",)) is not None
    generation = one.access.generation
    auth.revoke_device(other, hall="h1", name="k-1")
    # The other process's `access` event arrives over Redis (waited for, not timed).
    arrived = threading.Event()
    for _ in range(600):
        if one.access.generation != generation:
            arrived.set()
            break
        arrived.wait(0.05)
    assert arrived.is_set(), "the access event did not arrive over Redis"
    assert access.authorize_cached(one, hall="h1", token=token, grants=("kiosk",)) is None
    with pytest.raises(Unauthorized):
        access.authorize(one, hall="h1", token=token, grants=("kiosk",))
