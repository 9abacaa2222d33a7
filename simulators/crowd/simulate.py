"""`hallq simulate`: play a scenario's day against a core, print and save the result."""

from __future__ import annotations

import asyncio
import base64
import json
import os
import sys
import tempfile
import time
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import httpx

from simulators.crowd.core_process import CoreProcess, provision, running_core, with_passwords
from simulators.crowd.notices import check_notices
from simulators.crowd.report import html_report, summarise, text_report
from simulators.crowd.runner import Options, Simulation
from simulators.crowd.scenario import Scenario, draw_day, load_scenario
from simulators.crowd.screens import coverage
from simulators.sms_gateway import SmsGatewaySim

LEAD = timedelta(minutes=20)  # the core's clock starts this long before the first arrival


def progress_bar(stream: Any = sys.stderr) -> Any:
    """A one-line progress bar on a terminal (nothing when not a terminal)."""
    if not getattr(stream, "isatty", lambda: False)():
        return None

    def show(done: float, label: str) -> None:
        filled = int(done * 40)
        stream.write(f"\r[{'#' * filled}{'.' * (40 - filled)}] {done:5.1%} {label} ")
        stream.flush()
        if done >= 1:
            stream.write("\n")
    return show


@dataclass
class Run:
    """A finished simulation: its summary and, when it started one, the core it ran on."""

    summary: dict[str, Any]
    sim: Simulation
    core: CoreProcess | None = None


def start_of(scenario: Scenario, day: date | None) -> Any:
    """When the core's clock should start for this scenario's day."""
    return draw_day(scenario, day)[0].arrival - LEAD


async def play(scenario: Scenario, url: str, options: Options) -> Run:
    """Play the day against the core at `url` and summarise it."""
    sim = Simulation(scenario, url, options)
    raw = await sim.run()
    if sim.screens is not None:
        raw["screens"] = coverage(sim.screens.screens, sim.calls)
    return Run(summarise(sim, raw), sim)


def put_config(url: str, scenario: Scenario, admin: str, password: str) -> None:
    """Create or update the scenario's hall on a running core through the admin API."""
    config = with_passwords(scenario.hall_config(), scenario.password)
    with httpx.Client(base_url=url, timeout=60) as http:
        r = http.post("/api/v1/auth/token", data={"username": admin, "password": password})
        r.raise_for_status()
        headers = {"Authorization": f"Bearer {r.json()['access_token']}"}
        r = http.put(f"/api/v1/admin/halls/{config.hall.code}/config",
                     json=config.model_dump(mode="json"), headers=headers)
        if r.status_code != 200:
            raise RuntimeError(f"hall config refused: {r.status_code} {r.text[:300]}")


def run_scenario(scenario: Scenario, *, options: Options, server: str | None = None,
                 database: str | None = None, work: Path | None = None) -> Run:
    """Run against `server`, or start a core on `database` (default a temporary SQLite)."""
    if server is not None:
        return asyncio.run(play(scenario, server, options))
    folder = work or Path(tempfile.mkdtemp(prefix="hallq-sim-"))
    database = database or f"sqlite:///{folder / 'sim.db'}"
    provision(database, with_passwords(scenario.hall_config(), scenario.password))
    sms = SmsGatewaySim().start() if scenario.behaviour.phone_share > 0 else None
    env = {} if sms is None else {
        # Reminders by SMS through the gateway simulator; a fresh key for the day.
        "HALLQ_SMS_URL": sms.send_url, "HALLQ_SMS_KEY": sms.key,
        "HALLQ_PII_KEY": base64.b64encode(os.urandom(32)).decode(),
        "HALLQ_OUTBOX_SCAN_S": "0.2"}
    try:
        with running_core(database, speed=options.speed, start=start_of(scenario, options.day),
                          log_dir=folder, env=env) as core:
            run = asyncio.run(play(scenario, core.url, options))
            run.core = core
        if sms is not None:
            run.summary["notices"] = check_notices(run.sim, list(sms.sent), database)
    finally:
        if sms is not None:
            sms.stop()
    return run


def main(*, scenario: str, speed: float, server: str | None, database: str | None,
         hall_screens: int, window_screens: int | None, out: Path | None, day: date | None,
         admin: str | None, password: str | None, citizens: int | None = None) -> int:
    """The `hallq simulate` command."""
    try:
        sc = load_scenario(scenario, citizens=citizens)
    except (FileNotFoundError, ValueError) as err:
        print(f"hallq simulate: {err}", file=sys.stderr)
        return 2
    options = Options(speed=speed, hall_screens=hall_screens, window_screens=window_screens,
                      day=day, progress=progress_bar())
    if server is not None and admin is not None:
        put_config(server, sc, admin, password or sc.password)
    t0 = time.monotonic()
    run = run_scenario(sc, options=options, server=server, database=database)
    print(text_report(run.summary))
    out = out or Path(f"simulation-{sc.name}-{run.summary['day']}.html")
    out.write_text(html_report(run.summary), encoding="utf-8")
    out.with_suffix(".json").write_text(json.dumps(run.summary, ensure_ascii=False, indent=1,
                                                   default=str), encoding="utf-8")
    print(f"  report: {out} (and {out.with_suffix('.json').name}); "
          f"{time.monotonic() - t0:.0f} s in all")
    return 0
