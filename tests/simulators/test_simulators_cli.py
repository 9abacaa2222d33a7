"""``python -m simulators``: URLs for the demo, and the control commands."""

from __future__ import annotations

import asyncio
import json
import os
import sys
from pathlib import Path

from drivers.serial_transport import SerialTransport
from simulators import start_all
from simulators.cli import execute

ROOT = Path(__file__).resolve().parents[2]


async def test_start_all_and_control_commands() -> None:
    sims = await start_all(windows=("1", "2"))
    try:
        assert sims.led_map == {"1": 1, "2": 2}
        assert sims.urls["printer"].startswith("tcp://127.0.0.1:")
        assert all(sims.urls[k].startswith("serial:///dev/") for k in ("evaluator", "scanner"))
        assert execute(sims, "paper out") == "paper out" and sims.printer.paper_out
        assert execute(sims, "cover open") == "cover open" and sims.printer.cover_open
        assert execute(sims, "rate 2 1,5") == "next rating 2 [1, 5]"
        assert execute(sims, "boards") == "1:  | \n2:  | "
        assert execute(sims, "printed") == "(nothing printed)"
        assert execute(sims, "rate 9").startswith("commands:")
        assert execute(sims, "card 11010519491231002X 王五") == "card on the reader"
        assert sims.idcard.card is not None and sims.idcard.card.name == "王五"
        assert execute(sims, "card 110105194912310021").startswith("not a valid ID number")
        assert execute(sims, "card fault read") == "reader fault read"
        assert sims.idcard.read_fault and not sims.idcard.silent
        assert execute(sims, "card fault none") == "reader fault none"
        assert not sims.idcard.read_fault
        assert execute(sims, "card off") == "card taken away" and sims.idcard.card is None
        port = SerialTransport(sims.scanner.path)
        await port.open()
        try:
            assert execute(sims, "scan APPT 1") == "scanned"
            got = b""
            while not got.endswith(b"\r\n"):
                got += await port.read(2.0)
        finally:
            await port.close()
        assert got == b"APPT 1\r\n"
    finally:
        await sims.stop()


async def test_module_prints_urls_then_quits() -> None:
    proc = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "simulators", "--windows", "3,4", cwd=ROOT,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
        stdin=asyncio.subprocess.PIPE, stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    try:
        assert proc.stdout is not None and proc.stdin is not None
        urls = json.loads(await asyncio.wait_for(proc.stdout.readline(), 20))
        proc.stdin.write(b"quit\n")
        await proc.stdin.drain()
        returncode = await asyncio.wait_for(proc.wait(), 10)
    finally:
        if proc.returncode is None:
            proc.kill()
            await proc.wait()
    assert set(urls) == {"printer", "evaluator", "scanner", "led", "idcard", "led_map"}
    assert urls["led_map"] == "3=1,4=2"
    assert returncode == 0
