"""``hallq agent``: command line and config file for the device agent."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import logging
import os
import signal
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import yaml

from drivers.agent import Agent

__all__ = ["agent_from_argv", "build_parser", "load_settings", "main", "parse_led_map"]

TOKEN_ENV = "HALLQ_DEVICE_TOKEN"
KEYS = ("server", "hall", "name", "token", "printer", "evaluator", "scanner", "led",
        "led_map", "state_dir", "kiosks", "windows", "idcard")


def parse_led_map(text: str | Mapping[str, Any]) -> dict[str, int]:
    """Parse ``3=1,4=2`` (window=board address) or a mapping from a config file."""
    if isinstance(text, Mapping):
        return {str(k): int(v) for k, v in text.items()}
    result: dict[str, int] = {}
    for item in filter(None, (part.strip() for part in text.split(","))):
        window, sep, address = item.partition("=")
        if not sep or not window.strip() or not address.strip().isdigit():
            raise ValueError(f"bad --led-map entry {item!r}; write WINDOW=ADDRESS, e.g. 3=1")
        if not 0 < int(address) < 0xFF:
            raise ValueError(f"board address {address} not in 1..254")
        result[window.strip()] = int(address)
    return result


def build_parser() -> argparse.ArgumentParser:
    """The ``hallq agent`` argument parser."""
    p = argparse.ArgumentParser(prog="hallq agent", description="Run a hall PC's devices.")
    p.add_argument("--server", help="core URL, e.g. http://127.0.0.1:8000")
    p.add_argument("--hall", help="hall code, e.g. demo")
    p.add_argument("--name", help="this agent's name, e.g. kiosk-1")
    p.add_argument("--printer", help="tcp://HOST:9100, serial:///dev/ttyUSB0?baud=9600, "
                   "usb://VID:PID or file:///dev/usb/lp0")
    p.add_argument("--evaluator", help="serial:///dev/ttyS1")
    p.add_argument("--scanner", help="serial:///dev/ttyACM0")
    p.add_argument("--led", help="serial:///dev/ttyS2 (RS-485 bus of LED boards)")
    p.add_argument("--idcard", help="serial:///dev/ttyUSB1?baud=115200 (二代证 SAM reader)")
    p.add_argument("--led-map", dest="led_map", help="window=board address, e.g. 3=1,4=2")
    p.add_argument("--kiosk", dest="kiosks", action="append",
                   help="a kiosk whose tickets this PC's printer prints (repeatable)")
    p.add_argument("--window", dest="windows", action="append",
                   help="the window this PC's evaluator sits at (repeatable)")
    p.add_argument("--token", help=f"device token (default: ${TOKEN_ENV})")
    p.add_argument("--state-dir", dest="state_dir", help="where undelivered ratings wait")
    p.add_argument("--config", help="JSON or YAML file with the same keys (led_map a mapping)")
    p.add_argument("--log-level", default="INFO")
    return p


def load_settings(
    argv: Sequence[str] | None, env: Mapping[str, str] | None = None
) -> dict[str, Any]:
    """Merge config file, command line (wins) and environment into Agent keyword arguments."""
    parser = build_parser()
    args = parser.parse_args(argv)
    settings: dict[str, Any] = {}
    if args.config:
        text = Path(args.config).read_text(encoding="utf-8")
        loaded = json.loads(text) if args.config.endswith(".json") else yaml.safe_load(text)
        if not isinstance(loaded, dict):
            parser.error(f"{args.config} must hold a mapping")
        unknown = set(loaded) - set(KEYS)
        if unknown:
            parser.error(f"unknown keys in {args.config}: {sorted(unknown)}")
        settings.update(loaded)
    settings.update({k: getattr(args, k) for k in KEYS if getattr(args, k) is not None})
    environ = os.environ if env is None else env
    if not settings.get("token") and environ.get(TOKEN_ENV):
        settings["token"] = environ[TOKEN_ENV]
    missing = [k for k in ("server", "hall", "name") if not settings.get(k)]
    if missing:
        parser.error("missing " + ", ".join(f"--{k}" for k in missing))
    try:
        settings["led_map"] = parse_led_map(settings.get("led_map") or {})
    except ValueError as err:
        parser.error(str(err))
    for key in ("kiosks", "windows"):
        value = settings.get(key) or []
        settings[key] = [str(v) for v in ([value] if isinstance(value, str | int) else value)]
    settings["log_level"] = args.log_level
    return settings


def agent_from_argv(argv: Sequence[str] | None, env: Mapping[str, str] | None = None) -> Agent:
    """Build (not start) the Agent the command line describes."""
    settings = load_settings(argv, env)
    settings.pop("log_level")
    return Agent(**settings)


async def _run(agent: Agent) -> None:
    task = asyncio.create_task(agent.run())
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        with contextlib.suppress(NotImplementedError):  # Windows
            loop.add_signal_handler(sig, task.cancel)
    with contextlib.suppress(asyncio.CancelledError):
        await task


def main(argv: Sequence[str] | None = None) -> int:
    """Run ``hallq agent`` until interrupted; returns the exit status."""
    settings = load_settings(argv)
    logging.basicConfig(
        level=settings.pop("log_level").upper(),
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
    agent = Agent(**settings)
    asyncio.run(_run(agent))
    return 0
