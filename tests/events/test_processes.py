"""Real `hallq serve` processes: a screen survives a core restart; two cores share events
over Redis and PostgreSQL."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import httpx
import pytest
from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed

from server.app import build_core
from server.settings import Settings
from tests.conftest import redis_url
from tests.events.live import SCREEN_TOKEN, ServerProcess, all_day_hall, next_message, ws_url
from tests.factories import PASSWORD


def _prepare(database: str) -> None:
    core = build_core(Settings(database_url=database, pepper="test-pepper-not-secret"))
    try:
        all_day_hall(core)
    finally:
        core.db.dispose()


def _staff(base: str, job_no: str, window: str) -> dict[str, str]:
    r = httpx.post(f"{base}/api/v1/auth/token", data={"username": job_no, "password": PASSWORD})
    headers = {"Authorization": f"Bearer {r.json()['access_token']}"}
    r = httpx.post(f"{base}/api/v1/halls/h1/windows/{window}/sign-in", json={"post": "A"},
                   headers=headers)
    assert r.status_code == 200, r.text
    return headers


def _issue(base: str, headers: dict[str, str], service: str = "SB01") -> None:
    r = httpx.post(f"{base}/api/v1/halls/h1/tickets", json={"service": service},
                   headers=headers)
    assert r.status_code == 201, r.text


def _call(base: str, headers: dict[str, str], window: str) -> dict[str, Any]:
    # Calling on past a called ticket is a confirmed 过号 (call-next asks since the 1st F1).
    r = httpx.post(f"{base}/api/v1/halls/h1/windows/{window}/call-next", headers=headers,
                   json={"confirm_no_show": True})
    assert r.status_code == 200, r.text
    ticket: dict[str, Any] = r.json()["ticket"]
    return ticket


async def _reconnect(url: str, timeout: float = 30) -> ClientConnection:
    """Connect, retrying while the server is down, as a screen does."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while True:
        try:
            return await connect(url)
        except OSError:
            if loop.time() > deadline:
                raise
            await asyncio.sleep(0.2)


async def test_screen_gets_a_fresh_snapshot_after_the_core_restarts(tmp_path: Path) -> None:
    database = f"sqlite:///{tmp_path / 'hall.db'}"
    await asyncio.to_thread(_prepare, database)
    server = await asyncio.to_thread(ServerProcess(database).start)
    url = ws_url(server.url, f"/ws/halls/h1/display?token={SCREEN_TOKEN}&window=2")
    try:
        staff = await asyncio.to_thread(_staff, server.url, "s1", "2")
        for _ in range(2):
            await asyncio.to_thread(_issue, server.url, staff)
        ws = await _reconnect(url)
        await next_message(ws, "snapshot")
        await asyncio.to_thread(_call, server.url, staff, "2")
        assert (await next_message(ws, "call"))["ticket"] == "A001"

        await asyncio.to_thread(server.stop)
        with pytest.raises(ConnectionClosed):
            while True:
                await asyncio.wait_for(ws.recv(), 10)
        await asyncio.to_thread(server.start)

        ws = await _reconnect(url)
        snap = await next_message(ws, "snapshot")
        assert snap["windows"][0]["ticket"] == "A001"
        assert [c["ticket"] for c in snap["calls"]] == ["A001"]
        # Tokens live in the database: the staff's session survived the restart too.
        await asyncio.to_thread(_call, server.url, staff, "2")
        call = await next_message(ws, "call")
        assert call["ticket"] == "A002" and call["seq"] > snap["seq"]
        await ws.close()
    finally:
        await asyncio.to_thread(server.stop)


@pytest.mark.postgres
@pytest.mark.redis
async def test_call_on_one_process_reaches_a_screen_on_another(pg_url: str) -> None:
    await asyncio.to_thread(_prepare, pg_url)
    env = {"HALLQ_REDIS_URL": redis_url()}
    a = await asyncio.to_thread(ServerProcess(pg_url, env=env).start)
    b = await asyncio.to_thread(ServerProcess(pg_url, env=env).start)
    try:
        staff_a = await asyncio.to_thread(_staff, a.url, "s1", "2")
        staff_b = await asyncio.to_thread(_staff, b.url, "s2", "3")
        await asyncio.to_thread(_issue, a.url, staff_a, "SB01")
        await asyncio.to_thread(_issue, a.url, staff_a, "BDC01")
        token = f"?token={SCREEN_TOKEN}"
        async with connect(ws_url(b.url, f"/ws/halls/h1/display{token}")) as on_b, \
                connect(ws_url(a.url, f"/ws/halls/h1/display{token}")) as on_a, \
                connect(ws_url(b.url, f"/ws/halls/h1/display{token}&window=2")) as two_on_b:
            for ws in (on_a, on_b, two_on_b):
                await next_message(ws, "snapshot")
            await asyncio.to_thread(_call, a.url, staff_a, "2")  # on process A
            assert (await next_message(two_on_b, "call"))["ticket"] == "A001"
            await asyncio.to_thread(_call, b.url, staff_b, "3")  # on process B
            calls_b = [await next_message(on_b, "call") for _ in range(2)]
            calls_a = [await next_message(on_a, "call") for _ in range(2)]
            assert [(c["ticket"], c["window"]) for c in calls_b] == [("A001", "2"), ("C001", "3")]
            # One order and one numbering on both processes.
            assert [c["seq"] for c in calls_a] == [c["seq"] for c in calls_b]
            assert calls_b[0]["seq"] < calls_b[1]["seq"]
        # A screen connecting to B later sees A's call in its snapshot (PostgreSQL).
        async with connect(ws_url(b.url, f"/ws/halls/h1/display{token}")) as late:
            snap = await next_message(late, "snapshot")
            assert {c["ticket"] for c in snap["calls"]} == {"A001", "C001"}
            assert snap["seq"] >= calls_b[1]["seq"]
    finally:
        await asyncio.gather(asyncio.to_thread(a.stop), asyncio.to_thread(b.stop))



@pytest.mark.postgres
@pytest.mark.redis
async def test_workers_share_calls_over_redis(pg_url: str) -> None:
    await asyncio.to_thread(_prepare, pg_url)
    server = ServerProcess(pg_url, env={"HALLQ_REDIS_URL": redis_url()}, workers=2)
    await asyncio.to_thread(server.start)
    try:
        staff = await asyncio.to_thread(_staff, server.url, "s1", "2")
        await asyncio.to_thread(_issue, server.url, staff)
        url = ws_url(server.url, f"/ws/halls/h1/display?token={SCREEN_TOKEN}")
        # Screens land on either worker; every one must hear the call made on one of them.
        screens = [await connect(url) for _ in range(8)]
        for ws in screens:
            await next_message(ws, "snapshot")
        await asyncio.to_thread(_call, server.url, staff, "2")
        calls = [await next_message(ws, "call") for ws in screens]
        assert {(c["ticket"], c["window"], c["seq"]) for c in calls} == {
            ("A001", "2", calls[0]["seq"])}
        for ws in screens:
            await ws.close()
    finally:
        await asyncio.to_thread(server.stop)
