"""The rating credential: only the ticket's holder (its rating key) or the hall's own agent
may rate a service; the ticket id alone (a counter, a screen) is not enough."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient
from websockets.asyncio.client import connect

from server.app import create_app
from server.auth import service as auth
from server.auth.security import rating_key, rating_key_ok
from server.core import Core
from server.halls import flows as hall_flows
from tests.conftest import login
from tests.events.live import serve_in_thread
from tests.factories import hall_config

H = "/api/v1/halls/h1"


def served(client: TestClient) -> dict[str, str]:
    """A ticket issued at the desk, called and finished at window 2: the issue answer."""
    staff = login(client, "s2")
    ticket: dict[str, str] = client.post(f"{H}/tickets", json={"service": "SB01"},
                                         headers=staff).json()
    client.post(f"{H}/windows/2/sign-in", json={"post": "A"}, headers=staff)
    assert client.post(f"{H}/windows/2/call-next", headers=staff).status_code == 200
    client.post(f"{H}/windows/2/finish", json={"outcome": "completed"}, headers=staff)
    return ticket


def test_a_rating_needs_the_key_and_counts_once(client: TestClient) -> None:
    ticket = served(client)
    url = f"/api/v1/tickets/{ticket['id']}/rating"
    missing = client.post(url, json={"level": 1})
    assert missing.status_code == 403 and missing.json()["code"] == "rating_key"
    wrong = client.post(url, json={"level": 1, "key": rating_key("other", "pepper-x" * 3)})
    assert wrong.status_code == 403 and wrong.json()["code"] == "rating_key"
    odd = client.post(url, content=json.dumps({"level": 1, "key": "\ud800密钥"}),
                      headers={"Content-Type": "application/json"})
    assert odd.status_code == 422  # a lone surrogate is refused before it is judged
    right = client.post(url, json={"level": 4, "key": ticket["rating_key"]})
    assert right.status_code == 201 and right.json()["level"] == 4
    again = client.post(url, json={"level": 1, "key": ticket["rating_key"]})
    assert again.status_code == 409 and again.json()["code"] == "already_rated"
    desk = client.get(f"{H}/windows/2/desk", headers=login(client, "s2")).json()
    assert desk["today"]["ratings"] == {"count": 1, "average": 4, "bad": 0}


def test_staff_and_a_screen_holding_the_id_cannot_rate(client: TestClient, core: Core) -> None:
    ticket = served(client)
    url = f"/api/v1/tickets/{ticket['id']}/rating"
    for job_no in ("s2", "op", "root"):
        r = client.post(url, json={"level": 1}, headers=login(client, job_no))
        assert r.status_code == 403 and r.json()["code"] == "rating_key", job_no
    screen = auth.register_device(core, hall="h1", name="screen-9", kind="screen")[1]
    r = client.post(url, json={"level": 1}, headers={"Authorization": f"Bearer {screen}"})
    assert r.status_code == 403 and r.json()["code"] == "rating_key"
    # Whoever reads the ticket by its id never sees the key.
    read = client.get(f"/api/v1/tickets/{ticket['id']}")
    assert read.status_code == 200 and "rating_key" not in read.json()
    assert ticket["rating_key"] not in read.text
    assert client.post(url, json={"level": 5, "key": ticket["rating_key"]}).status_code == 201


def test_the_key_is_the_holders_alone(client: TestClient, core: Core) -> None:
    first, second = served(client), served(client)
    assert first["rating_key"] != second["rating_key"]
    assert rating_key_ok(first["id"], first["rating_key"], core.settings.pepper)
    assert not rating_key_ok(second["id"], first["rating_key"], core.settings.pepper)
    assert not rating_key_ok(first["id"], None, core.settings.pepper)
    r = client.post(f"/api/v1/tickets/{second['id']}/rating",
                    json={"level": 5, "key": first["rating_key"]})
    assert r.status_code == 403 and r.json()["code"] == "rating_key"


def test_kiosk_and_phone_answers_carry_the_key_in_their_address(
        client: TestClient, core: Core) -> None:
    kiosk = auth.register_device(core, hall="h1", name="kiosk-9", kind="kiosk")[1]
    r = client.post(f"{H}/kiosk/tickets", json={"service": "SB01"},
                    headers={"Authorization": f"Bearer {kiosk}"})
    assert r.status_code == 201, r.text
    body = r.json()
    tid = body["ticket"]["id"]
    assert body["rating_key"] == rating_key(tid, core.settings.pepper)
    assert body["url"] == f"http://testserver/t/{tid}?k={body['rating_key']}"
    assert "rating_key" not in body["ticket"]
    # The kiosk's on-screen QR code carries the key only when asked with the right one.
    plain = client.get(f"/api/v1/tickets/{tid}/qr.svg")
    keyed = client.get(f"/api/v1/tickets/{tid}/qr.svg", params={"k": body["rating_key"]})
    assert plain.status_code == keyed.status_code == 200 and plain.text != keyed.text
    bad = client.get(f"/api/v1/tickets/{tid}/qr.svg", params={"k": "guess"})
    assert bad.status_code == 403 and bad.json()["code"] == "rating_key"


@pytest.fixture
def two_halls(core: Core) -> Iterator[str]:
    hall_flows.load(core, config=hall_config(
        hall={"code": "h2", "name": "邻县中心", "level": "county"}, staff=[]))
    auth.register_device(core, hall="h1", name="agent-1", kind="agent", token="agent-h1-token")
    auth.register_device(core, hall="h2", name="agent-1", kind="agent", token="agent-h2-token")
    with serve_in_thread(create_app(core)) as url:
        yield url


async def _rate_through(url: str, hall: str, token: str, uid: str,
                        ticket_id: str) -> dict[str, object]:
    ws_url = url.replace("http", "ws") + f"/ws/halls/{hall}/agent?name=agent-1"
    async with connect(ws_url, additional_headers={"Authorization": f"Bearer {token}"}) as ws:
        await ws.send(json.dumps({"type": "rating", "uid": uid, "ticket_id": ticket_id,
                                  "level": 1, "reasons": ["1"]}))
        ack: dict[str, object] = json.loads(await asyncio.wait_for(ws.recv(), 10))
        return ack


def test_an_agent_rates_only_the_tickets_of_its_own_hall(
        two_halls: str, client: TestClient) -> None:
    ticket = served(client)
    other = asyncio.run(_rate_through(two_halls, "h2", "agent-h2-token", "h2-1", ticket["id"]))
    assert other == {"type": "rating_ack", "uid": "h2-1", "ok": False,
                     "error": "unknown_ticket"}
    own = asyncio.run(_rate_through(two_halls, "h1", "agent-h1-token", "h1-1", ticket["id"]))
    assert own == {"type": "rating_ack", "uid": "h1-1", "ok": True, "error": None}
    # The other hall's agent replaying the stored delivery's uid learns nothing either.
    replay = asyncio.run(_rate_through(two_halls, "h2", "agent-h2-token", "h1-1",
                                       ticket["id"]))
    assert replay["ok"] is False
    r = client.post(f"/api/v1/tickets/{ticket['id']}/rating",
                    json={"level": 5, "key": ticket["rating_key"]})
    assert r.status_code == 409 and r.json()["code"] == "already_rated"


def test_an_evaluator_rates_only_at_its_own_windows(
        two_halls: str, core: Core, client: TestClient) -> None:
    """Window 2's ticket: the agent whose evaluator serves window 1 cannot rate it."""
    auth.register_device(core, hall="h1", name="agent-2", kind="agent", token="agent-h1-b")
    ticket = served(client)

    async def rate(name: str, token: str, windows: list[str], uid: str) -> dict[str, object]:
        ws_url = two_halls.replace("http", "ws") + f"/ws/halls/h1/agent?name={name}"
        async with connect(ws_url,
                           additional_headers={"Authorization": f"Bearer {token}"}) as ws:
            await ws.send(json.dumps({"type": "hello", "windows": windows,
                                      "devices": [{"kind": "evaluator"}]}))
            await ws.send(json.dumps({"type": "rating", "uid": uid, "ticket_id": ticket["id"],
                                      "level": 1, "reasons": ["1"]}))
            while True:
                message: dict[str, object] = json.loads(await asyncio.wait_for(ws.recv(), 10))
                if message.get("type") == "rating_ack":
                    return message

    beside = asyncio.run(rate("agent-2", "agent-h1-b", ["1"], "b-1"))
    assert beside == {"type": "rating_ack", "uid": "b-1", "ok": False, "error": "unknown_ticket"}
    own = asyncio.run(rate("agent-1", "agent-h1-token", ["2"], "a-1"))
    assert own == {"type": "rating_ack", "uid": "a-1", "ok": True, "error": None}
