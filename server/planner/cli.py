"""`hallq plan`: print the recommendation, or the expected waits of the manager's plan."""

from __future__ import annotations

import json
import math
import sys
import unicodedata
from dataclasses import asdict
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import yaml

from server.app import build_core
from server.errors import HallqError
from server.halls import service as halls
from server.planner.history import learn
from server.planner.plan import Plan, evaluate, recommend


def _pad(text: str, width: int) -> str:
    """Right-align in terminal columns (a Chinese character takes two)."""
    cols = sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)
    return " " * max(0, width - cols) + text


def plan_text(plan: Plan, title: str) -> str:
    """The plan as a table: windows (of those available) and p90 wait per group and hour."""
    names = [g.name for g in plan.groups]
    lines = [title, f"  from {plan.history_days} day(s) of history; target p90 wait "
                    f"{plan.target_min:g} min; cells: windows/available p90-minutes",
             "  hour  " + "".join(_pad(n[:9], 20) for n in names)]
    for hour, cells in sorted(plan.hours.items()):
        row = []
        for n in names:
            c = cells[n]
            p90 = "∞" if math.isinf(c.p90_min) else f"{c.p90_min:.0f}"
            mark = "" if c.meets else "!"
            row.append(_pad(f"{c.windows}/{c.available} {p90:>3s}m{mark:1s}", 20))
        lines.append(f"  {hour:02d}:00 " + "".join(row))
    short = [(h, n) for h, cells in plan.hours.items() for n, c in cells.items() if not c.meets]
    lines.append("  ! misses the target in " + ", ".join(f"{h:02d}:00 {n}" for h, n in short)
                 if short else "  every hour meets the target")
    return "\n".join(lines)


def plan_json(plan: Plan) -> dict[str, Any]:
    """The plan as JSON-able data (infinite waits as null)."""
    def clean(v: Any) -> Any:
        return None if isinstance(v, float) and math.isinf(v) else v
    return {"day": plan.day.isoformat(), "target_min": plan.target_min,
            "history_days": plan.history_days, "windows": plan.windows(),
            "groups": [{"name": g.name, "kind": g.kind, "windows": g.windows,
                        "services": sorted(g.services)} for g in plan.groups],
            "hours": {f"{h:02d}": {n: {k: clean(v) for k, v in asdict(c).items()}
                                   for n, c in cells.items()}
                      for h, cells in sorted(plan.hours.items())}}


def main(*, hall: str, day: str | None, weeks: int, target_min: float,
         plan_file: Path | None, as_json: bool) -> int:
    """Run the planner on the configured database."""
    core = build_core()
    try:
        with core.db.read_session() as db:
            h = halls.get_hall(db, hall)
            today = halls.local_day(h, core.clock.now())
            when = date.fromisoformat(day) if day else today + timedelta(days=1)
            history = learn(db, h, day=when, weeks=weeks)
            if not history.days:
                print(f"hallq plan: hall {hall} has no tickets in the {weeks} weeks before "
                      f"{when}", file=sys.stderr)
                return 2
            if plan_file is not None:
                given = yaml.safe_load(plan_file.read_text(encoding="utf-8")) or {}
                windows = {f"{int(k):02d}": v for k, v in given.items()}
                plan = evaluate(db, h, day=when, history=history, windows=windows,
                                target_min=target_min)
                title = f"hall {hall}, {when}: expected waits of {plan_file}"
            else:
                plan = recommend(db, h, day=when, history=history, target_min=target_min)
                title = f"hall {hall}, {when}: recommended windows per hour"
    except (HallqError, ValueError, OSError, yaml.YAMLError) as err:
        detail = err.detail if isinstance(err, HallqError) else str(err)
        print(f"hallq plan: {detail}", file=sys.stderr)
        return 2
    finally:
        core.db.dispose()
    print(json.dumps(plan_json(plan), ensure_ascii=False, indent=1) if as_json
          else plan_text(plan, title))
    return 0
