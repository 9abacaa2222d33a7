"""Every write of the core goes through the one writer (issue 11).

On SQLite a writing transaction (BEGIN IMMEDIATE) run anywhere but on the `hallq-writer`
thread meets the writer's transactions in SQLite's busy handler instead of queueing. An
engine `begin` listener records the thread of every writing BEGIN; the test drives every
writing route of the API (enumerated from the OpenAPI document, so a new route without a
request here fails), every GET, the agent's channel and the background workers' rounds,
and checks that each writing BEGIN ran on the writer.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import event
from websockets.asyncio.client import connect

from server.app import create_app
from server.appointments.platform import BookingPlatformSettings
from server.auth import service as auth
from server.clock import ManualClock
from server.core import Core
from server.db import Database
from server.idcards import flows as idcards
from server.idcards.reads import card_log
from server.monitoring import alerts
from server.tickets import flows as tickets
from server.writer import in_writer
from tests.agents.test_agent_channel import until
from tests.conftest import login
from tests.events.live import serve_in_thread
from tests.factories import PASSWORD, hall_config
from tests.server.test_access_matrix import FILL
from tests.server.test_flows import KIOSK

WRITER = "hallq-writer"
# Writing routes that write nothing to the database, with the reason.
NO_WRITE = {
    ("POST", "/api/v1/halls/{hall}/bookings/lookup"): "reads one booking (POST: the ID "
                                                        "number stays out of the URL)",
    ("POST", "/api/v1/halls/{hall}/windows/{window}/invite-rating"): "publishes an event",
    ("POST", "/api/v1/halls/{hall}/tickets/{ticket_id}/reprint"): "a print job (an event)",
    ("POST", "/api/v1/halls/{hall}/desk/tickets/{ticket_id}/reprint"): "a print job",
    ("POST", "/api/v1/halls/{hall}/desk/tickets/{ticket_id}/notice/print"): "a print job",
    ("POST", "/api/v1/halls/{hall}/desk/services/{code}/guide/print"): "a print job",
}


@dataclass(frozen=True)
class Kept:
    """In a request body: what an earlier step kept under `name` (a ticket's number)."""

    name: str


class Writes:
    """The thread name of every writing BEGIN on an engine since the last `take`."""

    def __init__(self, db: Database) -> None:
        self.threads: list[str] = []
        event.listen(db.engine, "begin", self._begin)

    def _begin(self, conn: Any) -> None:
        if not conn.get_execution_options().get("hallq_read", False):
            self.threads.append(threading.current_thread().name)

    def take(self) -> list[str]:
        out, self.threads = self.threads, []
        return out


@pytest.fixture
def writes(core: Core) -> Writes:
    return Writes(core.db)


@pytest.fixture
def api(core: Core, writes: Writes) -> Iterator[TestClient]:
    app = create_app(core, booking_platform=BookingPlatformSettings(mode="push"))
    with TestClient(app) as c:
        yield c


Step = tuple[str, str, Callable[[], Any]]


def _steps(core: Core, api: TestClient, clock: ManualClock, writes: Writes) -> list[Step]:
    """(method, route, request) for every writing route, in an order that builds the state
    the later ones need."""
    auth.create_deployment_admin(core, job_no="deploy", name="部署管理员", password=PASSWORD)
    kiosk_token = auth.register_device(core, hall="h1", name="kiosk-1", kind="kiosk")[1]
    kiosk = {"Authorization": "Bearer " + kiosk_token}
    counter = {"Authorization": "Bearer " + auth.register_device(
        core, hall="h1", name="counter-1", kind="counter")[1]}
    root, s1, deploy = login(api, "root"), login(api, "s1"), login(api, "deploy")
    state: dict[str, Any] = {}
    h, w = "/api/v1/halls/h1", "/api/v1/halls/h1/windows/1"
    slot = (clock.now() + timedelta(days=1)).replace(hour=9, minute=0).isoformat()

    def post(path: str, headers: dict[str, str] | None = None, json: Any = None,
             keep: str | None = None, method: str = "POST") -> Callable[[], Any]:
        def send() -> Any:
            answer = api.request(method, path.format(**state), headers=headers,
                                 json=_filled(json, state))
            assert answer.status_code < 500, (path, answer.status_code, answer.text)
            if keep:
                state[keep] = answer.json()
            return answer
        return send

    def put(path: str, headers: dict[str, str], json: Any) -> Callable[[], Any]:
        return post(path, headers, json, method="PUT")

    def ticket(name: str) -> None:
        t = state[name]
        t = t.get("ticket", t)
        state[name + "_id"], state[name + "_no"] = t["id"], t["number"]
        state[name + "_key"] = state[name].get("rating_key")

    def issued(path: str, headers: dict[str, str], json: Any, name: str) -> Callable[[], Any]:
        send = post(path, headers, json, keep=name)

        def run() -> Any:
            send()
            ticket(name)
        return run

    def card_read(send: Callable[[], Any]) -> Callable[[], Any]:
        def run() -> Any:  # a card on the reader of kiosk-1's agent first
            idcards.record_read(core, hall="h1", reader="agent-1", kiosks=["kiosk-1"],
                                id_number="11010519491231002X", expired=False)
            seen = card_log(core.bus).since("h1", 0, auth.resolve(core, kiosk_token))
            state["card"] = seen["cards"][-1]["card"]
            writes.take()
            return send()
        return run

    other = hall_config(hall={"code": "h9", "name": "新中心", "level": "county"}, staff=[])
    api_v1 = "/api/v1"
    return [
        ("POST", "/api/v1/auth/token", lambda: api.post(
            "/api/v1/auth/token", data={"username": "s2", "password": PASSWORD})),
        ("POST", "/api/v1/auth/badge", post("/api/v1/auth/badge", counter, {"badge": "nobody"})),
        ("POST", "/api/v1/admin/halls", post("/api/v1/admin/halls", deploy,
                                             other.model_dump(mode="json"))),
        ("PUT", "/api/v1/admin/halls/{hall}/config", put(
            "/api/v1/admin/halls/h1/config", root, hall_config().model_dump(mode="json"))),
        ("POST", "/api/v1/admin/halls/{hall}/devices", post(
            "/api/v1/admin/halls/h1/devices", root, {"name": "kiosk-9", "kind": "kiosk"})),
        ("POST", "/api/v1/admin/halls/{hall}/devices/{name}/rotate", post(
            "/api/v1/admin/halls/h1/devices/kiosk-9/rotate", root)),
        ("DELETE", "/api/v1/admin/halls/{hall}/devices/{name}", post(
            "/api/v1/admin/halls/h1/devices/kiosk-9", root, method="DELETE")),
        ("POST", "/api/v1/halls/{hall}/tickets", issued(
            h + "/tickets", kiosk, {"service": "SB01"}, "t1")),
        ("POST", "/api/v1/halls/{hall}/kiosk/tickets", issued(
            h + "/kiosk/tickets", kiosk, {"service": "SB01"}, "t2")),
        ("POST", "/api/v1/halls/{hall}/desk/tickets", issued(
            h + "/desk/tickets", s1, {"service": "SB01"}, "t3")),
        ("POST", "/api/v1/halls/{hall}/phone/tickets", post(
            h + "/phone/tickets", None, {"phone": "13800138000", "service": "SB01"})),
        ("POST", "/api/v1/halls/{hall}/id-cards/ticket", card_read(post(
            h + "/id-cards/ticket", kiosk, {"card": Kept("card"), "service": "SB01"}))),
        ("POST", "/api/v1/halls/{hall}/windows/{window}/sign-in", post(
            w + "/sign-in", s1, {"post": "A"})),
        ("POST", "/api/v1/halls/{hall}/windows/{window}/call-next", post(w + "/call-next", s1)),
        ("POST", "/api/v1/halls/{hall}/windows/{window}/recall", post(w + "/recall", s1)),
        ("POST", "/api/v1/halls/{hall}/windows/{window}/start", post(w + "/start", s1)),
        ("POST", "/api/v1/halls/{hall}/windows/{window}/finish", post(w + "/finish", s1, {})),
        ("POST", "/api/v1/tickets/{ticket_id}/rating", post(
            api_v1 + "/tickets/{t1_id}/rating", None, {"level": 5, "key": Kept("t1_key")})),
        ("POST", "/api/v1/halls/{hall}/windows/{window}/call", post(
            w + "/call", s1, {"number": Kept("t2_no")})),
        ("POST", "/api/v1/halls/{hall}/windows/{window}/no-show", post(w + "/no-show", s1)),
        ("POST", "/api/v1/halls/{hall}/tickets/requeue", post(
            h + "/tickets/requeue", kiosk, {"number": Kept("t2_no")})),
        ("POST", "/api/v1/halls/{hall}/desk/requeue", post(
            h + "/desk/requeue", s1, {"number": Kept("t2_no")})),
        ("POST", "/api/v1/halls/{hall}/windows/{window}/transfer", post(
            w + "/transfer", s1, {"service": "SB02"})),
        ("POST", "/api/v1/halls/{hall}/windows/{window}/invite-rating", post(
            w + "/invite-rating", s1)),
        ("POST", "/api/v1/halls/{hall}/windows/{window}/pause", post(
            w + "/pause", s1, {"reason": "break"})),
        ("POST", "/api/v1/halls/{hall}/windows/{window}/resume", post(w + "/resume", s1)),
        ("POST", "/api/v1/halls/{hall}/windows/{window}/post-override", post(
            w + "/post-override", root, {"job_no": "s2", "post": "B", "reason": "A 岗请假"})),
        ("POST", "/api/v1/halls/{hall}/windows/{window}/sign-out", post(w + "/sign-out", s1)),
        ("POST", "/api/v1/halls/{hall}/windows/{window}/close", post(
            h + "/windows/2/close", root)),
        ("POST", "/api/v1/halls/{hall}/windows/{window}/open", post(h + "/windows/2/open", root)),
        ("POST", "/api/v1/halls/{hall}/monitor/windows/{window}/close", post(
            h + "/monitor/windows/3/close", root)),
        ("POST", "/api/v1/halls/{hall}/monitor/windows/{window}/open", post(
            h + "/monitor/windows/3/open", root)),
        ("PUT", "/api/v1/halls/{hall}/monitor/windows/{window}/services", put(
            h + "/monitor/windows/3/services", root, {"services": ["BDC01"]})),
        ("PUT", "/api/v1/halls/{hall}/monitor/scroll", put(
            h + "/monitor/scroll", root, {"text": "欢迎"})),
        ("PUT", "/api/v1/halls/{hall}/scroll-text", put(h + "/scroll-text", root, {"text": "好"})),
        ("POST", "/api/v1/halls/{hall}/monitor/alerts/{alert_id}/ack", post(
            h + "/monitor/alerts/1/ack", root)),
        ("POST", "/api/v1/halls/{hall}/monitor/tickets/{ticket_id}/reissue", post(
            h + "/monitor/tickets/{t3_id}/reissue", root, {"service": "SB02"})),
        ("POST", "/api/v1/halls/{hall}/monitor/tickets/{ticket_id}/cancel", post(
            h + "/monitor/tickets/{t3_id}/cancel", root, {"reason": "走错"})),
        ("POST", "/api/v1/halls/{hall}/desk/tickets/{ticket_id}/reissue", issued(
            h + "/desk/tickets/{t2_id}/reissue", s1, {"service": "SB02"}, "t4")),
        ("POST", "/api/v1/halls/{hall}/tickets/{ticket_id}/cancel", post(
            h + "/tickets/{t4_id}/cancel", kiosk, {"reason": "不办了"})),
        ("POST", "/api/v1/halls/{hall}/desk/tickets/{ticket_id}/cancel", post(
            h + "/desk/tickets/{t2_id}/cancel", s1, {"reason": "不办了"})),
        ("POST", "/api/v1/halls/{hall}/tickets/{ticket_id}/reprint", post(
            h + "/tickets/{t1_id}/reprint", s1, {})),
        ("POST", "/api/v1/halls/{hall}/desk/tickets/{ticket_id}/reprint", post(
            h + "/desk/tickets/{t1_id}/reprint", s1)),
        ("POST", "/api/v1/halls/{hall}/desk/tickets/{ticket_id}/notice/print", post(
            h + "/desk/tickets/{t1_id}/notice/print", s1)),
        ("POST", "/api/v1/halls/{hall}/desk/services/{code}/guide/print", post(
            h + "/desk/services/SB01/guide/print", s1)),
        ("POST", "/api/v1/halls/{hall}/cases/{case_id}/appeal", post(
            h + "/cases/1/appeal", root, {"reason": "恶意差评"})),
        ("POST", "/api/v1/halls/{hall}/cases/{case_id}/appeal/approve", post(
            h + "/cases/1/appeal/approve", root, {"note": "同意"})),
        ("POST", "/api/v1/halls/{hall}/cases/{case_id}/appeal/refuse", post(
            h + "/cases/1/appeal/refuse", root, {"note": "不同意"})),
        ("POST", "/api/v1/halls/{hall}/cases/{case_id}/{step}", post(
            h + "/cases/1/verify", root, {"note": "核实"})),
        ("POST", "/api/v1/halls/{hall}/appointments", post(
            h + "/appointments", root, {"service": "SB01", "slot_start": slot,
                                        "code": "APPT1"})),
        ("POST", "/api/v1/halls/{hall}/appointments/{code}/reschedule", post(
            h + "/appointments/APPT1/reschedule", kiosk, {"slot_start": slot})),
        ("POST", "/api/v1/halls/{hall}/appointments/{code}/check-in", post(
            h + "/appointments/APPT1/check-in", kiosk)),
        ("POST", "/api/v1/halls/{hall}/kiosk/check-in", post(
            h + "/kiosk/check-in", kiosk, {"code": "APPT1"})),
        ("POST", "/api/v1/halls/{hall}/desk/appointments/{code}/check-in", post(
            h + "/desk/appointments/APPT1/check-in", s1)),
        ("POST", "/api/v1/halls/{hall}/appointments/{code}/cancel", post(
            h + "/appointments/APPT1/cancel", kiosk, {})),
        ("POST", "/api/v1/halls/{hall}/bookings", post(
            h + "/bookings", None, {"service": "SB01", "slot_start": slot,
                                    "phone": "13800138001"})),
        ("POST", "/api/v1/halls/{hall}/bookings/lookup", post(
            h + "/bookings/lookup", None, {"code": "APPT1", "phone": "13800138001"})),
        ("POST", "/api/v1/halls/{hall}/bookings/mine", post(
            h + "/bookings/mine", None, {"phone": "13800138001"})),
        ("POST", "/api/v1/halls/{hall}/bookings/{code}/reschedule", post(
            h + "/bookings/NOPE1/reschedule", None, {"slot_start": slot,
                                                     "phone": "13800138001"})),
        ("POST", "/api/v1/halls/{hall}/bookings/{code}/cancel", post(
            h + "/bookings/NOPE1/cancel", None, {"phone": "13800138001"})),
        ("POST", "/api/v1/halls/{hall}/appointments/platform", post(
            h + "/appointments/platform", root, {"items": [
                {"booking_id": "P1", "status": "booked", "item": "SB01", "start": slot}]})),
        ("PUT", "/api/v1/halls/{hall}/presence/me", put(
            h + "/presence/me", s1, {"presence": "out"})),
        ("PUT", "/api/v1/halls/{hall}/staff/{job_no}/presence", put(
            h + "/staff/s3/presence", root, {"presence": "meeting"})),
        ("POST", "/api/v1/halls/{hall}/integrations/evaluation-upload/retry", post(
            h + "/integrations/evaluation-upload/retry", root)),
        ("POST", "/api/v1/auth/logout", post("/api/v1/auth/logout", s1)),
    ]


def _filled(value: Any, state: dict[str, Any]) -> Any:
    """A request body with its `Kept` values taken from what earlier steps kept."""
    if isinstance(value, Kept):
        return state[value.name]
    if isinstance(value, dict):
        return {k: _filled(v, state) for k, v in value.items()}
    if isinstance(value, list):
        return [_filled(v, state) for v in value]
    return value


def _writing_routes(api: TestClient) -> set[tuple[str, str]]:
    doc = api.get("/openapi.json").json()
    return {(method.upper(), path) for path, ops in doc["paths"].items() for method in ops
            if method in ("post", "put", "patch", "delete")}


def test_every_writing_route_writes_on_the_writer(core: Core, api: TestClient, writes: Writes,
                                                  clock: ManualClock) -> None:
    steps = _steps(core, api, clock, writes)
    routes = _writing_routes(api)
    driven = {(method, path) for method, path, _ in steps}
    assert routes - driven == set(), "writing routes this test does not drive: add them"
    assert driven - routes == set(), "steps for routes that no longer exist"
    writes.take()
    wrong, silent = [], []
    for method, path, send in steps:
        send()
        threads = writes.take()
        if any(not name.startswith(WRITER) for name in threads):
            wrong.append(f"{method} {path}: {threads}")
        if not threads and (method, path) not in NO_WRITE:
            silent.append(f"{method} {path}")
    assert wrong == [], "writing BEGINs off the writer thread:\n" + "\n".join(wrong)
    assert silent == [], "routes that wrote nothing (fix the request or list them):\n" + \
        "\n".join(silent)


def _off_writer(threads: list[str]) -> list[str]:
    return [name for name in threads if not name.startswith(WRITER)]


def test_no_get_writes_off_the_writer(core: Core, api: TestClient, writes: Writes,
                                      clock: ManualClock) -> None:
    """A GET that writes (the bookings list marks missed ones) also runs on the writer."""
    kiosk = auth.register_device(core, hall="h1", name="kiosk-1", kind="kiosk")[1]
    tickets.issue(core, hall="h1", service="SB01", actor=KIOSK)
    clock.advance(minutes=60)  # a long wait: the dashboard's scan logs an alert
    root = login(api, "root")
    doc = api.get("/openapi.json").json()
    writes.take()
    wrong, wrote = [], 0
    for path, ops in sorted(doc["paths"].items()):
        if "get" not in ops:
            continue
        for headers in (root, {"Authorization": f"Bearer {kiosk}"}):
            answer = api.get(path.format(**FILL), headers=headers)
            assert answer.status_code < 500, (path, answer.text)
            threads = writes.take()
            wrote += len(threads)
            if _off_writer(threads):
                wrong.append(f"GET {path}: {threads}")
    assert wrong == []
    assert wrote > 0  # the sweep reached the GETs that write (bookings, alerts)


async def test_the_agents_writes_run_on_the_writer(core: Core, writes: Writes) -> None:
    """The agent's hello, device status, print results and evaluator ratings, and its
    leaving (a real server: the test client cancels a socket's handler on leaving)."""
    token = auth.register_device(core, hall="h1", name="agent-1", kind="agent")[1]
    ticket = tickets.issue(core, hall="h1", service="SB01", actor=KIOSK)
    with serve_in_thread(create_app(core)) as base:
        writes.take()
        async with connect(base.replace("http", "ws") + "/ws/halls/h1/agent",
                           additional_headers={"Authorization": f"Bearer {token}"}) as ws:
            for message in (
                    {"type": "hello", "devices": [{"kind": "evaluator"}], "windows": ["1"]},
                    {"type": "device_status", "kind": "printer", "online": False,
                     "detail": "paper_out"},
                    {"type": "print_result", "job": "j1", "ok": True},
                    {"type": "rating", "uid": "u1", "ticket_id": ticket.id, "level": 5}):
                await ws.send(json.dumps(message))
            while json.loads(await ws.recv())["type"] != "rating_ack":
                pass
            before_leaving = len(writes.threads)
        await until(lambda: len(writes.threads) > before_leaving)  # marked gone
    threads = writes.take()
    assert len(threads) >= 5 and _off_writer(threads) == [], threads


def test_the_workers_rounds_write_on_the_writer(core: Core, clock: ManualClock,
                                                writes: Writes) -> None:
    """The alert watcher's scan, from its own thread as the watcher runs it."""
    tickets.issue(core, hall="h1", service="SB01", actor=KIOSK)
    clock.advance(minutes=60)
    writes.take()
    done: list[int] = []
    worker = threading.Thread(target=lambda: done.append(alerts.scan_all(core)),
                              name="alert-watcher")
    worker.start()
    worker.join()
    threads = writes.take()
    assert done[0] > 0 and threads and _off_writer(threads) == [], threads


def test_a_write_from_a_thread_queues_on_the_writer_and_nests_inline(core: Core) -> None:
    seen: list[str] = []

    @in_writer
    def inner(c: Core) -> str:
        seen.append(threading.current_thread().name)
        with c.db.begin():
            pass
        return "inner"

    def outer() -> str:  # on the writer: a nested write runs inline, no deadlock
        seen.append(threading.current_thread().name)
        assert core.db.on_writer()
        return inner(core)

    assert not core.db.on_writer()
    assert core.db.write(outer) == "inner"
    assert inner(core) == "inner"
    assert len(seen) == 3 and all(name.startswith(WRITER) for name in seen), seen
