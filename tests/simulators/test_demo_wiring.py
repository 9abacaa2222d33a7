"""``hallq demo`` wiring: start_all() plus an Agent, end to end against a fake core."""

from __future__ import annotations

from pathlib import Path

from drivers import Agent, Backoff
from simulators import sample_card, start_all
from tests.drivers.fake_core import FakeCore


async def test_every_simulated_device_through_one_agent(tmp_path: Path) -> None:
    core = await FakeCore(token="demo-token").start()
    sims = await start_all(windows=("1", "2", "3"), image_dir=tmp_path / "tickets")
    agent = Agent(server=core.url, hall="demo", name="demo-agent", token="demo-token",
                  state_dir=tmp_path / "agent", led_map=sims.led_map, backoff=Backoff(0.05, 0.5),
                  **sims.urls)
    await agent.start()
    try:
        hello = await core.expect("hello")
        await core.send({"type": "print", "job": "j1", "ticket": {
            "id": "t1", "number": "A001", "service": "S1", "service_name": "户籍办理",
            "centre": "示范政务服务中心", "ahead": 0, "issued_at": "09:00",
            "url": "http://127.0.0.1:8000/t/t1", "notice": "请留意叫号", "priority": "green",
            "reprint": False}})
        assert (await core.expect("print_result"))["ok"] is True
        receipt = await sims.printer.wait_for_receipt()
        await core.send({"type": "call", "ticket": "A001", "window": "2", "service": "S1",
                         "service_name": "户籍办理", "recall": False, "at": "09:01"})
        await sims.led.wait_for_text(2, ["请A001号 到2号窗口", "户籍办理"])
        sims.evaluator.set_next_rating(5)
        await core.send({"type": "evaluate", "ticket_id": "t1", "ticket": "A001", "window": "2",
                         "staff_name": "陈七", "staff_no": "0002"})
        rating = await core.expect("rating")
        sims.scanner.scan("APPT-9")
        scan = await core.expect("scan")
        sims.idcard.put_card(sample_card("11010519491231002X"))
        card = await core.expect("idcard")
    finally:
        await agent.stop()
        await sims.stop()
        await core.stop()
    assert [d["kind"] for d in hello["devices"]] == ["printer", "evaluator", "scanner", "led",
                                                     "idcard"]
    assert card == {"type": "idcard", "device": "idcard", "id_number": "11010519491231002X",
                    "expired": False}
    assert receipt.lines[2].text == "【绿色通道】" and receipt.lines[3].text == "A001"
    assert sims.printer.images[0].exists()
    assert (rating["ticket_id"], rating["level"], rating["reasons"]) == ("t1", 5, [])
    assert scan["code"] == "APPT-9"
