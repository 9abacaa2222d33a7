"""The `hallq` command: serve, demo, load, device, bench, agent, voice, simulate, plan."""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

DEFAULT_DB = "sqlite:///hallq.db"
DEMO_DB = "sqlite:///hallq-demo.db"
# The setting `hallq demo` leaves in the directory it runs in, so that the other commands
# run there (`hallq device`, `plan`, `report` …) find the demo's database as the README
# writes them. KEY=VALUE lines; only HALLQ_DATABASE_URL is read. Delete it to go back.
SETTINGS_FILE = Path("hallq.env")
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
    serve.add_argument("--cpu", default=None,
                       help="auto (default): each core process claims a CPU of its own; "
                            "off: any CPU; or a CPU number (HALLQ_CPU)")
    serve.add_argument("--speed", type=float, default=None,
                       help="run the core's clock this many times faster (HALLQ_CLOCK_SPEED)")
    serve.add_argument("--start", default=None,
                       help="the core's clock starts at this ISO time (HALLQ_CLOCK_START)")

    demo = sub.add_parser("demo", help="seed the demo hall and run it with simulated devices")
    _server_args(demo, default_db="sqlite:///hallq-demo.db")
    demo.add_argument("--no-devices", action="store_true", help="do not start simulators")

    load = sub.add_parser(
        "load", help="create or update a hall from a YAML file",
        description="New accounts in the file without a password get $HALLQ_STAFF_PASSWORD, "
                    "or are asked for one on a terminal.")
    load.add_argument("file", type=Path)
    _database_arg(load)

    device = sub.add_parser(
        "device", help="register a device and print its token; list, rotate or revoke",
        description="hallq device --hall H --name N --kind K   registers N, prints its token "
                    "(a name in use is refused unless --rotate); hallq device list --hall H; "
                    "hallq device rotate|revoke --hall H --name N")
    device.add_argument("action", nargs="?", default="add",
                        choices=["add", "list", "rotate", "revoke"])
    device.add_argument("--hall", required=True)
    device.add_argument("--name", default=None)
    device.add_argument("--kind", default=None, choices=["kiosk", "screen", "agent", "counter"])
    device.add_argument("--rotate", action="store_true",
                        help="add: the name is in use: revoke its tokens and issue a new one")
    _database_arg(device)

    admin = sub.add_parser(
        "admin", help="the deployment administrator (creates halls and centres)",
        description="hallq admin create --job-no J --name N   creates the deployment-wide "
                    "administrator, or resets its password. The password comes from "
                    "$HALLQ_ADMIN_PASSWORD, or is asked on a terminal (at least 8 characters).")
    admin_sub = admin.add_subparsers(dest="admin_action", required=True)
    admin_create = admin_sub.add_parser("create", help="create the deployment administrator "
                                                       "(or reset its password)")
    admin_create.add_argument("--job-no", required=True, help="the account's login (工号)")
    admin_create.add_argument("--name", required=True, help="the person's name")
    _database_arg(admin_create)

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
    _database_arg(plan)
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
        "serve": _serve, "demo": _demo, "load": _load, "device": _device, "admin": _admin,
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


def _database_arg(p: argparse.ArgumentParser) -> None:
    p.add_argument("--database", default=None,
                   help="SQLAlchemy URL (HALLQ_DATABASE_URL; else hallq.env; else hallq.db)")


def _settings_file_database() -> str | None:
    """HALLQ_DATABASE_URL from ./hallq.env, if that file sets it."""
    try:
        lines = SETTINGS_FILE.read_text(encoding="utf-8").splitlines()
    except (OSError, UnicodeDecodeError):
        return None
    for line in lines:
        key, sep, value = line.strip().partition("=")
        if sep and key.strip() == "HALLQ_DATABASE_URL" and value.strip():
            return value.strip().strip('"').strip("'")
    return None


def database_url(url: str | None) -> str:
    """--database, else $HALLQ_DATABASE_URL, else ./hallq.env's, else sqlite:///hallq.db."""
    return (url or os.environ.get("HALLQ_DATABASE_URL") or _settings_file_database()
            or DEFAULT_DB)


def _sqlite_file(url: str) -> Path | None:
    """The file of a SQLite URL (None for other databases and in-memory SQLite)."""
    if not url.startswith("sqlite"):
        return None
    _, _, rest = url.partition(":///")
    rest = rest.split("?", 1)[0]
    return Path(rest) if rest and rest != ":memory:" else None


def _use_database(url: str | None, *, must_exist: bool = False) -> bool:
    """Make the chosen database the settings' one; False (said on stderr) if it must exist
    and is a SQLite file that does not: no empty database is created by a command that
    only reads or adds to an existing hall."""
    from server.settings import get_settings

    chosen = database_url(url)
    path = _sqlite_file(chosen)
    if must_exist and path is not None and not path.exists():
        print(f"hallq: there is no database {path} ({chosen}). Name one with --database or "
              "HALLQ_DATABASE_URL, create it with `hallq load FILE`, or run `hallq demo` "
              "(it leaves hallq.env pointing here at hallq-demo.db).", file=sys.stderr)
        return False
    os.environ["HALLQ_DATABASE_URL"] = chosen
    get_settings.cache_clear()
    return True


def _leave_demo_setting(url: str, *, env_set: bool) -> None:
    """Point this directory's hallq commands at the demo database (hallq.env), and say so."""
    current = _settings_file_database()
    if current == url:
        print(f"  hallq.env points the hallq commands run here at {url}")
        return
    if SETTINGS_FILE.exists() or env_set:
        print(f"  for the hallq commands to use the demo: export HALLQ_DATABASE_URL={url}")
        return
    SETTINGS_FILE.write_text(
        "# Written by `hallq demo`: the hallq commands run in this directory use the demo's\n"
        "# database. Delete this file to go back to hallq.db.\n"
        f"HALLQ_DATABASE_URL={url}\n", encoding="utf-8")
    print(f"  wrote hallq.env: the hallq commands run here (device, plan, report …) use {url}")


def _serve(args: argparse.Namespace) -> int:
    import uvicorn

    from server.cpu import check

    cpu = args.cpu or os.environ.get("HALLQ_CPU", "auto")
    try:
        check(cpu)
    except ValueError as err:
        print(f"hallq serve: {err}", file=sys.stderr)
        return 2
    os.environ["HALLQ_CPU"] = cpu  # read by each worker (server.asgi)
    _use_database(args.database)
    if args.speed is not None:
        os.environ["HALLQ_CLOCK_SPEED"] = str(args.speed)
    if args.start is not None:
        os.environ["HALLQ_CLOCK_START"] = args.start
    from server import serving
    from server.app import build_core
    from server.settings import get_settings, weak_secrets

    get_settings.cache_clear()

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
                ws_per_message_deflate=WS_DEFLATE, http=serving.HTTP_PROTOCOL)
    return 0


def _demo(args: argparse.Namespace) -> int:
    import asyncio
    import threading

    import uvicorn

    os.environ["HALLQ_DEMO"] = "1"
    chosen_elsewhere = bool(os.environ.get("HALLQ_DATABASE_URL"))
    _use_database(args.database)
    from server import serving
    from server.app import build_core, create_app
    from server.demo.history import seed_history
    from server.demo.seed import seed

    core = build_core()
    tokens = seed(core)
    added = seed_history(core)
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
    if added:
        print(f"  added four weeks of past days ({added} tickets) for `hallq plan` and reports")
    _leave_demo_setting(os.environ["HALLQ_DATABASE_URL"], env_set=chosen_elsewhere)
    devices: list[subprocess.Popen[Any]] = []
    lock = threading.Lock()
    stopping = threading.Event()

    def stop_devices() -> None:
        with lock:
            stopping.set()
        children: list[subprocess.Popen[Any]] = [*devices]
        children += [p for p in (platform, links) if p is not None]
        for process in children:
            if process.poll() is None:
                process.terminate()
            try:
                process.wait(10)
            except subprocess.TimeoutExpired:
                process.kill()

    class DemoServer(uvicorn.Server):
        async def shutdown(self, sockets: list[Any] | None = None) -> None:
            # The agent goes first, so it does not see its core vanish and log it.
            await asyncio.to_thread(stop_devices)
            await super().shutdown(sockets)

    server = DemoServer(uvicorn.Config(
        create_app(core), host=args.host, port=args.port, log_level=args.log_level,
        access_log=args.access_log or core.settings.access_log,
        ws_per_message_deflate=WS_DEFLATE, http=serving.HTTP_PROTOCOL))

    def start_devices() -> None:
        # The agent connects to the core: start it once the core listens, so that its
        # first attempt succeeds instead of logging "core unreachable" at every start.
        while not server.started:
            if stopping.wait(0.05):
                return
        with lock:
            if stopping.is_set():
                return
            # The simulated hardware and its agent run in their own process: the core's
            # CPU is the core's alone (rendering every printed ticket to a PNG costs more
            # than issuing it).
            devices.append(subprocess.Popen(
                [sys.executable, "-m", "simulators.demo_hall", "--server", base,
                 "--state-dir", "hallq-demo-devices"],
                env={**os.environ, "HALLQ_DEVICE_TOKEN": tokens["agent-1"]}))

    if not args.no_devices:
        threading.Thread(target=start_devices, name="demo-devices", daemon=True).start()
    try:
        server.run()
    finally:
        stop_devices()
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
    from server.halls.config_file import HallFileError, read_hall_file

    try:
        config = read_hall_file(args.file)
    except HallFileError as err:
        count = len(err.problems)
        print(f"hallq load: {args.file}: {count} problem{'s' if count > 1 else ''}, "
              "nothing was loaded:", file=sys.stderr)
        for problem in err.problems:
            print(f"  {problem.format(str(args.file))}", file=sys.stderr)
        return 2
    fresh = _fresh_sqlite_file()
    # A file that cannot be loaded must not leave a new, empty database behind.
    core = None if fresh is not None else build_core()
    try:
        need = (flows.accounts_without_password(config) if core is None
                else flows.accounts_needing_password(core, config=config))
        if need:
            password = _new_accounts_password(need)
            if password is None:
                return 2
            config = flows.with_password(config, job_nos=need, password=password)
        core = core or build_core()
        code = flows.load(core, config=config)
    except HallqError as err:
        print(f"hallq load: {err.detail}", file=sys.stderr)
        if core is not None:
            _drop_fresh(core, fresh)
        return 2
    finally:
        if core is not None:
            core.db.dispose()
    print(f"loaded hall {code}" + (f" ({len(need)} new accounts)" if need else ""))
    return 0


def _new_accounts_password(job_nos: list[str]) -> str | None:
    """The password for new accounts that give none: $HALLQ_STAFF_PASSWORD, or asked."""
    listed = ", ".join(job_nos[:8]) + (" …" if len(job_nos) > 8 else "")
    return _secret("HALLQ_STAFF_PASSWORD",
                   f"Password for the {len(job_nos)} new accounts ({listed})",
                   missing=f"hallq load: new accounts without a password ({listed}): set "
                           "HALLQ_STAFF_PASSWORD to the password they start with, or run on "
                           "a terminal to be asked for it")


def _device(args: argparse.Namespace) -> int:
    if not _use_database(args.database, must_exist=True):
        return 2
    from server.app import build_core
    from server.auth import service as auth
    from server.errors import Conflict, HallqError, NotFound

    needs = {"add": ("name", "kind"), "rotate": ("name",), "revoke": ("name",), "list": ()}
    missing = [f"--{name}" for name in needs[args.action] if getattr(args, name) is None]
    if missing:
        print(f"hallq device {args.action}: give {' and '.join(missing)}", file=sys.stderr)
        return 2
    core = build_core()
    try:
        if args.action == "list":
            _print_devices(args.hall, auth.list_devices(core, hall=args.hall))
            return 0
        if args.action == "add":
            try:
                _, token = auth.register_device(core, hall=args.hall, name=args.name,
                                                kind=args.kind, rotate=args.rotate)
            except Conflict as err:
                if err.code != "device_exists":
                    raise
                print(f"hallq device: a device named {args.name!r} is already registered in "
                      f"hall {args.hall!r}; give --rotate to replace its token (the old one "
                      "stops working)", file=sys.stderr)
                return 2
            print(token)
            return 0
        known = {d["name"]: d for d in auth.list_devices(core, hall=args.hall)}
        device = known.get(args.name)
        if device is None:
            raise NotFound(f"no device {args.name!r} in hall {args.hall!r} (see `hallq device "
                           f"list --hall {args.hall}`)")
        if args.action == "rotate":
            _, token = auth.register_device(core, hall=args.hall, name=args.name,
                                            kind=str(device["kind"]), rotate=True)
            print(token)
        else:
            auth.revoke_device(core, hall=args.hall, name=args.name)
            print(f"revoked {device['tokens']} token(s) of {args.name}; the device is "
                  "disabled (`hallq device rotate` gives it a new token)")
    except HallqError as err:
        print(f"hallq device: {err.detail}", file=sys.stderr)
        return 2
    finally:
        core.db.dispose()
    return 0


def _print_devices(hall: str, rows: list[dict[str, Any]]) -> None:
    """`hallq device list`: one line a device, never a token."""
    def day(value: Any) -> str:
        return value.date().isoformat() if value is not None else "-"

    print(f"{'name':<20} {'kind':<8} {'state':<9} {'tokens':>6}  {'expires':<10}  last seen")
    for d in rows:
        seen = str(d["last_seen"])[:19] if d["last_seen"] else "never"
        state = "active" if d["active"] else "revoked"
        print(f"{d['name']:<20} {d['kind']:<8} {state:<9} {d['tokens']:>6}  "
              f"{day(d['expires_at']):<10}  {seen}")
    if not rows:
        print(f"(no devices in hall {hall})")


def _admin(args: argparse.Namespace) -> int:
    _use_database(args.database)
    from server.app import build_core
    from server.auth import service as auth
    from server.errors import HallqError

    password = _secret("HALLQ_ADMIN_PASSWORD", f"Password for {args.job_no}",
                       missing="hallq admin: set HALLQ_ADMIN_PASSWORD to the deployment "
                               "administrator's password, or run on a terminal to be asked")
    if password is None:
        return 2
    fresh = _fresh_sqlite_file()
    core = build_core()
    try:
        auth.create_deployment_admin(core, job_no=args.job_no, name=args.name,
                                     password=password)
    except HallqError as err:
        print(f"hallq admin: {err.detail}", file=sys.stderr)
        _drop_fresh(core, fresh)
        return 2
    finally:
        core.db.dispose()
    print(f"deployment administrator {args.job_no} ({args.name}) is ready: it logs in like "
          "any account and alone creates halls and centres")
    return 0


def _secret(variable: str, prompt: str, *, missing: str) -> str | None:
    """A password from the environment variable, else asked twice on a terminal, hidden."""
    import click

    value = os.environ.get(variable)
    if value:
        return value
    if not sys.stdin.isatty():
        print(missing, file=sys.stderr)
        return None
    try:
        entered: str = click.prompt(prompt, hide_input=True, confirmation_prompt=True,
                                    err=True)
    except click.Abort:
        print("", file=sys.stderr)
        return None
    return entered


def _fresh_sqlite_file() -> Path | None:
    """The chosen SQLite file if it does not exist yet (the command would create it)."""
    path = _sqlite_file(os.environ["HALLQ_DATABASE_URL"])
    return path if path is not None and not path.exists() else None


def _drop_fresh(core: Any, fresh: Path | None) -> None:
    """A command that failed leaves no database it created: remove the new SQLite file."""
    if fresh is None:
        return
    core.db.dispose()
    for leftover in (fresh, Path(f"{fresh}-wal"), Path(f"{fresh}-shm")):
        leftover.unlink(missing_ok=True)


def _outside(command: str, rest: list[str]) -> int:
    """Hand `hallq bench|simulate …` to `python -m simulators.commands` (its own process)."""
    try:
        return subprocess.call([sys.executable, "-m", "simulators.commands", command, *rest])
    except KeyboardInterrupt:
        return 130


def _plan(args: argparse.Namespace) -> int:
    if not _use_database(args.database, must_exist=True):
        return 2
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
    if not _use_database(args.database, must_exist=True):
        return 2
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
