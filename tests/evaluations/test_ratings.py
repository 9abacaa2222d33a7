"""One rating per service (一次一评), stored against ticket, window, staff and service."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from server.core import Core
from server.errors import Conflict
from server.evaluations import service as evaluations
from server.evaluations.schemas import RatingCreate
from tests.conftest import login

H = "/api/v1/halls/h1"


def served_ticket(client: TestClient, *, finish: bool = True) -> str:
    return served(client, finish=finish)["id"]


def served(client: TestClient, *, finish: bool = True) -> dict[str, str]:
    """A ticket issued at the desk, called and (by default) finished at window 2."""
    staff = login(client, "s2")
    r = client.post(f"{H}/tickets", json={"service": "SB01"}, headers=staff)
    ticket = r.json()
    client.post(f"{H}/windows/2/sign-in", json={"post": "A"}, headers=staff)
    client.post(f"{H}/windows/2/call-next", headers=staff)
    if finish:
        client.post(f"{H}/windows/2/finish", json={"outcome": "completed"}, headers=staff)
    return {"id": str(ticket["id"]), "key": str(ticket["rating_key"])}


def test_web_rating_once_per_service(client: TestClient) -> None:
    ticket = served(client)
    tid, key = ticket["id"], ticket["key"]
    r = client.post(f"/api/v1/tickets/{tid}/rating",
                    json={"level": 2, "reasons": ["1"], "key": key})
    assert r.status_code == 201, r.text
    body = r.json()
    assert body["bad"] is True and body["window"] == "2" and body["staff_no"] == "s2"
    assert body["service"] == "SB01" and body["channel"] == "web"
    again = client.post(f"/api/v1/tickets/{tid}/rating", json={"level": 5, "key": key})
    assert again.status_code == 409 and again.json()["code"] == "already_rated"


def test_rating_refused_before_service_and_for_bad_input(client: TestClient) -> None:
    staff = login(client, "s1")
    ticket = client.post(f"{H}/tickets", json={"service": "SB01"}, headers=staff).json()
    tid, key = ticket["id"], ticket["rating_key"]
    r = client.post(f"/api/v1/tickets/{tid}/rating", json={"level": 5, "key": key})
    assert r.status_code == 409 and r.json()["code"] == "not_served"
    assert client.post(f"/api/v1/tickets/{tid}/rating",
                       json={"level": 6, "key": key}).status_code == 422
    assert client.post("/api/v1/tickets/nope/rating",
                       json={"level": 5, "key": key}).status_code == 404


def test_agent_delivery_is_idempotent_by_uid(client: TestClient, core: Core) -> None:
    tid = served_ticket(client)
    first = evaluations.record(core, ticket_id=tid, rating=RatingCreate(level=5),
                               channel="evaluator", uid="agent-1-0001")
    again = evaluations.record(core, ticket_id=tid, rating=RatingCreate(level=5),
                               channel="evaluator", uid="agent-1-0001")
    assert first.created and not again.created
    assert again.evaluation == first.evaluation
    with pytest.raises(Conflict):
        evaluations.record(core, ticket_id=tid, rating=RatingCreate(level=1),
                           channel="evaluator", uid="agent-1-0002")
