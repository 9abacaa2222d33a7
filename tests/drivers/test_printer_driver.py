"""The production printer driver against the TCP ESC/POS simulator."""

import asyncio
from pathlib import Path

from drivers import Backoff, DeviceStatus, MemoryTransport, PrinterDriver, Ticket
from simulators import PrinterSimulator

TICKET = Ticket(
    centre="焦作市政务服务中心", service_name="不动产登记", number="B012", ahead=5,
    issued_at="2026-11-23 09:30", url="http://hall.example/t/77", tag="green",
)


def driver(url: str, statuses: list[DeviceStatus]) -> PrinterDriver:
    return PrinterDriver(
        url, name="kiosk-printer", on_status=statuses.append, poll_interval=0.1,
        reply_timeout=0.3, backoff=Backoff(0.05, 0.2),
    )


async def test_prints_a_chinese_ticket_with_qr_and_cut(printer_sim: PrinterSimulator) -> None:
    statuses: list[DeviceStatus] = []
    printer = driver(printer_sim.url, statuses)
    await printer.start()
    try:
        result = await printer.print_ticket(TICKET)
        receipt = await printer_sim.wait_for_receipt()
    finally:
        await printer.stop()
    assert result.ok and result.error is None
    assert receipt.cut
    assert receipt.qr_codes == ["http://hall.example/t/77"]
    texts = [line.text for line in receipt.lines]
    assert texts[:4] == ["焦作市政务服务中心", "不动产登记", "【绿色通道】", "B012"]
    assert "您前面还有 5 人等候" in texts
    number = receipt.lines[3]
    assert (number.width, number.height, number.bold, number.align) == (4, 4, True, "center")
    assert statuses[0] == DeviceStatus("kiosk-printer", "printer", True, statuses[0].detail)


async def test_paper_out_is_refused_and_reported(printer_sim: PrinterSimulator) -> None:
    statuses: list[DeviceStatus] = []
    printer = driver(printer_sim.url, statuses)
    await printer.start()
    try:
        assert await printer.wait_connected(2)
        printer_sim.set_paper(out=True)
        result = await printer.print_ticket(TICKET)
        printer_sim.set_paper(near_end=True)
        status = await printer.status()
    finally:
        await printer.stop()
    assert (result.ok, result.error) == (False, "paper_out")
    assert printer_sim.receipts == []
    assert any(s.online and s.detail["paper_out"] for s in statuses)
    assert status.ready and status.paper_near_end


async def test_cover_open_polled_without_printing(printer_sim: PrinterSimulator) -> None:
    statuses: list[DeviceStatus] = []
    printer = driver(printer_sim.url, statuses)
    printer_sim.set_cover(open=True)
    await printer.start()
    try:
        for _ in range(50):
            if statuses and statuses[-1].detail.get("cover_open"):
                break
            await asyncio.sleep(0.05)
        assert (await printer.print_ticket(TICKET)).error == "cover_open"
    finally:
        await printer.stop()
    assert statuses[-1].detail["cover_open"] and statuses[-1].detail["offline"]


async def test_unreachable_printer_then_it_comes_back(tmp_path: Path) -> None:
    sim = PrinterSimulator()
    await sim.start()
    url = sim.url
    await sim.stop()
    statuses: list[DeviceStatus] = []
    printer = driver(url, statuses)
    printer.connect_wait = 0.2
    await printer.start()
    try:
        result = await printer.print_ticket(TICKET)
        assert (result.ok, result.error) == (False, "offline")
        assert not printer.health().online
        sim = PrinterSimulator(port=int(url.rsplit(":", 1)[1]))
        await sim.start()
        printer.connect_wait = 3.0
        assert (await printer.print_ticket(TICKET)).ok
        assert printer.health().online
        await sim.wait_for_receipt()
    finally:
        await printer.stop()
        await sim.stop()


async def test_silent_printer_is_offline(printer_sim: PrinterSimulator) -> None:
    printer_sim.silent = True
    statuses: list[DeviceStatus] = []
    printer = driver(printer_sim.url, statuses)
    await printer.start()
    try:
        assert await printer.wait_connected(2)
        result = await printer.print_ticket(TICKET)
    finally:
        await printer.stop()
    assert (result.ok, result.error) == (False, "offline")
    assert printer_sim.receipts == []


async def test_file_printer_prints_blind(tmp_path: Path) -> None:
    out = tmp_path / "lp0"
    printer = PrinterDriver(f"file://{out}", poll_interval=0.1)
    await printer.start()
    try:
        assert (await printer.print_ticket(TICKET)).ok
        assert printer.health().detail["known"] is False
    finally:
        await printer.stop()
    assert out.read_bytes().endswith(b"\x1dV\x00")


async def test_garbage_status_reply_is_an_error_not_a_crash() -> None:
    memory = MemoryTransport("p", responder=lambda data: b"\xff")
    printer = PrinterDriver(memory, poll_interval=0.05, reply_timeout=0.2)
    await printer.start()
    try:
        result = await printer.print_ticket(TICKET)
    finally:
        await printer.stop()
    assert (result.ok, result.error) == (False, "error")
    assert bytes(memory.written).startswith(b"\x10\x04\x01")


async def test_stale_bytes_do_not_shift_the_replies() -> None:
    memory = MemoryTransport("p", responder=lambda data: b"\x12")
    memory.feed(b"\x1a\x1a")  # a late reply still waiting in the buffer
    printer = PrinterDriver(memory, poll_interval=10, reply_timeout=0.2)
    await printer.start()
    try:
        assert await printer.wait_connected(2)
        status = await printer.status()
    finally:
        await printer.stop()
    assert status.ready and not status.offline
