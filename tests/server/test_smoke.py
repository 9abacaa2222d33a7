"""A first walk through the contract: issue, sign in, call, start, finish."""

from fastapi.testclient import TestClient

from tests.conftest import login


def test_ticket_lifecycle_through_http(client: TestClient) -> None:
    staff = login(client, "s1")
    r = client.post("/api/v1/halls/h1/tickets", json={"service": "SB01"}, headers=staff)
    assert r.status_code == 201, r.text
    t = r.json()
    assert t["number"] == "A001" and t["status"] == "waiting" and t["ahead"] == 0
    assert client.post("/api/v1/halls/h1/windows/2/sign-in", json={"post": "A"},
                       headers=staff).status_code == 200
    r = client.post("/api/v1/halls/h1/windows/2/call-next", headers=staff)
    assert r.status_code == 200, r.text
    assert r.json()["ticket"]["number"] == "A001"
    assert r.json()["ticket"]["window"] == "2"
    assert client.post("/api/v1/halls/h1/windows/2/start", headers=staff).status_code == 200
    r = client.post("/api/v1/halls/h1/windows/2/finish", json={"outcome": "completed"},
                    headers=staff)
    assert r.status_code == 200 and r.json()["ticket"]["status"] == "done"
    assert client.get(f"/api/v1/tickets/{t['id']}").json()["status"] == "done"
    assert client.post("/api/v1/halls/h1/windows/2/call-next", headers=staff).status_code == 204
