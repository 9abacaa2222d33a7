"""The access matrix: every route and websocket, every kind of caller (issue 10).

Each route has a row naming who may use it. The test walks the app's routes, so a route
added without a row fails here; then it calls every route as every caller and checks the
boundary: those outside the row get 401 (no token) or 403, those inside never do, and no
one gets a 5xx. The hall tree is city ← h1 (the hall under test) ← h2 (a sub-centre), and
city ← h3 (a hall beside h1).
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from fastapi.routing import APIRoute, APIWebSocketRoute
from fastapi.testclient import TestClient
from starlette.routing import Mount, Route
from websockets.exceptions import InvalidStatus
from websockets.sync.client import connect

from server.app import create_app
from server.auth import service as auth
from server.core import Core
from server.halls import flows as hall_flows
from tests.conftest import login
from tests.events.live import serve_in_thread
from tests.factories import PASSWORD, PASSWORD_HASH, hall_config

# Who may use each route. Grants: public (anyone), token (anyone signed in), deploy
# (the deployment administrator), page (an HTML page or its asset: anyone), and the
# hall grants of server.auth.access: staff, operator, admin, kiosk, screen, agent, counter.
MATRIX: dict[tuple[str, str], frozenset[str]] = {}


def row(method: str, path: str, *grants: str) -> None:
    MATRIX[(method, path)] = frozenset(grants)


ISSUER = ("kiosk", "agent", "staff", "operator")
DESK = ("staff", "operator")
row("GET", "/api/v1/health", "public")
row("POST", "/api/v1/auth/token", "public")
row("POST", "/api/v1/auth/badge", "token")
row("GET", "/api/v1/auth/me", "token")
row("POST", "/api/v1/auth/logout", "token")
row("GET", "/api/v1/halls/{hall}/services", "public")
row("GET", "/api/v1/halls/{hall}/queue", "operator")
row("POST", "/api/v1/admin/halls", "deploy")
row("GET", "/api/v1/admin/halls/{hall}/config", "admin")
row("PUT", "/api/v1/admin/halls/{hall}/config", "admin")
row("POST", "/api/v1/admin/halls/{hall}/devices", "admin")
row("GET", "/api/v1/admin/halls/{hall}/devices", "admin")
row("POST", "/api/v1/admin/halls/{hall}/devices/{name}/rotate", "admin")
row("DELETE", "/api/v1/admin/halls/{hall}/devices/{name}", "admin")
row("POST", "/api/v1/halls/{hall}/tickets", *ISSUER)
row("GET", "/api/v1/tickets/{ticket_id}", "public")
row("POST", "/api/v1/halls/{hall}/appointments", "operator")
row("POST", "/api/v1/halls/{hall}/appointments/{code}/check-in", *ISSUER)
row("POST", "/api/v1/halls/{hall}/tickets/requeue", *ISSUER)
row("POST", "/api/v1/halls/{hall}/tickets/{ticket_id}/cancel", *ISSUER)
for button in ("sign-in", "sign-out", "call-next", "call", "recall", "no-show", "start",
               "finish", "transfer", "pause", "resume"):
    row("POST", "/api/v1/halls/{hall}/windows/{window}/" + button, "staff")
for button in ("open", "close"):
    row("POST", "/api/v1/halls/{hall}/windows/{window}/" + button, "operator")
row("GET", "/api/v1/halls/{hall}/counter", "staff")
row("GET", "/api/v1/halls/{hall}/windows/{window}/desk", "staff")
row("POST", "/api/v1/halls/{hall}/windows/{window}/invite-rating", "staff")
row("GET", "/api/v1/halls/{hall}/kiosk", *ISSUER)
row("POST", "/api/v1/halls/{hall}/kiosk/tickets", *ISSUER)
row("POST", "/api/v1/halls/{hall}/kiosk/check-in", *ISSUER)
row("GET", "/api/v1/tickets/{ticket_id}/qr.svg", "public")
row("GET", "/api/v1/halls/{hall}/devices/status", *ISSUER)
row("GET", "/api/v1/halls/{hall}/print-jobs/{job}", *ISSUER)
row("GET", "/api/v1/halls/{hall}/devices/scans", *ISSUER)
row("POST", "/api/v1/halls/{hall}/tickets/{ticket_id}/reprint", *DESK)
# The help desk (综合咨询服务台, issue 12).
row("GET", "/api/v1/halls/{hall}/desk", *DESK)
row("POST", "/api/v1/halls/{hall}/desk/tickets", *DESK)
row("GET", "/api/v1/halls/{hall}/desk/tickets/{number}", *DESK)
row("GET", "/api/v1/halls/{hall}/desk/appointments", *DESK)
row("POST", "/api/v1/halls/{hall}/desk/appointments/{code}/check-in", *DESK)
row("POST", "/api/v1/halls/{hall}/desk/requeue", *DESK)
row("POST", "/api/v1/halls/{hall}/desk/tickets/{ticket_id}/cancel", *DESK)
row("POST", "/api/v1/halls/{hall}/desk/tickets/{ticket_id}/reissue", *DESK)
row("POST", "/api/v1/halls/{hall}/desk/tickets/{ticket_id}/reprint", *DESK)
row("POST", "/api/v1/halls/{hall}/desk/tickets/{ticket_id}/notice/print", *DESK)
row("POST", "/api/v1/halls/{hall}/desk/services/{code}/guide/print", *DESK)
row("POST", "/api/v1/tickets/{ticket_id}/rating", "public")
row("GET", "/api/v1/halls/{hall}/cases", "operator")
row("POST", "/api/v1/halls/{hall}/cases/{case_id}/{step}", "operator")
row("GET", "/api/v1/halls/{hall}/announcement.wav", "public")
row("PUT", "/api/v1/halls/{hall}/scroll-text", "operator")
for path in ("/monitor", "/monitor/alerts", "/reports", "/reports/staff/{job_no}",
             "/monitor/tickets/by-number/{number}"):
    row("GET", "/api/v1/halls/{hall}" + path, "operator")
row("POST", "/api/v1/halls/{hall}/monitor/alerts/{alert_id}/ack", "operator")
row("PUT", "/api/v1/halls/{hall}/monitor/scroll", "operator")
row("PUT", "/api/v1/halls/{hall}/monitor/windows/{window}/services", "operator")
row("POST", "/api/v1/halls/{hall}/monitor/windows/{window}/open", "operator")
row("POST", "/api/v1/halls/{hall}/monitor/windows/{window}/close", "operator")
row("POST", "/api/v1/halls/{hall}/monitor/tickets/{ticket_id}/cancel", "operator")
row("POST", "/api/v1/halls/{hall}/monitor/tickets/{ticket_id}/reissue", "operator")
row("GET", "/metrics", "public")
# Appointments (预约): citizens book with their code and ID or phone; the hall's side is staff's.
row("GET", "/api/v1/halls/{hall}/appointments/slots", "public")
for path in ("", "/lookup", "/mine", "/{code}/cancel", "/{code}/reschedule"):
    row("POST", "/api/v1/halls/{hall}/bookings" + path, "public")
row("GET", "/api/v1/halls/{hall}/appointments", *ISSUER)
row("GET", "/api/v1/halls/{hall}/appointments/{code}", *ISSUER)
row("POST", "/api/v1/halls/{hall}/appointments/{code}/cancel", *ISSUER)
row("POST", "/api/v1/halls/{hall}/appointments/{code}/reschedule", *ISSUER)
row("POST", "/api/v1/halls/{hall}/appointments/platform", "operator")
# 线上取号: a citizen's phone holds no account; the hall's rules protect the queue.
row("GET", "/api/v1/halls/{hall}/phone", "public")
row("GET", "/api/v1/halls/{hall}/phone/qr.svg", "public")
row("POST", "/api/v1/halls/{hall}/phone/tickets", "public")
row("GET", "/api/v1/halls/{hall}/integrations", "operator")
row("POST", "/api/v1/halls/{hall}/integrations/evaluation-upload/retry", "operator")
row("GET", "/api/v1/halls/{hall}/appointments/offer", "public")
# The hall chooser and a hall's page list (names and addresses a hall's IT person sets up).
row("GET", "/api/v1/halls", "public")
row("GET", "/api/v1/halls/{hall}/directory", "public")
# ID-card reads: the kiosk or the help desk of the hall whose reader read the card.
row("GET", "/api/v1/halls/{hall}/id-cards", *ISSUER)
row("POST", "/api/v1/halls/{hall}/id-cards/ticket", *ISSUER)
# 差评 cases, presence (去向牌), AB posts, the audit trail.
row("GET", "/api/v1/review-reasons", "public")
for step in ("appeal", "appeal/approve", "appeal/refuse"):
    row("POST", "/api/v1/halls/{hall}/cases/{case_id}/" + step, "operator")
row("GET", "/api/v1/halls/{hall}/presence", "operator")
row("PUT", "/api/v1/halls/{hall}/presence/me", "staff")
row("PUT", "/api/v1/halls/{hall}/staff/{job_no}/presence", "operator")
row("POST", "/api/v1/halls/{hall}/windows/{window}/post-override", "operator")
row("GET", "/api/v1/halls/{hall}/audit", "operator")
row("GET", "/api/v1/halls/{hall}/audit/tickets/{ticket}", "operator")
row("WS", "/ws/halls/{hall}/display", "screen", "kiosk", "agent", "counter", "staff",
    "operator")
row("WS", "/ws/halls/{hall}/counter", "counter", "staff", "operator")
row("WS", "/ws/halls/{hall}/monitor", "operator")
row("WS", "/ws/halls/{hall}/agent", "agent")
row("WS", "/ws/tickets/{ticket_id}", "public")
# Pages and their assets: the page itself asks for a token where it needs one.
PAGE_PATHS = ("/kiosk/{hall}", "/p/{hall}", "/counter/{hall}", "/desk/{hall}", "/t/{ticket_id}",
              "/t/{ticket_id}/rate",
             "/terminals/static/{name}", "/display/{hall}", "/display/{hall}/window/{number}",
             "/monitor/{hall}", "/monitor/{hall}/reports", "/monitor/{hall}/cases",
             "/monitor/{hall}/audit", "/monitor/{hall}/presence", "/book/{hall}", "/halls/{hall}",
             "/monitor/_static/echarts.min.js", "/monitor/_static/{name}", "/openapi.json",
             "/docs", "/docs/oauth2-redirect", "/redoc", "/", "/static/vendor/{name}",
              "/static/{name}")
for path in PAGE_PATHS:
    row("GET", path, "page")
MOUNTS = {"/display/_static"}

# Callers: name → (kind, hall, roles). Persons log in with a password; devices get a token.
PEOPLE = {
    "staff@h1": ("s1", ("staff",)), "operator@h1": ("op", ("operator",)),
    "admin@h1": ("root", ("admin", "operator")),
    "staff@h3": ("s31", ("staff",)), "operator@h3": ("op3", ("operator",)),
    "admin@h3": ("adm3", ("admin",)),
    "operator@city": ("cityop", ("operator",)), "admin@city": ("cityadm", ("admin",)),
    "staff@h2": ("s21", ("staff",)), "operator@h2": ("op2", ("operator",)),
    "admin@h2": ("adm2", ("admin",)),
}
DEVICES = {f"{kind}@{hall}": (hall, kind) for kind in ("kiosk", "screen", "agent", "counter")
           for hall in ("h1", "h3")}
CALLERS = ["anonymous", *PEOPLE, *DEVICES, "deploy"]


def admitted(caller: str, grants: frozenset[str]) -> bool:
    """Who the policy admits to hall h1 with these grants (the expectation, written out)."""
    if grants & {"public", "page"}:
        return True
    if caller == "anonymous":
        return False
    if "token" in grants:
        return True
    if caller == "deploy":
        return bool(grants & {"operator", "admin", "deploy"})
    kind, _, hall = caller.partition("@")
    if caller in DEVICES:
        return hall == "h1" and kind in grants
    in_or_above = hall in ("h1", "city")
    return ((kind in ("staff", "admin") and hall == "h1" and "staff" in grants)
            or (kind in ("operator", "admin") and in_or_above and "operator" in grants)
            or (kind == "admin" and in_or_above and "admin" in grants))


def _person(job_no: str, roles: tuple[str, ...]) -> dict[str, Any]:
    return {"job_no": job_no, "name": job_no, "roles": list(roles),
            "password_hash": PASSWORD_HASH}


@pytest.fixture
def world(core: Core) -> dict[str, str]:
    """The hall tree, its people and devices; returns each caller's token."""
    hall_flows.load(core, config=hall_config(
        hall={"code": "city", "name": "市政务服务中心", "level": "city"},
        staff=[_person("cityop", ("operator",)), _person("cityadm", ("admin",))]))
    h1 = hall_config()
    hall_flows.load(core, config=h1.model_copy(
        update={"hall": h1.hall.model_copy(update={"parent": "city"})}))
    hall_flows.load(core, config=hall_config(
        hall={"code": "h2", "name": "社保分中心", "level": "county", "parent": "h1"},
        staff=[_person("s21", ("staff",)), _person("op2", ("operator",)),
               _person("adm2", ("admin",))]))
    hall_flows.load(core, config=hall_config(
        hall={"code": "h3", "name": "邻县中心", "level": "county", "parent": "city"},
        staff=[_person("s31", ("staff",)), _person("op3", ("operator",)),
               _person("adm3", ("admin",))]))
    auth.create_deployment_admin(core, job_no="deploy", name="部署管理员", password=PASSWORD)
    tokens: dict[str, str] = {}
    for name, (hall, kind) in DEVICES.items():
        tokens[name] = auth.register_device(core, hall=hall, name=f"{kind}-x", kind=kind)[1]
    return tokens


def routes(app: FastAPI) -> Iterator[tuple[str, str]]:
    """(method, path) of every route, websocket ('WS') and mount of the app."""
    for route in app.routes:
        if isinstance(route, APIRoute | Route) and not isinstance(route, Mount):
            for method in sorted((route.methods or set()) - {"HEAD"}):
                yield method, route.path
        elif isinstance(route, APIWebSocketRoute):
            yield "WS", route.path
        elif isinstance(route, Mount):
            yield "MOUNT", route.path
        elif hasattr(route, "effective_route_contexts"):
            for ctx in route.effective_route_contexts():
                if isinstance(ctx.original_route, APIWebSocketRoute):
                    yield "WS", ctx.path_format or ctx.original_route.path
                else:
                    for method in sorted(set(ctx.methods or ()) - {"HEAD"}):
                        yield method, ctx.path


def _dependants(app: FastAPI) -> Iterator[tuple[str, Any]]:
    """(path, dependant) of every API route and websocket."""
    for route in app.routes:
        if isinstance(route, APIRoute | APIWebSocketRoute):
            yield route.path, route.dependant
        elif hasattr(route, "effective_route_contexts"):
            for ctx in route.effective_route_contexts():
                dependant = ctx.dependant or getattr(ctx.original_route, "dependant", None)
                if dependant is not None:
                    yield ctx.path_format or ctx.original_route.path, dependant


def _grants(dependant: Any) -> list[frozenset[str]]:
    found = []
    for sub in dependant.dependencies:
        if hasattr(sub.call, "grants"):
            found.append(sub.call.grants)
        found.extend(_grants(sub))
    return found


def test_every_hall_route_goes_through_the_one_boundary(client: TestClient) -> None:
    """No router checks access its own way: a route naming a hall uses server.auth.access."""
    own_way = sorted(path for path, dependant in _dependants(client.app)  # type: ignore[arg-type]
                     if "{hall}" in path and path not in PAGE_PATHS
                     and len(_grants(dependant)) != 1)
    assert not own_way, f"routes naming a hall without the one access dependency: {own_way}"


def test_every_route_has_a_row(client: TestClient) -> None:
    found = set(routes(client.app))  # type: ignore[arg-type]
    missing = sorted(r for r in found if r not in MATRIX and r[1] not in MOUNTS)
    assert not missing, f"routes without a row in the access matrix: {missing}"
    stale = sorted(set(MATRIX) - found)
    assert not stale, f"rows for routes that no longer exist: {stale}"


FILL = {"hall": "h1", "window": "1", "ticket_id": "t" * 22, "code": "NOPE", "job": "j1",
        "case_id": "1", "alert_id": "1", "step": "verify", "job_no": "s1", "number": "A001",
        "name": "kiosk.js", "ticket": "A001"}


def _headers(client: TestClient | httpx.Client, caller: str,
             tokens: dict[str, str]) -> dict[str, str]:
    if caller == "anonymous":
        return {}
    if caller in tokens:
        return {"Authorization": f"Bearer {tokens[caller]}"}
    job_no = "deploy" if caller == "deploy" else PEOPLE[caller][0]
    return login(client, job_no)  # type: ignore[arg-type]  # same .post as TestClient


def _verdict(caller: str, method: str, path: str, grants: frozenset[str], got: int,
             code: str | None) -> str | None:
    """What is wrong with this answer, if anything."""
    # A business refusal (403 "not signed in at this window") is not the boundary's.
    by_boundary = got in (401, 403) and code in BOUNDARY_CODES
    if got >= 500:
        return f"{method} {path}: {got}"
    if admitted(caller, grants):
        if by_boundary:
            return f"{method} {path}: refused ({got} {code}) but should be admitted"
    elif not by_boundary or got != (401 if caller == "anonymous" else 403):
        return (f"{method} {path}: {got} {code}, expected "
                f"{401 if caller == 'anonymous' else 403} from the boundary")
    return None


@pytest.mark.parametrize("caller", CALLERS)
def test_matrix(client: TestClient, world: dict[str, str], caller: str) -> None:
    headers = _headers(client, caller, world)
    wrong: list[str] = []
    # Logging out revokes the caller's token: that row goes last.
    for (method, path), grants in sorted(MATRIX.items(), key=lambda r: r[0][1].endswith("/logout")):
        if method == "WS":
            continue  # test_websocket_matrix, on a real server
        answer = client.request(method, path.format(**FILL), headers=headers,
                                json={} if method in ("POST", "PUT") else None)
        verdict = _verdict(caller, method, path, grants, answer.status_code, _code(answer))
        if verdict:
            wrong.append(verdict)
    assert not wrong, f"{caller}:\n" + "\n".join(wrong)


def test_websocket_matrix(core: Core, world: dict[str, str]) -> None:
    """Every websocket as every caller, on a real server: Starlette's test client cancels a
    socket's handler when the test leaves it, which a real server never does."""
    wrong: list[str] = []
    with serve_in_thread(create_app(core)) as base, httpx.Client(base_url=base) as http:
        for caller in CALLERS:
            headers = _headers(http, caller, world)
            for (method, path), grants in sorted(MATRIX.items()):
                if method != "WS":
                    continue
                url = base.replace("http", "ws", 1) + path.format(**FILL)
                got, code = _ws_status(url, headers)
                verdict = _verdict(caller, method, path, grants, got, code)
                if verdict:
                    wrong.append(f"{caller}: {verdict}")
    assert not wrong, "\n".join(wrong)


BOUNDARY_CODES = {"unauthorized", "other_hall", "role"}


def _code(answer: Any) -> str | None:
    try:
        body = answer.json()
    except ValueError:
        return None
    return body.get("code") if isinstance(body, dict) else None


def _ws_status(url: str, headers: dict[str, str]) -> tuple[int, str | None]:
    """The handshake's answer: 101 when it opens, else the refusal's status and code."""
    if "/ws/halls/h1/counter" in url:
        url += "?window=1"
    try:
        with connect(url, additional_headers=headers, open_timeout=10) as ws:
            ws.close()
            return 101, None
    except InvalidStatus as refused:
        try:
            body = json.loads(refused.response.body or b"")
        except ValueError:
            body = None
        code = body.get("code") if isinstance(body, dict) else None
        return refused.response.status_code, code


def test_unknown_hall_is_404_before_any_token(client: TestClient) -> None:
    assert client.get("/api/v1/halls/nope/queue").status_code == 404
    assert client.get("/api/v1/halls/nope/services").status_code == 404


def test_person_in_no_hall_is_powerless(core: Core, client: TestClient) -> None:
    """An account with no hall and no deployment role acts nowhere."""
    from server.auth.models import Staff
    from server.auth.security import hash_password
    with core.db.begin() as db:
        db.add(Staff(job_no="ghost", name="ghost", hall_id=None, roles=["admin", "operator"],
                     password_hash=hash_password(PASSWORD)))
    headers = login(client, "ghost")
    assert client.get("/api/v1/halls/h1/queue", headers=headers).status_code == 403
    assert client.get("/api/v1/admin/halls/h1/config", headers=headers).status_code == 403
