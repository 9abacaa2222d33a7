"""The `hallq` command: serve, demo, load, device, bench, agent, voice, simulate, plan."""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
from collections.abc import Callable, Sequence
from pathlib import Path

import yaml
from pydantic import ValidationError

DEFAULT_DB = "sqlite:///hallq.db"
# Screens get small JSON messages on a LAN: compressing each one for each of a thousand
# screens costs more CPU than it saves (see `hallq bench display`).
WS_DEFLATE = False


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the `hallq` command."""
    parser = argparse.ArgumentParser(prog="hallq", description="Hall Queue (政务大厅排队叫号)")
    sub = parser.add_subparsers(dest="command", required=True)

    serve = sub.add_parser("serve", help="run the core")
    _server_args(serve)
    serve.add_argument("--workers", type=int, default=1, help="core processes")
    serve.add_argument("--speed", type=float, default=None,
                       help="run the core's clock this many times faster (HALLQ_CLOCK_SPEED)")
    serve.add_argument("--start", default=None,
                       help="the core's clock starts at this ISO time (HALLQ_CLOCK_START)")

    demo = sub.add_parser("demo", help="seed the demo hall and run it with simulated devices")
    _server_args(demo, default_db="sqlite:///hallq-demo.db")
    demo.add_argument("--no-devices", action="store_true", help="do not start simulators")

    load = sub.add_parser("load", help="create or update a hall from a YAML file")
    load.add_argument("file", type=Path)
    load.add_argument("--database", default=None)

    device = sub.add_parser("device", help="register a device and print its token")
    device.add_argument("--hall", required=True)
    device.add_argument("--name", required=True)
    device.add_argument("--kind", required=True, choices=["kiosk", "screen", "agent", "counter"])
    device.add_argument("--database", default=None)

    # Run as their own process from simulators/ (the core never imports the simulators).
    sub.add_parser("bench", help="benchmarks: core, display, day (see `hallq bench --help`)",
                   add_help=False)
    voice = sub.add_parser("voice", help="announce a hall's calls on this PC's speakers")
    voice.add_argument("--server", required=True, help="the core's URL, e.g. http://10.0.0.2:8000")
    voice.add_argument("--hall", required=True)
    voice.add_argument("--token", default=None, help="device token (HALLQ_DEVICE_TOKEN)")
    voice.add_argument("--pack", default=None, help="clip pack directory (HALLQ_VOICE_PACK)")
    voice.add_argument("--template", default=None, help="e.g. 请{ticket}号到{window}号窗口办理")
    voice.add_argument("--out", default=None, help="write each announcement as a WAV here "
                                                   "instead of playing it")

    sub.add_parser("simulate", help="play a hall day against the core (crowd sim)",
                   add_help=False)

    plan = sub.add_parser("plan", help="recommend windows per hour from the hall's history")
    plan.add_argument("--hall", required=True)
    plan.add_argument("--database", default=None)
    plan.add_argument("--date", default=None, help="the day planned (default tomorrow)")
    plan.add_argument("--weeks", type=int, default=4, help="weeks of history")
    plan.add_argument("--target", type=float, default=20, help="p90 wait target, minutes")
    plan.add_argument("--plan", type=Path, default=None,
                      help="a YAML of your own plan ({hour: {group: windows}}) to evaluate")
    plan.add_argument("--json", action="store_true", help="print JSON")

    from server.reports.cli import add_report_parser

    add_report_parser(sub)

    sub.add_parser("agent", help="run the device agent (see `hallq agent --help`)",
                   add_help=False)

    args, rest = parser.parse_known_args(argv)
    if args.command == "agent":
        return _agent(rest)
    if args.command in ("bench", "simulate"):
        return _outside(args.command, rest)
    if rest:
        parser.error(f"unrecognised arguments: {' '.join(rest)}")
    handlers: dict[str, Callable[[argparse.Namespace], int]] = {
        "serve": _serve, "demo": _demo, "load": _load, "device": _device,
        "voice": _voice, "plan": _plan, "report": _report,
    }
    return handlers[args.command](args)


def _server_args(p: argparse.ArgumentParser, default_db: str | None = None) -> None:
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--port", type=int, default=8000)
    p.add_argument("--database", default=default_db, help="SQLAlchemy URL (HALLQ_DATABASE_URL)")
    p.add_argument("--log-level", default="info",
                   choices=["critical", "error", "warning", "info", "debug"],
                   help="logging level of the server")
    # One log line per request costs more CPU than issuing a ticket's SQL; halls that
    # want it ask for it.
    p.add_argument("--access-log", action="store_true",
                   help="log every request (off by default; HALLQ_ACCESS_LOG=1)")


def _use_database(url: str | None) -> None:
    """Make `url` (or HALLQ_DATABASE_URL, or the SQLite default) the settings' database."""
    from server.settings import get_settings

    os.environ["HALLQ_DATABASE_URL"] = url or os.environ.get("HALLQ_DATABASE_URL", DEFAULT_DB)
    get_settings.cache_clear()


def _serve(args: argparse.Namespace) -> int:
    import uvicorn

    _use_database(args.database)
    if args.speed is not None:
        os.environ["HALLQ_CLOCK_SPEED"] = str(args.speed)
    if args.start is not None:
        os.environ["HALLQ_CLOCK_START"] = args.start
    from server.app import build_core
    from server.settings import get_settings, weak_secrets

    problems = weak_secrets(get_settings())
    if problems:
        for problem in problems:
            print(f"hallq serve: {problem}", file=sys.stderr)
        return 2
    core = build_core()
    core.db.dispose()  # migrate once before the workers start
    if args.workers > 1 and not os.environ.get("HALLQ_REDIS_URL"):
        print("hallq serve: several workers without HALLQ_REDIS_URL: a call made on one "
              "worker reaches only the screens connected to that worker", file=sys.stderr)
    uvicorn.run("server.asgi:app", host=args.host, port=args.port, workers=args.workers,
                log_level=args.log_level, access_log=args.access_log or core.settings.access_log,
                ws_per_message_deflate=WS_DEFLATE)
    return 0


def _demo(args: argparse.Namespace) -> int:
    import uvicorn

    os.environ["HALLQ_DEMO"] = "1"
    _use_database(args.database)
    from server.app import build_core, create_app
    from server.demo.seed import seed

    core = build_core()
    tokens = seed(core)
    base = f"http://{args.host}:{args.port}"
    platform = None
    if not args.no_devices and "HALLQ_BOOKING_PLATFORM_MODE" not in os.environ:
        platform = _booking_platform_sim()
    links = None
    if not args.no_devices and "HALLQ_SMS_URL" not in os.environ:
        links = _link_sims()
    password = core.settings.demo_password
    print(f"Hall Queue demo hall 'demo' on {base}")
    print(f"  accounts staff1…staff6, operator, admin — password {password!r}")
    print("  device tokens: " + ", ".join(f"{k}={v}" for k, v in tokens.items()))
    devices = None
    if not args.no_devices:
        # The simulated hardware and its agent run in their own process: the core's CPU
        # is the core's alone (rendering every printed ticket to a PNG costs more than
        # issuing it).
        devices = subprocess.Popen(
            [sys.executable, "-m", "simulators.demo_hall", "--server", base,
             "--state-dir", "hallq-demo-devices"],
            env={**os.environ, "HALLQ_DEVICE_TOKEN": tokens["agent-1"]})
    try:
        uvicorn.run(create_app(core), host=args.host, port=args.port,
                    log_level=args.log_level,
                    access_log=args.access_log or core.settings.access_log,
                    ws_per_message_deflate=WS_DEFLATE)
    finally:
        if platform is not None:
            platform.terminate()
            platform.wait(10)
        if links is not None:
            links.terminate()
            links.wait(10)
        if devices is not None:
            devices.terminate()
            try:
                devices.wait(10)
            except subprocess.TimeoutExpired:
                devices.kill()
    return 0


def _link_sims() -> subprocess.Popen[str]:
    """The SMS gateway, WeChat and 好差评 platform simulators the demo's core sends to."""
    proc = subprocess.Popen([sys.executable, "-m", "simulators.links"],
                            stdout=subprocess.PIPE, text=True)
    assert proc.stdout is not None
    started: dict[str, str] = json.loads(proc.stdout.readline())
    os.environ.update(started)
    print(f"  SMS gateway, WeChat and 好差评 platform (simulated): texts at "
          f"{started['HALLQ_SMS_URL'].rsplit('/', 1)[0]}/messages, records at "
          f"{started['HALLQ_EVALUATION_PLATFORM_URL']}/records")
    return proc


def _booking_platform_sim() -> subprocess.Popen[str]:
    """The provincial booking platform's simulator, with a few bookings, polled by the demo."""
    proc = subprocess.Popen(
        [sys.executable, "-m", "simulators.booking_platform", "--demo-hall", "demo"],
        stdout=subprocess.PIPE, text=True)
    assert proc.stdout is not None
    started = json.loads(proc.stdout.readline())
    os.environ.update(HALLQ_BOOKING_PLATFORM_MODE="poll",
                      HALLQ_BOOKING_PLATFORM_URL=started["url"],
                      HALLQ_BOOKING_PLATFORM_KEY=started["key"],
                      HALLQ_BOOKING_PLATFORM_POLL_S="10")
    print(f"  booking platform (simulated): {started['url']}, polled every 10 s")
    return proc


def _load(args: argparse.Namespace) -> int:
    _use_database(args.database)
    from server.app import build_core
    from server.errors import HallqError
    from server.halls import flows
    from server.halls.schemas import HallConfig

    try:
        raw = yaml.safe_load(args.file.read_text(encoding="utf-8"))
        config = HallConfig.model_validate(raw)
    except (OSError, yaml.YAMLError, ValidationError) as err:
        print(f"hallq load: {args.file}: {err}", file=sys.stderr)
        return 2
    try:
        code = flows.load(build_core(), config=config)
    except HallqError as err:
        print(f"hallq load: {err.detail}", file=sys.stderr)
        return 2
    print(f"loaded hall {code}")
    return 0


def _device(args: argparse.Namespace) -> int:
    _use_database(args.database)
    from server.app import build_core
    from server.auth import service as auth
    from server.errors import HallqError

    try:
        _, token = auth.register_device(build_core(), hall=args.hall, name=args.name,
                                        kind=args.kind)
    except HallqError as err:
        print(f"hallq device: {err.detail}", file=sys.stderr)
        return 2
    print(token)
    return 0


def _outside(command: str, rest: list[str]) -> int:
    """Hand `hallq bench|simulate …` to `python -m simulators.commands` (its own process)."""
    try:
        return subprocess.call([sys.executable, "-m", "simulators.commands", command, *rest])
    except KeyboardInterrupt:
        return 130


def _plan(args: argparse.Namespace) -> int:
    _use_database(args.database)
    from server.planner.cli import main as plan_main

    return plan_main(hall=args.hall, day=args.date, weeks=args.weeks, target_min=args.target,
                     plan_file=args.plan, as_json=args.json)


def _voice(args: argparse.Namespace) -> int:
    import logging

    from server.events.speaker import run_speaker

    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(message)s")
    return run_speaker(server=args.server, hall=args.hall,
                       token=args.token or os.environ.get("HALLQ_DEVICE_TOKEN"),
                       pack=args.pack, template=args.template, out=args.out)


def _report(args: argparse.Namespace) -> int:
    _use_database(args.database)
    from server.reports.cli import run

    return run(args)


def _agent(rest: list[str]) -> int:
    try:
        from drivers.agent_cli import main as agent_main
    except ImportError as err:
        print(f"hallq agent: the device agent is not available: {err}", file=sys.stderr)
        return 2
    return int(agent_main(rest) or 0)


if __name__ == "__main__":
    raise SystemExit(main())
