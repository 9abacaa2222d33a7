"""``python -m simulators``: start every device simulator and drive them from stdin."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import sys
from collections.abc import Sequence

from drivers.idcard_protocol import id_number_valid
from simulators.devices import DeviceSimulators, start_all
from simulators.idcard import sample_card

__all__ = ["execute", "main"]

HELP = """commands:
  scan CODE                 the scanner reads CODE
  card ID_NUMBER [NAME]     put an ID card on the reader (e.g. card 11010519491231002X)
  card off                  take the card away
  card fault read|sam|mute|none  unreadable cards, a dead SAM module, silence, or healthy
  rate LEVEL [R1,R2]        the next prompt is answered with LEVEL (1-5) and 差评 reasons
  paper out|low|in          run out of paper, nearly out, or load a roll
  cover open|close          open or close the printer cover
  boards                    what every LED board shows
  printed                   the last printed ticket
  quit"""


def execute(sims: DeviceSimulators, line: str) -> str:
    """Run one control command against the simulators; return the reply text."""
    words = line.split()
    if not words:
        return ""
    cmd, args = words[0], words[1:]
    if cmd == "scan" and args:
        sims.scanner.scan(" ".join(args))
        return "scanned"
    if cmd == "card" and args:
        return _card(sims, args)
    if cmd == "rate" and args and args[0].isdigit() and 1 <= int(args[0]) <= 5:
        reasons = tuple(int(r) for r in args[1].split(",")) if len(args) > 1 else ()
        sims.evaluator.set_next_rating(int(args[0]), reasons)
        return f"next rating {args[0]} {list(reasons)}"
    if cmd == "paper" and args and args[0] in ("out", "low", "in"):
        sims.printer.set_paper(out=args[0] == "out", near_end=args[0] == "low")
        return f"paper {args[0]}"
    if cmd == "cover" and args and args[0] in ("open", "close"):
        sims.printer.set_cover(open=args[0] == "open")
        return f"cover {args[0]}"
    if cmd == "boards":
        return "\n".join(f"{a}: {' | '.join(sims.led.text(a))}" for a in sims.led.boards)
    if cmd == "printed":
        return sims.printer.receipts[-1].text if sims.printer.receipts else "(nothing printed)"
    return HELP


def _card(sims: DeviceSimulators, args: list[str]) -> str:
    reader = sims.idcard
    if args[0] == "off":
        reader.take_card()
        return "card taken away"
    if args[0] == "fault" and len(args) > 1 and args[1] in ("read", "sam", "mute", "none"):
        reader.read_fault, reader.sam_fault, reader.silent = (
            args[1] == "read", args[1] == "sam", args[1] == "mute")
        return f"reader fault {args[1]}"
    number = args[0].upper()
    if not id_number_valid(number):
        return "not a valid ID number (18 characters, right check character)"
    reader.put_card(sample_card(number, **({"name": args[1]} if len(args) > 1 else {})))
    return "card on the reader"


async def _serve(args: argparse.Namespace) -> None:
    windows = [w for w in args.windows.split(",") if w]
    sims = await start_all(windows=windows, image_dir=args.image_dir, printer_port=args.port)
    led_map = ",".join(f"{w}={a}" for w, a in sims.led_map.items())
    print(json.dumps({**sims.urls, "led_map": led_map}), flush=True)
    for kind, url in sims.urls.items():
        print(f"  --{kind} {url}", file=sys.stderr)
    print(f"  --led-map {led_map}\n{HELP}", file=sys.stderr)
    loop = asyncio.get_running_loop()
    try:
        while True:
            line = await loop.run_in_executor(None, sys.stdin.readline)
            if not line or line.strip() == "quit":
                if not line:  # stdin closed (run in the background): keep serving
                    await asyncio.Event().wait()
                break
            print(execute(sims, line), file=sys.stderr, flush=True)
    finally:
        await sims.stop()


def main(argv: Sequence[str] | None = None) -> int:
    """Start all simulators, print their URLs as one JSON line, serve until quit."""
    parser = argparse.ArgumentParser(prog="python -m simulators")
    parser.add_argument("--windows", default="1,2,3,4,5,6", help="one LED board per window")
    parser.add_argument("--image-dir", help="write a PNG of every printed ticket here")
    parser.add_argument("--port", type=int, default=0, help="printer TCP port (0: any free)")
    args = parser.parse_args(argv)
    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(_serve(args))
    return 0
