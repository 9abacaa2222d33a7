"""The day's result: figures from the simulator's records and the core, as text and HTML."""

from __future__ import annotations

import html
import math
from collections.abc import Sequence
from typing import Any

from simulators.crowd.runner import Simulation


def percentile(values: Sequence[float], p: float) -> float:
    """The p-th percentile (nearest rank on the sorted values); 0 for no values."""
    if not values:
        return 0.0
    ordered = sorted(values)
    return ordered[max(0, min(len(ordered) - 1, math.ceil(p / 100 * len(ordered)) - 1))]


def _waits(values: list[float]) -> dict[str, float]:
    return {"n": len(values), "mean_min": sum(values) / len(values) / 60 if values else 0.0,
            "p90_min": percentile(values, 90) / 60, "max_min": max(values, default=0.0) / 60}


def summarise(sim: Simulation, raw: dict[str, Any]) -> dict[str, Any]:
    """Every figure of the day, as plain data (JSON-able)."""
    tz = sim.tz
    waits: list[float] = []
    by_service: dict[str, list[float]] = {}
    by_hour: dict[int, list[float]] = {}
    for rec in sim.records:
        if rec.issued_at is None or rec.first_called_at is None:
            continue
        w = (rec.first_called_at - rec.issued_at).total_seconds()
        waits.append(w)
        by_service.setdefault(rec.citizen.service, []).append(w)
        by_hour.setdefault(rec.issued_at.astimezone(tz).hour, []).append(w)
    states: dict[str, int] = {}
    for rec in sim.records:
        states[rec.state] = states.get(rec.state, 0) + 1
    ratings: dict[int, int] = {}
    for rec in sim.records:
        if rec.rated is not None:
            ratings[rec.rated] = ratings.get(rec.rated, 0) + 1
    rated = sum(ratings.values())
    bad = ratings.get(1, 0) + ratings.get(2, 0)
    names = {s.code: s.name for s in sim.config.services}
    windows: list[dict[str, Any]] = []
    for log in sim.windows.values():
        staffed = log.staffed_s - log.paused_s
        windows.append({"number": log.number, "kind": log.kind, "served": log.served,
                        "no_shows": log.no_shows, "pauses": log.pauses,
                        "takeovers": log.takeovers, "staffed_h": staffed / 3600,
                        "utilisation": log.busy_s / staffed if staffed > 0 else 0.0})
    queue = [{"at": s["at"].astimezone(tz).strftime("%H:%M"),
              "waiting": sum(s["waiting"].values()), "staffed": s["staffed"],
              "longest_min": s["longest_s"] / 60} for s in sim.samples]
    lat = sorted(sim.http.latencies)
    statuses = sim.http.statuses
    return {
        "scenario": sim.scenario.name, "title": sim.scenario.title, "hall": sim.hall,
        "day": sim.day.isoformat(), "speed": sim.opt.speed, "wall_s": raw["wall_s"],
        "ended": raw["ended"].astimezone(tz).strftime("%H:%M"),
        "citizens": len(sim.records), "issued": raw["core"]["issued"],
        "refused": sum(sim.refused.values()),
        "refusals": sim.refused,
        "states": states,
        "no_shows": sum(1 for r in sim.records if r.citizen.absent),
        "returned": sum(1 for r in sim.records if r.requeues),
        "transfers": sum(1 for r in sim.records if r.transferred),
        "green": sum(1 for r in sim.records if r.citizen.green and r.ticket_id),
        "appointments": sum(1 for r in sim.records if r.citizen.appointment and r.ticket_id),
        "waits": _waits(waits),
        "by_service": {code: {"name": names.get(code, code), **_waits(v)}
                       for code, v in sorted(by_service.items())},
        "by_hour": {f"{h:02d}": _waits(v) for h, v in sorted(by_hour.items())},
        "queue": queue, "windows": windows,
        "utilisation": (sum(w["utilisation"] * w["staffed_h"] for w in windows)
                        / max(1e-9, sum(w["staffed_h"] for w in windows))),
        "ratings": {str(k): ratings.get(k, 0) for k in (5, 4, 3, 2, 1)}, "rated": rated,
        "bad_reviews": bad, "bad_share": bad / rated if rated else 0.0,
        "alerts": None if sim.alerts is None else sorted(
            ({"kind": a["kind"], "severity": a["severity"], "subject": a.get("subject"),
              "raised_at": a["raised_at"]} for a in sim.alerts.values()),
            key=lambda a: str(a["raised_at"])),
        "report_check": _report_check(sim, raw["core"], ratings),
        "http": {"requests": sum(statuses.values()),
                 "by_status": {str(k): v for k, v in sorted(statuses.items())},
                 "server_errors": sum(v for k, v in statuses.items() if k >= 500),
                 "p50_ms": percentile(lat, 50) * 1000, "p99_ms": percentile(lat, 99) * 1000,
                 "errors": sim.http.errors[:20]},
        "core": {k: v for k, v in raw["core"].items()
                 if k not in ("mismatched", "core_waits", "report")},
        "mismatched": raw["core"]["mismatched"][:20],
        "mismatched_count": len(raw["core"]["mismatched"]),
        "screens": raw.get("screens"),
        "stalled": sim.stalled, "failures": sim.failures[:20],
        "resynced": sim.resynced[:50],
    }


def _report_check(sim: Simulation, core: dict[str, Any],
                  ratings: dict[int, int]) -> dict[str, Any] | None:
    """The core's own day report (`GET …/reports?period=day`) beside the simulator's figures.

    The report's wait is from issue to the last call (a transfer or a re-queue calls a
    ticket again), so it is compared with the same measure read back from the core.
    """
    report = core.get("report")
    if report is None:
        return None
    st = core["statuses"]
    waits = core["core_waits"]
    mine = {
        "issued": core["issued"], "served": st.get("done", 0),
        "no_show": st.get("no_show", 0), "cancelled": st.get("cancelled", 0),
        "transfers": sum(1 for r in sim.records if r.transferred),
        "rated": sum(ratings.values()), "bad": ratings.get(1, 0) + ratings.get(2, 0),
        "wait_avg_s": round(sum(waits) / len(waits), 1) if waits else None,
        "wait_p90_s": round(percentile(waits, 90), 1) if waits else None,
    }
    pairs = {k: (v, report.get(k)) for k, v in mine.items()}
    agree = all(a == b or (isinstance(a, float) and isinstance(b, float) and abs(a - b) <= 1)
                for a, b in pairs.values())
    return {"agree": agree, "figures": pairs}


def accounted(summary: dict[str, Any]) -> bool:
    """Every ticket issued ended served, no-show or cancelled with a reason, as the core says."""
    core = summary["core"]
    final = sum(core["statuses"].get(s, 0) for s in ("done", "no_show", "cancelled"))
    return bool(final == core["issued"] and summary["mismatched_count"] == 0
                and not summary["stalled"]
            and core["cancelled_without_reason"] == 0 and core["still_waiting"] == 0)


def text_report(s: dict[str, Any]) -> str:
    """The day's result for the terminal."""
    w = s["waits"]
    st = s["core"]["statuses"]
    lines = [
        f"{s['title'] or s['scenario']} — {s['day']} at ×{s['speed']:g}: "
        f"{s['wall_s']:.0f} s wall, last ticket settled {s['ended']}",
        f"  tickets issued {s['issued']} (refused {s['refused']}): done {st.get('done', 0)}, "
        f"no-show {st.get('no_show', 0)}, cancelled {st.get('cancelled', 0)}; "
        f"green {s['green']}, appointments {s['appointments']}, transfers {s['transfers']}, "
        f"returning no-shows {s['returned']}",
        f"  every ticket accounted for: {'yes' if accounted(s) else 'NO'}"
        + (f" ({s['mismatched_count']} differ from the core)" if s["mismatched_count"] else "")
        + (f" (stalled: {', '.join(s['stalled'][:10])})" if s["stalled"] else ""),
        f"  wait: mean {w['mean_min']:.1f} min, p90 {w['p90_min']:.1f} min, "
        f"max {w['max_min']:.1f} min; window utilisation {s['utilisation']:.0%}",
        f"  ratings {s['rated']}: " + ", ".join(f"{k}★ {v}" for k, v in s["ratings"].items())
        + f"; 差评 {s['bad_reviews']} ({s['bad_share']:.1%})",
        f"  HTTP {s['http']['requests']} requests, 5xx {s['http']['server_errors']}, "
        f"p50 {s['http']['p50_ms']:.0f} ms, p99 {s['http']['p99_ms']:.0f} ms",
        "  by hour of issue     n   mean   p90    max (min)",
    ]
    for hour, v in s["by_hour"].items():
        lines.append(f"    {hour}:00  {v['n']:8d} {v['mean_min']:6.1f} {v['p90_min']:5.1f} "
                     f"{v['max_min']:6.1f}")
    lines.append("  by service           n   mean   p90    max (min)")
    for code, v in s["by_service"].items():
        lines.append(f"    {code:8s} {v['n']:8d} {v['mean_min']:6.1f} {v['p90_min']:5.1f} "
                     f"{v['max_min']:6.1f}  {v['name']}")
    if s["resynced"]:
        lines.append(f"  simulator records taken from the core after a stall: "
                     f"{len(s['resynced'])}: {s['resynced'][:5]}")
    if s["failures"]:
        lines.append(f"  simulator failures: {len(s['failures'])}: {s['failures'][:3]}")
    if s.get("screens"):
        c = s["screens"]
        lines.append(f"  screens {c['screens']}: {c['calls']} calls, {c['deliveries']} deliveries,"
                     f" {c['missing']} missing, {c['reconnects']} reconnects")
    if s.get("alerts") is not None:
        kinds: dict[str, int] = {}
        for a in s["alerts"]:
            kinds[a["kind"]] = kinds.get(a["kind"], 0) + 1
        lines.append(f"  alerts raised: {len(s['alerts'])}"
                     + (" (" + ", ".join(f"{k} {v}" for k, v in sorted(kinds.items())) + ")"
                        if kinds else ""))
    if s.get("notices"):
        n = s["notices"]
        lines.append(f"  到号提醒: {n['phone_tickets']} phone tickets, {n['texts']} texts "
                     f"({n['near']} 'N ahead', {n['called']} 'called'), {n['dropped']} dropped "
                     f"as late, {n['failed']} failed, {n['unsent']} unsent; every text checked: "
                     + ("yes" if not n["bad"] else f"NO {n['bad'][:3]}"))
    check = s.get("report_check")
    if check is not None:
        differ = {k: v for k, v in check["figures"].items() if v[0] != v[1]}
        lines.append("  the core's day report agrees: "
                     + ("yes" if check["agree"] else f"NO {differ}"))
    return "\n".join(lines)


# --- HTML with inline SVG charts ---------------------------------------------------------

def _line_chart(points: list[tuple[str, float]], title: str, unit: str) -> str:
    width, height, pad = 720, 220, 40
    if not points:
        return f"<p>{html.escape(title)}: no data</p>"
    top = max(v for _, v in points) or 1.0
    step = (width - 2 * pad) / max(1, len(points) - 1)
    xy = [(pad + i * step, height - pad - v / top * (height - 2 * pad))
          for i, (_, v) in enumerate(points)]
    path = " ".join(f"{x:.1f},{y:.1f}" for x, y in xy)
    ticks = "".join(
        f'<text x="{x:.0f}" y="{height - pad + 16}" font-size="10" text-anchor="middle">'
        f"{html.escape(label)}</text>"
        for i, ((label, _), (x, _)) in enumerate(zip(points, xy, strict=True))
        if i % max(1, len(points) // 10) == 0)
    return (f'<h3>{html.escape(title)}</h3><svg width="{width}" height="{height}" '
            f'role="img"><polyline fill="none" stroke="#c0392b" stroke-width="2" '
            f'points="{path}"/><line x1="{pad}" y1="{height - pad}" x2="{width - pad}" '
            f'y2="{height - pad}" stroke="#888"/><text x="4" y="{pad - 8}" font-size="11">'
            f"max {top:.0f} {html.escape(unit)}</text>{ticks}</svg>")


def _bar_chart(bars: list[tuple[str, float]], title: str, unit: str, fmt: str = "{:.1f}") -> str:
    width, row = 720, 18
    if not bars:
        return f"<p>{html.escape(title)}: no data</p>"
    top = max(v for _, v in bars) or 1.0
    rows = "".join(
        f'<text x="0" y="{i * row + 13}" font-size="11">{html.escape(label)}</text>'
        f'<rect x="120" y="{i * row + 3}" width="{v / top * (width - 220):.1f}" height="{row - 6}"'
        f' fill="#2e86c1"/><text x="{125 + v / top * (width - 220):.0f}" y="{i * row + 13}" '
        f'font-size="11">{fmt.format(v)} {html.escape(unit)}</text>'
        for i, (label, v) in enumerate(bars))
    return (f'<h3>{html.escape(title)}</h3><svg width="{width}" height="{len(bars) * row + 6}" '
            f'role="img">{rows}</svg>')


def html_report(s: dict[str, Any]) -> str:
    """A self-contained page (no scripts, no network) with the day's charts and tables."""
    e = html.escape
    rows = "".join(
        f"<tr><td>{e(code)}</td><td>{e(v['name'])}</td><td>{v['n']}</td>"
        f"<td>{v['mean_min']:.1f}</td><td>{v['p90_min']:.1f}</td><td>{v['max_min']:.1f}</td></tr>"
        for code, v in s["by_service"].items())
    parts = [
        "<!doctype html><html lang='zh-CN'><meta charset='utf-8'>",
        f"<title>{e(s['scenario'])} {e(s['day'])}</title>",
        "<style>body{font-family:sans-serif;margin:2em;max-width:980px}table{border-collapse:"
        "collapse}td,th{border:1px solid #ccc;padding:2px 8px;text-align:right}"
        "pre{background:#f6f6f6;padding:1em}</style>",
        f"<h1>{e(s['title'] or s['scenario'])} — {e(s['day'])}</h1>",
        f"<pre>{e(text_report(s))}</pre>",
        _line_chart([(q["at"], q["waiting"]) for q in s["queue"]], "排队人数 queue length",
                    "waiting"),
        _line_chart([(q["at"], q["longest_min"]) for q in s["queue"]],
                    "最长等待 longest wait now", "min"),
        _bar_chart([(f"{h}:00", v["p90_min"]) for h, v in s["by_hour"].items()],
                   "p90 wait by hour of issue", "min"),
        _bar_chart([(f"{h}:00", v["mean_min"]) for h, v in s["by_hour"].items()],
                   "mean wait by hour of issue", "min"),
        _bar_chart([(f"窗口 {w['number']}", w["utilisation"] * 100) for w in s["windows"]],
                   "window utilisation", "%", "{:.0f}"),
        _bar_chart([(f"{k}★", float(v)) for k, v in s["ratings"].items()], "ratings", "",
                   "{:.0f}"),
        "<h3>waits by service (minutes)</h3><table><tr><th>code</th><th>service</th><th>n</th>"
        f"<th>mean</th><th>p90</th><th>max</th></tr>{rows}</table>",
    ]
    if s.get("alerts"):
        parts.append("<h3>alerts</h3><ul>" + "".join(
            f"<li>{e(str(a['raised_at'])[11:16])} {e(a['kind'])} {e(a['severity'])} "
            f"{e(str(a['subject'] or ''))}</li>" for a in s["alerts"][:200]) + "</ul>")
    return "\n".join(parts) + "</html>\n"
