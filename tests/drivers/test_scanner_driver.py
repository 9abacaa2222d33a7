"""The production scanner driver against the pty scanner simulator."""

import asyncio
import random

from drivers import Backoff, ScanEvent, ScannerDriver
from drivers.scanner import decode_scan
from simulators import ScannerSimulator


async def collect(scanner_sim: ScannerSimulator, sends: list[bytes], n: int) -> list[ScanEvent]:
    scans: list[ScanEvent] = []
    scanner = ScannerDriver(scanner_sim.url, name="counter-3", on_scan=scans.append,
                            max_line=64, backoff=Backoff(0.05, 0.2))
    await scanner.start()
    try:
        assert await scanner.wait_connected(2)
        for data in sends:
            scanner_sim.send(data)
            await asyncio.sleep(0.02)
        for _ in range(100):
            if len(scans) >= n:
                break
            await asyncio.sleep(0.02)
        assert scanner.health().online
    finally:
        await scanner.stop()
    return scans


async def test_scans_with_any_line_ending(scanner_sim: ScannerSimulator) -> None:
    sends = [b"APPT-1\r", b"APPT-2\n", b"APPT", b"-3\r\n", b"\r\n", b"T:42\n"]
    scans = await collect(scanner_sim, sends, 4)
    assert [s.code for s in scans] == ["APPT-1", "APPT-2", "APPT-3", "T:42"]
    assert scans[0].device == "counter-3"


async def test_overlong_garbage_is_dropped(scanner_sim: ScannerSimulator) -> None:
    scans = await collect(scanner_sim, [b"\xff" * 500 + b"\r\n", b"OK-1\r\n"], 1)
    assert [s.code for s in scans] == ["OK-1"]


async def test_scan_helper_and_iterator(scanner_sim: ScannerSimulator) -> None:
    scanner = ScannerDriver(scanner_sim.url)
    await scanner.start()
    try:
        assert await scanner.wait_connected(2)
        scanner_sim.scan("http://hall.example/t/9")
        got = await asyncio.wait_for(anext(aiter(scanner.scans())), 3)
    finally:
        await scanner.stop()
    assert got == ScanEvent("scanner", "http://hall.example/t/9")


def test_decode_scan_utf8_gb18030_and_controls() -> None:
    assert decode_scan("预约123".encode()) == "预约123"
    assert decode_scan("号码123".encode("gb18030")) == "号码123"
    assert decode_scan("预约123".encode("gb18030"), "gb18030") == "预约123"
    assert decode_scan(b" A\x00B\x1b ") == "AB"


async def test_a_flood_of_random_bytes_then_a_scan(scanner_sim: ScannerSimulator) -> None:
    scans: list[ScanEvent] = []
    scanner = ScannerDriver(scanner_sim.url, on_scan=scans.append, max_line=64)
    await scanner.start()
    try:
        assert await scanner.wait_connected(2)
        scanner_sim.send(random.Random(7).randbytes(200_000) + b"\r\n")
        scanner_sim.scan("AFTER-FLOOD")
        for _ in range(250):
            if scans and scans[-1].code == "AFTER-FLOOD":
                break
            await asyncio.sleep(0.02)
        assert scanner.health().online
    finally:
        await scanner.stop()
    assert scans[-1].code == "AFTER-FLOOD"
    assert all(len(s.code) <= 64 for s in scans)


async def test_unplugged_scanner_is_reported_offline() -> None:
    sim = ScannerSimulator()
    await sim.start()
    statuses: list[bool] = []
    scanner = ScannerDriver(sim.url, on_status=lambda s: statuses.append(s.online),
                            backoff=Backoff(0.05, 0.2))
    await scanner.start()
    try:
        assert await scanner.wait_connected(2)
        await sim.stop()  # the USB cable is pulled: the port vanishes
        for _ in range(100):
            if statuses[-1] is False:
                break
            await asyncio.sleep(0.02)
    finally:
        await scanner.stop()
    assert statuses[0] is True and statuses[-1] is False
    assert "error" in scanner.health().detail
