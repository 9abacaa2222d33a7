"""`hallq report`: a report or a staff sheet from the command line, for the hall's scripts."""

from __future__ import annotations

import argparse
import json
import sys
from datetime import date
from pathlib import Path
from typing import Any

from server.auth.principal import Principal


def add_report_parser(sub: Any) -> None:
    """Add the `report` subcommand to the `hallq` parser."""
    p = sub.add_parser("report", help="a day/month/quarter/year report (CSV, XLSX or JSON)")
    p.add_argument("--hall", required=True)
    p.add_argument("--period", choices=["day", "month", "quarter", "year"], default="month")
    p.add_argument("--day", default=None, help="any day of the period (default today)")
    p.add_argument("--by", choices=["window", "staff", "department", "service", "hall"],
                   default="window")
    p.add_argument("--below", action="store_true", help="include every hall below this one")
    p.add_argument("--staff", default=None, help="a staff member's monthly sheet (job no.)")
    p.add_argument("--format", choices=["csv", "xlsx", "json"], default="csv")
    p.add_argument("--lang", choices=["zh", "en"], default="zh")
    p.add_argument("--out", type=Path, default=None, help="file (default: standard output)")
    p.add_argument("--database", default=None)


def run(args: argparse.Namespace) -> int:
    """Compute the report and write it out; 2 on a bad hall, staff or date."""
    from server.app import build_core
    from server.errors import HallqError
    from server.halls import service as halls
    from server.reports import export
    from server.reports import service as reports

    if args.format == "xlsx" and args.out is None and sys.stdout.isatty():
        # Binary on a terminal is garbage on the screen and can upset the terminal itself.
        print("hallq report: XLSX is a binary file: give --out FILE.xlsx, or redirect the "
              "output (> report.xlsx)", file=sys.stderr)
        return 2
    core = build_core()
    # The command runs on the server itself: it may read every hall (an admin without one).
    actor = Principal(roles=frozenset({"admin"}), name="hallq report")
    try:
        if args.day:
            day = date.fromisoformat(args.day)
        else:
            with core.db.read_session() as db:
                day = halls.local_day(halls.get_hall(db, args.hall), core.clock.now())
        data: dict[str, Any]
        if args.staff:
            sheet = reports.staff_sheet(core, hall=args.hall, actor=actor, job_no=args.staff,
                                        month=day, period="month" if args.period == "day"
                                        else args.period)
            data = {"hall": args.hall, "label": sheet["month"], "by": f"staff-{args.staff}",
                    "halls": [args.hall], "start": sheet["start"], "end": sheet["end"],
                    "rows": [{**d, "label": d["day"]} for d in sheet["days"]],
                    "total": {**sheet["total"], "label": "合计"}}
            raw: dict[str, Any] = sheet
        else:
            data = raw = reports.report(core, hall=args.hall, actor=actor, period=args.period,
                                        day=day, by=args.by, below=args.below)
    except (HallqError, ValueError) as err:
        print(f"hallq report: {getattr(err, 'detail', err)}", file=sys.stderr)
        return 2
    finally:
        core.db.dispose()
    if args.format == "json":
        out = json.dumps(raw, ensure_ascii=False, indent=2, default=str).encode("utf-8")
    elif args.format == "csv":
        out = export.to_csv(data, args.lang)
    else:
        out = export.to_xlsx(data, args.lang)
    if args.out is None:
        sys.stdout.buffer.write(out)
    else:
        args.out.write_bytes(out)
        print(f"wrote {args.out}")
    return 0


__all__ = ["add_report_parser", "run"]
