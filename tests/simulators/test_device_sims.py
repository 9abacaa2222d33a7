"""Each simulator spoken to with raw bytes over its real TCP socket or pseudo-tty."""

import asyncio
import socket
from pathlib import Path

from drivers.evaluator_protocol import (
    Ack,
    EvaluatorDecoder,
    Heartbeat,
    Prompt,
    Rating,
    Received,
    Status,
    encode,
)
from drivers.led_protocol import BROADCAST, LedDecoder, LedFrame, clear, reply, show_text
from drivers.serial_transport import SerialTransport
from drivers.ticket import Ticket, render_ticket
from simulators import EvaluatorSimulator, LedBoardSimulator, PrinterSimulator, ScannerSimulator


async def read_until(port: SerialTransport, size: int, timeout: float = 3.0) -> bytes:
    data = b""
    loop = asyncio.get_running_loop()
    end = loop.time() + timeout
    while len(data) < size and loop.time() < end:
        data += await port.read(0.1)
    return data


async def test_printer_answers_status_in_every_state(printer_sim: PrinterSimulator) -> None:
    reader, writer = await asyncio.open_connection("127.0.0.1", printer_sim.port)
    queries = b"\x10\x04\x01\x10\x04\x02\x10\x04\x03\x10\x04\x04\x1dr\x01"
    replies = []
    for state in ("ok", "low", "out", "cover"):
        printer_sim.set_paper(out=state == "out", near_end=state == "low")
        printer_sim.set_cover(open=state == "cover")
        writer.write(queries)
        await writer.drain()
        replies.append(await asyncio.wait_for(reader.readexactly(5), 3))
    writer.close()
    assert replies == [
        bytes((0x12, 0x12, 0x12, 0x12, 0x00)),
        bytes((0x12, 0x12, 0x12, 0x1E, 0x03)),
        bytes((0x1A, 0x32, 0x12, 0x72, 0x0C)),
        bytes((0x1A, 0x16, 0x12, 0x12, 0x00)),
    ]


async def test_printer_prints_png_and_loses_tickets_without_paper(tmp_path: Path) -> None:
    sim = PrinterSimulator(image_dir=tmp_path)
    await sim.start()
    ticket = render_ticket(Ticket("中心", "社保", "A001", 1, "09:00", "http://h/t/1"))
    try:
        with socket.create_connection(("127.0.0.1", sim.port)) as sock:
            sock.sendall(ticket)
            receipt = await sim.wait_for_receipt()
            sim.set_paper(out=True)
            sock.sendall(ticket)
            for _ in range(100):
                if sim.lost:
                    break
                await asyncio.sleep(0.02)
    finally:
        await sim.stop()
    assert receipt.lines[2].text == "A001"
    assert (sim.lost, len(sim.receipts)) == (1, 1)
    assert sim.images == [tmp_path / "ticket-0001.png"]
    assert sim.images[0].read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


async def test_evaluator_heartbeats_answers_prompts_and_rates(
    evaluator_sim: EvaluatorSimulator,
) -> None:
    port = SerialTransport(evaluator_sim.path)
    await port.open()
    decoder = EvaluatorDecoder()
    try:
        evaluator_sim.set_next_rating(5)
        await port.write(encode(1, Heartbeat()) + encode(2, Prompt("A1", "t1", "2", "赵六", "7")))
        events: list[Received] = []
        def seen(kind: type) -> bool:
            return any(isinstance(e.message, kind) for e in events)

        while not (seen(Rating) and seen(Heartbeat)):  # heartbeats come every 0.2 s
            chunk = await read_until(port, 1)
            assert chunk, "the evaluator went quiet"
            events += [e for e in decoder.feed(chunk) if isinstance(e, Received)]
        rating = next(e for e in events if isinstance(e.message, Rating))
        await port.write(encode(3, Ack(rating.seq)))
        answer = await evaluator_sim.wait_answered(evaluator_sim.outcomes[0])
    finally:
        await port.close()
    messages = [e.message for e in events]
    assert Heartbeat() in messages
    assert Status(0, 0, "sim-1.0") in messages
    assert Ack(2) in messages  # the prompt was shown
    assert rating.message == Rating("t1", 5)
    assert answer == Ack(rating.seq) and evaluator_sim.heartbeats_received == 1


async def test_led_bus_acks_only_its_boards(led_sim: LedBoardSimulator) -> None:
    port = SerialTransport(led_sim.path)
    await port.open()
    try:
        await port.write(show_text(2, 0, "请B7号"))
        got = await read_until(port, len(reply(2, 0x10)))
        await port.write(b"\xde\xad" + show_text(7, 0, "x") + show_text(BROADCAST, 1, "广播"))
        await port.write(clear(2, 0))
        rest = await read_until(port, len(reply(2, 0x11)))
    finally:
        await port.close()
    assert LedDecoder().feed(got) == [LedFrame(2, 0x06, b"\x10")]
    assert LedDecoder().feed(rest) == [LedFrame(2, 0x06, b"\x11")]  # no reply for 7 or broadcast
    assert led_sim.text(2) == ["", "广播"] and led_sim.text(1) == ["", "广播"]
    assert led_sim.garbled == 1


async def test_scanner_sends_lines(scanner_sim: ScannerSimulator) -> None:
    port = SerialTransport(scanner_sim.path)
    await port.open()
    try:
        scanner_sim.scan("T-1")
        scanner_sim.terminator = b"\r"
        scanner_sim.scan("预约")
        got = await read_until(port, 14)
    finally:
        await port.close()
    assert got == b"T-1\r\n" + "预约".encode() + b"\r"
