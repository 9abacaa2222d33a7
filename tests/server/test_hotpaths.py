"""The hot routes' plain case answered before FastAPI (`server.hotpaths`): the same
answers as the routes, and everything else left to the routes."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient
from starlette.requests import Request

from server import hotpaths
from server.auth import service as auth
from server.core import Core
from tests.conftest import login
from tests.server.test_access_matrix import _grants as _dependency_grants

H = "/api/v1/halls/h1"


@pytest.fixture
def taken(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[str]]:
    """The paths the hot path answered itself."""
    seen: list[str] = []
    run = hotpaths.HotPaths._run

    async def spy(self: hotpaths.HotPaths, flow: Any) -> Any:
        seen.append(flow.func.__name__)
        return await run(self, flow)

    monkeypatch.setattr(hotpaths.HotPaths, "_run", spy)
    yield seen


@pytest.fixture
def kiosk(core: Core) -> dict[str, str]:
    _, token = auth.register_device(core, hall="h1", name="kiosk-a", kind="kiosk")
    return {"Authorization": f"Bearer {token}"}


def _grants(client: TestClient, path: str) -> frozenset[str]:
    """The grants of the POST route's access dependency (`tests.server.test_access_matrix`
    walks the routes the same way)."""
    for route in client.app.routes:  # type: ignore[attr-defined]
        contexts = (route.effective_route_contexts()
                    if hasattr(route, "effective_route_contexts") else [])
        for ctx in contexts:
            if (ctx.path_format or ctx.path) == path and "POST" in (ctx.methods or ()):
                [grants] = _dependency_grants(ctx.dependant or ctx.original_route.dependant)
                return frozenset(grants)
    raise AssertionError(f"no route POST {path}")


def test_the_grants_are_the_routes(client: TestClient) -> None:
    assert _grants(client, "/api/v1/halls/{hall}/tickets") == set(hotpaths.ISSUE_GRANTS)
    for action in ("call-next", "recall", "no-show", "start"):
        path = f"/api/v1/halls/{{hall}}/windows/{{window}}/{action}"
        assert _grants(client, path) == set(hotpaths.COUNTER_GRANTS), action


def test_issue_is_answered_by_the_hot_path_as_by_the_route(
        client: TestClient, kiosk: dict[str, str], taken: list[str]) -> None:
    client.post(f"{H}/tickets", json={"service": "SB01"}, headers=kiosk)  # caches the token
    taken.clear()
    r = client.post(f"{H}/tickets", json={"service": "SB01", "priority": "green",
                                          "green_reason": "elderly"}, headers=kiosk)
    assert taken == ["issue_answer"]
    assert r.status_code == 201 and r.headers["content-type"] == "application/json"
    body = r.json()
    assert body["number"] == "A002" and body["priority"] == "green" and body["rating_key"]
    assert r.headers["X-Print-Job"] and r.headers["X-Print-State"] == "failed"  # no printer
    # Answered outside FastAPI's middleware, with the same security headers as any route.
    route = client.get(f"/api/v1/tickets/{body['id']}")
    assert route.json()["number"] == "A002"
    security = ("content-security-policy", "x-content-type-options", "x-frame-options",
                "referrer-policy", "cross-origin-opener-policy", "permissions-policy")
    assert {h: r.headers.get(h) for h in security} == {
        h: route.headers.get(h) for h in security}
    assert r.headers["content-security-policy"].startswith("default-src 'self'")
    assert r.headers.get_list("x-frame-options") == ["DENY"]  # once, not twice


def test_a_refusal_of_the_flow_is_answered_as_the_route_does(
        client: TestClient, kiosk: dict[str, str], taken: list[str]) -> None:
    client.post(f"{H}/tickets", json={"service": "SB01"}, headers=kiosk)
    taken.clear()
    r = client.post(f"{H}/tickets", json={"service": "NOPE"}, headers=kiosk)
    assert taken == ["issue_answer"]
    assert r.status_code == 404 and r.json() == {"detail": "no service 'NOPE'",
                                                 "code": "unknown_service"}


@pytest.mark.parametrize(("body", "headers", "status"), [
    (b'{"service": ""}', {"content-type": "application/json"}, 422),  # invalid field
    (b'{"service": "SB01"', {"content-type": "application/json"}, 422),  # broken JSON
    (b"service=SB01", {"content-type": "application/x-www-form-urlencoded"}, 422),
    (b'{"service": "SB01", "note": "' + b"x" * 70_000 + b'"}',
     {"content-type": "application/json"}, 201),  # larger than a hot body: the route
])
def test_what_the_hot_path_does_not_take_the_route_answers(
        client: TestClient, kiosk: dict[str, str], taken: list[str], body: bytes,
        headers: dict[str, str], status: int) -> None:
    client.post(f"{H}/tickets", json={"service": "SB01"}, headers=kiosk)
    taken.clear()
    r = client.post(f"{H}/tickets", content=body, headers={**kiosk, **headers})
    assert taken == []
    assert r.status_code == status, r.text
    if status == 422:
        assert r.json()["code"] == "invalid"


def test_callers_not_admitted_from_the_cache_go_to_the_route(
        client: TestClient, kiosk: dict[str, str], taken: list[str]) -> None:
    assert client.post(f"{H}/tickets", json={"service": "SB01"}).status_code == 401
    r = client.post(f"{H}/tickets", json={"service": "SB01"},
                    headers={"Authorization": "Bearer not-a-token"})
    assert r.status_code == 401 and r.headers["www-authenticate"] == "Bearer"
    r = client.post("/api/v1/halls/nope/tickets", json={"service": "SB01"}, headers=kiosk)
    assert r.status_code == 404
    assert taken == []


def test_the_counter_buttons(client: TestClient, kiosk: dict[str, str],
                             taken: list[str]) -> None:
    s1, s2 = login(client, "s1"), login(client, "s2")
    client.post(f"{H}/tickets", json={"service": "SB01"}, headers=kiosk)
    assert client.post(f"{H}/windows/1/sign-in", json={"post": "A"},
                       headers=s1).status_code == 200
    taken.clear()
    r = client.post(f"{H}/windows/1/call-next", headers=s1)
    assert r.status_code == 200 and r.json()["ticket"]["number"] == "A001"
    assert r.json()["window"]["number"] == "1"
    # Not the window's staff: admitted to the hall, refused by the flow (403), as the route.
    assert client.post(f"{H}/windows/1/recall", headers=s2).status_code == 403
    assert client.post(f"{H}/windows/1/recall", headers=s1).json()["ticket"]["recalls"] == 1
    assert client.post(f"{H}/windows/1/start", headers=s1).json()["ticket"]["status"] == (
        "serving")
    assert client.post(f"{H}/windows/1/no-show", headers=s1).status_code == 409
    r = client.post(f"{H}/windows/1/call-next", json={"confirm_no_show": True}, headers=s1)
    assert r.status_code == 409 and r.json()["code"] == "ticket_in_hand"
    # All but s2's recall: the first use of a token goes through the route (and caches it).
    assert taken == ["button_answer"] * 5
    # An optional body that does not validate goes to the route (422 there).
    r = client.post(f"{H}/windows/1/call-next", json={"confirm_no_show": "perhaps"},
                    headers=s1)
    assert r.status_code == 422 and len(taken) == 5


@pytest.mark.parametrize("scope", [
    {"scheme": "http", "server": ("10.0.0.5", 8000), "root_path": "", "headers": [
        (b"host", b"hall.example.cn:8443")]},
    {"scheme": "https", "server": ("10.0.0.5", 443), "root_path": "/hallq", "headers": []},
    {"scheme": "http", "server": ("::1", 80), "root_path": "", "headers": [(b"host", b"")]},
    {"scheme": "http", "server": ("10.0.0.5", 8000), "root_path": "/a",
     "app_root_path": "/b", "headers": [(b"host", b"x")]},
])
def test_the_kept_base_url_is_starlettes(scope: dict[str, Any]) -> None:
    full = {"type": "http", "path": "/api/v1/halls/h1/tickets", "query_string": b"q=1",
            **scope}
    expected = str(Request(full).base_url)
    assert hotpaths._base_url(full) == expected
    assert hotpaths._base_url(dict(full)) == expected  # kept, and still right
