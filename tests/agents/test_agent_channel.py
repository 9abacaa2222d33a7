"""The agent channel end to end: the real core, the real agent, simulated devices.

The printer is a TCP ESC/POS simulator and the evaluator a pseudo-tty simulator; the agent
and the core are the production code, unchanged.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest
from sqlalchemy import select
from websockets.asyncio.client import connect
from websockets.exceptions import InvalidStatus

from drivers.agent import Agent
from server.agents import service as agents
from server.app import create_app
from server.auth import service as auth
from server.auth.security import rating_key
from server.core import Core
from server.devices import printing
from server.devices import status as devices
from server.evaluations.models import Evaluation
from server.tickets import flows as tickets
from server.windows import flows as windows
from simulators.devices import DeviceSimulators, start_all
from tests.events.live import serve_in_thread
from tests.server.test_flows import KIOSK, staff

AGENT_TOKEN = "test-agent-token"


@pytest.fixture
def base(core: Core) -> Iterator[str]:
    auth.register_device(core, hall="h1", name="agent-1", kind="agent", token=AGENT_TOKEN)
    auth.register_device(core, hall="h1", name="kiosk-1", kind="kiosk", token="test-kiosk")
    with serve_in_thread(create_app(core)) as url:
        yield url


@pytest.fixture
async def sims() -> AsyncIterator[DeviceSimulators]:
    s = await start_all(windows=("1", "2", "3", "4"))
    yield s
    await s.stop()


async def until(check: object, timeout: float = 10.0) -> None:
    """Poll a blocking check in a thread until it is true."""
    deadline = asyncio.get_running_loop().time() + timeout
    while not await asyncio.to_thread(check):  # type: ignore[arg-type]
        if asyncio.get_running_loop().time() > deadline:
            raise AssertionError("timed out")
        await asyncio.sleep(0.1)


async def test_print_and_rate_through_the_agent(
    core: Core, base: str, sims: DeviceSimulators, tmp_path: Path
) -> None:
    agent = Agent(server=base, hall="h1", name="agent-1", token=AGENT_TOKEN,
                  printer=sims.printer.url, evaluator=sims.evaluator.url,
                  state_dir=tmp_path)
    await agent.start()
    try:
        await until(lambda: devices.printer_state(core, "h1")["state"] == "ok")
        ticket = await asyncio.to_thread(tickets.issue, core, hall="h1", service="SB01",
                                         actor=KIOSK)
        job = await asyncio.to_thread(printing.request_print, core, ticket=ticket,
                                      base="http://hall.example", kiosk="kiosk-1")
        receipt = await sims.printer.wait_for_receipt(timeout=10)
        assert ticket.number in receipt.text and "测试县政务服务中心" in receipt.text
        # The printed QR code (decoded from the ESC/POS bytes) carries the rating key.
        key = rating_key(ticket.id, core.settings.pepper)
        assert receipt.cut and receipt.qr_codes == [f"http://hall.example/t/{ticket.id}?k={key}"]
        await until(lambda: devices.print_job(core, "h1", job["job"])["state"] == "printed")

        who = staff(core, "s2")
        await asyncio.to_thread(windows.sign_in, core, hall="h1", window="2", post="A",
                                actor=who)
        await asyncio.to_thread(windows.call_next, core, hall="h1", window="2", actor=who)
        await asyncio.to_thread(windows.finish, core, hall="h1", window="2",
                                outcome="completed", actor=who)
        sims.evaluator.set_next_rating(2, (1,))
        core.bus.publish("h1", {"type": "evaluate", "ticket_id": ticket.id,
                                "ticket": ticket.number, "window": "2",
                                "staff_name": who.name, "staff_no": who.job_no})
        await sims.evaluator.wait_for("prompts", timeout=10)
        assert sims.evaluator.prompts[0].ticket_id == ticket.id

        def stored() -> Evaluation | None:
            with core.db.read_session() as db:
                return db.scalar(select(Evaluation).where(Evaluation.ticket_id == ticket.id))

        await until(lambda: stored() is not None)
        rating = stored()
        assert rating is not None and rating.level == 2 and rating.channel == "evaluator"
        assert rating.staff_id == who.staff_id and rating.uid
        for _ in range(100):  # acknowledged: removed from the agent's outbox, sent once
            if agent.outbox.pending() == []:
                break
            await asyncio.sleep(0.1)
        assert agent.outbox.pending() == []
    finally:
        await agent.stop()
    await until(lambda: devices.printer_state(core, "h1")["state"] == "offline")


async def test_print_jobs_go_to_the_agent_serving_the_kiosk(core: Core, base: str) -> None:
    ws_url = base.replace("http", "ws") + "/ws/halls/h1/agent"
    auth.register_device(core, hall="h1", name="agent-2", kind="agent", token="agent-2-token")
    a1 = await connect(ws_url, additional_headers={"Authorization": f"Bearer {AGENT_TOKEN}"})
    a2 = await connect(ws_url, additional_headers={"Authorization": "Bearer agent-2-token"})
    await a1.send(json.dumps({"type": "hello", "name": "agent-1", "devices": []}))
    await a2.send(json.dumps({"type": "hello", "name": "agent-2", "devices": [],
                              "kiosks": ["kiosk-9"]}))
    await until(lambda: agents.printer_for(core, "h1", "kiosk-9") == "agent-2")
    core.bus.publish("h1", {"type": "print", "job": "j1", "kiosk": "kiosk-9", "ticket": {}})
    got = json.loads(await asyncio.wait_for(a2.recv(), 5))
    assert got["job"] == "j1"
    with pytest.raises(TimeoutError):
        await asyncio.wait_for(a1.recv(), 0.5)
    await a1.close()
    await a2.close()


async def test_bad_messages_are_answered_and_the_channel_stays_open(
    core: Core, base: str
) -> None:
    ws_url = base.replace("http", "ws") + "/ws/halls/h1/agent"
    async with connect(ws_url, additional_headers={
            "Authorization": f"Bearer {AGENT_TOKEN}"}) as ws:
        for junk in ("not json", "[1, 2]", '{"type": "launch_rockets"}',
                     '{"type": "device_status"}', '{"type": "print_result", "job": 1}'):
            await ws.send(junk)
            reply = json.loads(await asyncio.wait_for(ws.recv(), 5))
            assert reply["type"] == "error", junk
        await ws.send(json.dumps({"type": "rating", "uid": "u1", "ticket_id": "nope",
                                  "level": 5}))
        ack = json.loads(await asyncio.wait_for(ws.recv(), 5))
        assert ack == {"type": "rating_ack", "uid": "u1", "ok": False, "error": "unknown_ticket"}
        await ws.send(json.dumps({"type": "rating", "uid": "u2", "ticket_id": "x",
                                  "level": 9}))
        ack = json.loads(await asyncio.wait_for(ws.recv(), 5))
        assert ack["ok"] is False and ack["error"] == "invalid"
        await ws.send(json.dumps({"type": "scan", "code": " YY123 "}))
        await until(lambda: any(e.get("type") == "scan" and e.get("code") == "YY123"
                                for _, e in core.bus.events))  # type: ignore[attr-defined]


async def test_only_agents_of_the_hall_may_connect(base: str) -> None:
    ws_url = base.replace("http", "ws") + "/ws/halls/h1/agent"
    with pytest.raises(InvalidStatus) as err:
        await connect(ws_url)
    assert err.value.response.status_code == 401
    with pytest.raises(InvalidStatus) as err:
        await connect(ws_url, additional_headers={"Authorization": "Bearer test-kiosk"})
    assert err.value.response.status_code == 403
    with pytest.raises(InvalidStatus) as err:
        await connect(base.replace("http", "ws") + "/ws/halls/nohall/agent",
                      additional_headers={"Authorization": f"Bearer {AGENT_TOKEN}"})
    assert err.value.response.status_code == 404


class RestartableServer:
    """The core's app on uvicorn in a thread, stoppable and restartable on one port."""

    def __init__(self, core: Core) -> None:
        from tests.events.live import free_port

        self.core, self.port = core, free_port()
        self.server: object = None
        self.thread: object = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> None:
        import threading
        import time

        import uvicorn

        server = uvicorn.Server(uvicorn.Config(create_app(self.core), host="127.0.0.1",
                                               port=self.port, log_level="warning"))
        thread = threading.Thread(target=server.run, daemon=True)
        thread.start()
        deadline = time.monotonic() + 20
        while not server.started:
            assert time.monotonic() < deadline and thread.is_alive(), "core did not start"
            time.sleep(0.02)
        self.server, self.thread = server, thread

    def stop(self) -> None:
        self.server.should_exit = True  # type: ignore[attr-defined]
        self.thread.join(10)  # type: ignore[attr-defined]


async def test_paper_out_led_board_and_a_rating_given_while_the_core_was_down(
    core: Core, sims: DeviceSimulators, tmp_path: Path
) -> None:
    import httpx

    from drivers.device import Backoff

    auth.register_device(core, hall="h1", name="agent-1", kind="agent", token=AGENT_TOKEN)
    auth.register_device(core, hall="h1", name="kiosk-1", kind="kiosk", token="test-kiosk")
    server = RestartableServer(core)
    await asyncio.to_thread(server.start)
    agent = Agent(server=server.url, hall="h1", name="agent-1", token=AGENT_TOKEN,
                  printer=sims.printer.url, evaluator=sims.evaluator.url, led=sims.led.url,
                  led_map=sims.led_map, kiosks=["kiosk-1"], windows=["2"],
                  state_dir=tmp_path, backoff=Backoff(0.2, 0.5),
                  device_options={"printer": {"poll_interval": 0.3}})
    kiosk = {"Authorization": "Bearer test-kiosk"}
    await agent.start()
    try:
        await until(lambda: devices.printer_state(core, "h1")["state"] == "ok")
        # Paper out reaches the kiosk (its issue answer and the status it polls) and the
        # operator, while the ticket stays valid.
        sims.printer.set_paper(out=True)
        await until(lambda: devices.printer_state(core, "h1")["state"] == "offline"
                    or any(p["detail"] == "paper_out"
                           for p in devices.printer_state(core, "h1")["printers"]))
        async with httpx.AsyncClient(base_url=server.url) as http:
            r = await http.post("/api/v1/halls/h1/kiosk/tickets", json={"service": "SB01"},
                                headers=kiosk)
            assert r.status_code == 201, r.text
            body = r.json()
            assert body["ticket"]["status"] == "waiting"
            await until(lambda: devices.print_job(core, "h1", body["print"]["job"])["state"]
                        in ("failed", "printed") or body["print"]["state"] == "failed")
            job = body["print"] if body["print"]["state"] == "failed" else \
                devices.print_job(core, "h1", body["print"]["job"])
            assert job["state"] == "failed" and job["detail"] == "paper_out"
            op = (await http.post("/api/v1/auth/token",
                                  data={"username": "op", "password": "s3cret-test"})).json()
            r = await http.get("/api/v1/halls/h1/devices/status",
                               headers={"Authorization": f"Bearer {op['access_token']}"})
            assert r.status_code == 200 and "paper_out" in r.text
            ticket_id = body["ticket"]["id"]
            number = body["ticket"]["number"]

        # A staff call lights window 2's LED board.
        who = staff(core, "s2")
        await asyncio.to_thread(windows.sign_in, core, hall="h1", window="2", post="A",
                                actor=who)
        await asyncio.to_thread(windows.call_next, core, hall="h1", window="2", actor=who)
        board = sims.led_map["2"]
        for _ in range(100):
            if any(number in line for line in sims.led.text(board)):
                break
            await asyncio.sleep(0.1)
        assert any(number in line for line in sims.led.text(board)), sims.led.text(board)
        await asyncio.to_thread(windows.finish, core, hall="h1", window="2",
                                outcome="completed", actor=who)

        # The core goes down; the citizen rates; the core comes back; stored exactly once.
        await asyncio.to_thread(server.stop)
        for _ in range(100):
            if not agent.connected:
                break
            await asyncio.sleep(0.05)
        outcome = sims.evaluator.rate(ticket_id, 1, (2,))
        for _ in range(100):
            if agent.outbox.pending():
                break
            await asyncio.sleep(0.05)
        assert [r["ticket_id"] for r in agent.outbox.pending()] == [ticket_id]
        await asyncio.to_thread(server.start)
        for _ in range(200):
            if not agent.outbox.pending():
                break
            await asyncio.sleep(0.05)
        assert agent.outbox.pending() == []
        await sims.evaluator.wait_answered(outcome, timeout=10)
        with core.db.read_session() as db:
            rows = db.scalars(select(Evaluation).where(Evaluation.ticket_id == ticket_id)).all()
        assert len(rows) == 1 and rows[0].level == 1 and rows[0].staff_id == who.staff_id
    finally:
        await agent.stop()
        await asyncio.to_thread(server.stop)
