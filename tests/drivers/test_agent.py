"""The agent against a fake core over a real websocket and simulators over TCP and ptys."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest

from drivers import Agent, Backoff
from drivers.agent import agent_ws_url
from drivers.evaluator_protocol import Ack, AckCode, Nak, NakCode
from simulators import EvaluatorSimulator, LedBoardSimulator, PrinterSimulator, ScannerSimulator
from tests.drivers.fake_core import FakeCore

FAST = {
    "printer": {"poll_interval": 0.2, "reply_timeout": 0.5},
    "evaluator": {"heartbeat_interval": 0.2, "offline_after": 1.0},
    "led": {"ack_timeout": 0.3},
}
TICKET = {"id": "t-100", "number": "A001", "service": "SB01", "service_name": "社保卡补办",
          "centre": "焦作市政务服务中心", "ahead": 2, "issued_at": "2026-11-23T09:00:00+08:00",
          "url": "http://hall.example/t/t-100", "notice": "请留意叫号", "priority": "normal",
          "reprint": False}
EVALUATE = {"type": "evaluate", "ticket_id": "t-100", "ticket": "A001", "window": "3",
            "staff_name": "王五", "staff_no": "0301"}


@pytest.fixture
async def core() -> AsyncIterator[FakeCore]:
    fake = await FakeCore().start()
    yield fake
    await fake.stop()


def make_agent(core: FakeCore, tmp_path: Path, **devices: Any) -> Agent:
    return Agent(server=core.url, hall="demo", name="pc-1", token="secret",
                 state_dir=tmp_path / "state", backoff=Backoff(0.05, 0.3),
                 rating_ack_wait=0.5, device_options=FAST, **devices)


def test_ws_url() -> None:
    assert agent_ws_url("http://h:8000/", "demo", "pc 1") == "ws://h:8000/ws/halls/demo/agent?name=pc%201"
    assert agent_ws_url("https://h/core", "d", "n") == "wss://h/core/ws/halls/d/agent?name=n"


async def test_hello_status_ping_and_bad_messages(
    core: FakeCore, tmp_path: Path, printer_sim: PrinterSimulator, scanner_sim: ScannerSimulator,
) -> None:
    agent = make_agent(core, tmp_path, printer=printer_sim.url, scanner=scanner_sim.url)
    await agent.start()
    try:
        hello = await core.expect("hello")
        await core.wait_until(lambda: any(
            m["online"] for m in core.of_type("device_status") if m["kind"] == "printer"))
        await core.send("not json{")
        await core.send({"type": "no-such-type"})
        await core.send({"type": "print"})  # missing fields
        await core.send({"type": "ping"})
        await core.expect("pong")
        scanner_sim.scan("APPT-20261123-7")
        scan = await core.expect("scan")
    finally:
        await agent.stop()
    assert core.paths[0] == "/ws/halls/demo/agent?name=pc-1"
    assert hello == {"type": "hello", "name": "pc-1", "devices": [
        {"name": "printer", "kind": "printer", "url": printer_sim.url},
        {"name": "scanner", "kind": "scanner", "url": scanner_sim.url}],
        "kiosks": [], "windows": []}
    assert scan == {"type": "scan", "device": "scanner", "code": "APPT-20261123-7"}


async def test_print_job_and_paper_out(
    core: FakeCore, tmp_path: Path, printer_sim: PrinterSimulator
) -> None:
    agent = make_agent(core, tmp_path, printer=printer_sim.url)
    await agent.start()
    try:
        await core.expect("hello")
        await core.send({"type": "print", "job": "j1", "ticket": TICKET})
        first = await core.expect("print_result")
        receipt = await printer_sim.wait_for_receipt()
        printer_sim.set_paper(out=True)
        await core.send({"type": "print", "job": "j2", "ticket": {**TICKET, "reprint": True}})
        second = await core.expect("print_result", 2)
        await core.wait_until(lambda: any(
            m["detail"].get("paper_out") for m in core.of_type("device_status")))
    finally:
        await agent.stop()
    assert first == {"type": "print_result", "job": "j1", "ok": True, "error": None}
    assert second == {"type": "print_result", "job": "j2", "ok": False, "error": "paper_out"}
    assert "A001" in receipt.text and "社保卡补办" in receipt.text
    assert receipt.qr_codes == ["http://hall.example/t/t-100"]


async def test_no_printer_configured(core: FakeCore, tmp_path: Path) -> None:
    agent = make_agent(core, tmp_path)
    await agent.start()
    try:
        await core.expect("hello")
        await core.send({"type": "print", "job": "j9", "ticket": TICKET})
        result = await core.expect("print_result")
        await core.send({"type": "print", "job": "j10", "ticket": {**TICKET, "ahead": "many"}})
        bad = await core.expect("print_result", 2)
    finally:
        await agent.stop()
    assert result == {"type": "print_result", "job": "j9", "ok": False, "error": "no_printer"}
    assert bad == {"type": "print_result", "job": "j10", "ok": False, "error": "bad_ticket"}


async def test_calls_and_window_states_drive_the_boards(
    core: FakeCore, tmp_path: Path, led_sim: LedBoardSimulator
) -> None:
    agent = make_agent(core, tmp_path, led=led_sim.url, led_map={"3": 1, "4": 2})
    await agent.start()
    try:
        await core.expect("hello")
        await core.send({"type": "call", "ticket": "A001", "window": "3", "service": "SB01",
                         "service_name": "社保卡补办", "recall": False, "at": "09:00"})
        await led_sim.wait_for_text(1, ["请A001号 到3号窗口", "社保卡补办"])
        await core.send({"type": "window", "window": "4", "state": "paused", "ticket": None})
        await led_sim.wait_for_text(2, ["暂停服务", ""])
        await core.send({"type": "window", "window": "3", "state": "serving", "ticket": "A001"})
        await led_sim.wait_for_text(1, ["正在办理 A001号", ""])
        await core.send({"type": "window", "window": "3", "state": "idle", "ticket": None})
        await core.send({"type": "call", "ticket": "B2", "window": "9", "service": "X",
                         "service_name": "", "recall": False, "at": "09:01"})
        await led_sim.wait_for_text(1, ["欢迎光临", ""])
    finally:
        await agent.stop()
    assert led_sim.text(3) == ["", ""]  # window 9 has no board: nothing shown anywhere


async def test_rating_round_trip_and_one_rating_per_service(
    core: FakeCore, tmp_path: Path, evaluator_sim: EvaluatorSimulator
) -> None:
    agent = make_agent(core, tmp_path, evaluator=evaluator_sim.url)
    await agent.start()
    try:
        await core.expect("hello")
        await core.wait_until(lambda: any(
            m["online"] for m in core.of_type("device_status") if m["kind"] == "evaluator"))
        evaluator_sim.set_next_rating(1, (1, 3))
        await core.send(EVALUATE)
        rating = await core.expect("rating")
        first = await evaluator_sim.wait_answered(evaluator_sim.outcomes[0])
        second = evaluator_sim.rate("t-100", 5)  # 一次一评: a second rating is refused
        refused = await evaluator_sim.wait_answered(second)
    finally:
        await agent.stop()
    prompt = evaluator_sim.prompts[0]
    assert (prompt.ticket_number, prompt.ticket_id, prompt.window, prompt.staff_name,
            prompt.staff_no) == ("A001", "t-100", "3", "王五", "0301")
    assert {k: rating[k] for k in ("ticket_id", "level", "reasons")} == {
        "ticket_id": "t-100", "level": 1, "reasons": [1, 3]}
    assert len(rating["uid"]) == 32 and rating["at"]
    assert first == Ack(evaluator_sim.outcomes[0].seq, AckCode.ACCEPTED)
    assert refused == Nak(second.seq, NakCode.ALREADY_RATED)
    assert len(core.of_type("rating")) == 1


async def test_core_refusal_reaches_the_evaluator(
    core: FakeCore, tmp_path: Path, evaluator_sim: EvaluatorSimulator
) -> None:
    core.auto_ack = False
    agent = make_agent(core, tmp_path, evaluator=evaluator_sim.url)
    await agent.start()
    try:
        await core.expect("hello")
        outcome = evaluator_sim.rate("t-7", 4)
        rating = await core.expect("rating")
        await core.send({"type": "rating_ack", "uid": rating["uid"], "ok": False,
                         "error": "already_rated"})
        answer = await evaluator_sim.wait_answered(outcome)
    finally:
        await agent.stop()
    assert answer == Nak(outcome.seq, NakCode.ALREADY_RATED)


async def test_rating_while_core_is_down_is_delivered_once_later(
    tmp_path: Path, evaluator_sim: EvaluatorSimulator
) -> None:
    core = await FakeCore().start()
    port = core.port
    agent = make_agent(core, tmp_path, evaluator=evaluator_sim.url)
    await agent.start()
    try:
        await core.expect("hello")
        await core.stop()  # the core goes down
        outcome = evaluator_sim.rate("t-55", 2, (2,))
        answer = await evaluator_sim.wait_answered(outcome)
        assert answer == Ack(outcome.seq, AckCode.QUEUED)  # safe on the agent's disk
        assert [m["ticket_id"] for m in agent.outbox.pending()] == ["t-55"]
        await agent.stop()  # the agent PC restarts, too

        core = await FakeCore(port=port).start()
        agent = make_agent(core, tmp_path, evaluator=evaluator_sim.url)
        await agent.start()
        await core.expect("rating")
        await core.wait_until(lambda: not agent.outbox.pending())
        await core.send({"type": "ping"})
        await core.expect("pong")
    finally:
        await agent.stop()
        await core.stop()
    assert list(core.stored) == ["t-55"]
    assert core.stored["t-55"]["level"] == 2 and core.stored["t-55"]["reasons"] == [2]
    assert len(core.of_type("rating")) == 1


async def test_wrong_token_is_retried_not_fatal(core: FakeCore, tmp_path: Path) -> None:
    core.token = "other"
    agent = make_agent(core, tmp_path)
    await agent.start()
    try:
        await core.wait_until(lambda: core.rejected >= 2)
        assert not agent.connected
        core.token = "secret"
        assert await agent.wait_connected(3)
        await core.expect("hello")
    finally:
        await agent.stop()


async def test_silent_evaluator_reported_offline_to_the_core(
    core: FakeCore, tmp_path: Path, evaluator_sim: EvaluatorSimulator
) -> None:
    agent = make_agent(core, tmp_path, evaluator=evaluator_sim.url)
    await agent.start()

    def evaluator_states() -> list[bool]:
        return [m["online"] for m in core.of_type("device_status") if m["kind"] == "evaluator"]

    try:
        await core.wait_until(lambda: True in evaluator_states())
        evaluator_sim.silent = True
        await core.wait_until(lambda: evaluator_states()[-1] is False)
        offline = core.of_type("device_status")[-1]
    finally:
        await agent.stop()
    assert offline["device"] == "evaluator" and offline["detail"]["error"] == "silent"


async def test_odd_numbers_from_the_core_never_drop_the_connection(
    core: FakeCore, tmp_path: Path, printer_sim: PrinterSimulator
) -> None:
    """`ahead: Infinity`, NaN and huge numbers are refused per message (issue 10)."""
    agent = make_agent(core, tmp_path, printer=printer_sim.url)
    await agent.start()
    try:
        await core.expect("hello")
        await core.send('{"type": "print", "job": "j-inf", "ticket": {"ahead": Infinity}}')
        await core.send({"type": "print", "job": "j-big", "ticket": {**TICKET, "ahead": 1e308}})
        bad = await core.expect("print_result")
        assert bad == {"type": "print_result", "job": "j-big", "ok": False,
                       "error": "bad_ticket"}
        await core.send({"type": "ping"})
        await core.expect("pong")  # the same connection still answers
    finally:
        await agent.stop()
    assert len(core.paths) == 1
