"""A report as CSV (UTF-8 with BOM, so Excel opens the Chinese right) or XLSX with a chart."""

from __future__ import annotations

import csv
import io
from collections.abc import Callable
from typing import Any

from openpyxl import Workbook
from openpyxl.chart import BarChart, Reference
from openpyxl.styles import Font

from server.tickets.models import OUTCOMES

_OUTCOME_ZH = {"completed": "办结", "accepted": "受理", "correction_notice": "一次性告知",
               "rejected": "不予受理", "consulted": "咨询"}


def _minutes(v: Any) -> float | None:
    return None if v is None else round(float(v) / 60, 1)


def _pick(field: str, key: str) -> Callable[[dict[str, Any]], Any]:
    return lambda r: r[field][key]


# (Chinese header, English header, value of a row)
COLUMNS: list[tuple[str, str, Callable[[dict[str, Any]], Any]]] = [
    ("名称", "name", lambda r: r["label"]),
    ("取号数", "issued", lambda r: r["issued"]),
    ("办结数", "served", lambda r: r["served"]),
    ("过号数", "no-shows", lambda r: r["no_show"]),
    ("过号率%", "no-show rate %", lambda r: r["no_show_rate"]),
    ("平均等候(分)", "avg wait (min)", lambda r: _minutes(r["wait_avg_s"])),
    ("90%等候(分)", "p90 wait (min)", lambda r: _minutes(r["wait_p90_s"])),
    ("平均办理(分)", "avg handling (min)", lambda r: _minutes(r["handle_avg_s"])),
    ("90%办理(分)", "p90 handling (min)", lambda r: _minutes(r["handle_p90_s"])),
    ("转移数", "transfers", lambda r: r["transfers"]),
    *[(_OUTCOME_ZH[o], o, _pick("outcomes", o)) for o in OUTCOMES],
    *[(name, f"rating {lvl}", _pick("ratings", lvl))
      for lvl, name in (("5", "非常满意"), ("4", "满意"), ("3", "基本满意"), ("2", "不满意"),
                        ("1", "非常不满意"))],
    ("评价数", "ratings", lambda r: r["rated"]),
    ("满意率%", "satisfaction %", lambda r: r["satisfaction"]),
    ("差评件", "bad-review cases", lambda r: r["cases"]),
    ("已回访", "cases closed", lambda r: r["case_status"]["closed"]),
    ("申诉作废", "cases voided", lambda r: r["case_status"]["voided"]),
    ("逾期", "overdue", lambda r: r["cases_overdue"]),
    ("暂停时长(分)", "pause (min)", lambda r: _minutes(r["pause_s"])),
    ("休假(次)", "leave (times)", lambda r: r.get("presence_leave", 0)),
    ("外出(次)", "out (times)", lambda r: r.get("presence_out", 0)),
    ("会议(次)", "meetings (times)", lambda r: r.get("presence_meeting", 0)),
]


# A figure with nothing to compute it from (a rate or an average of an empty period).
NO_DATA = {"zh": "无数据", "en": "n/a"}
# The row of tickets that belong to no window, staff member or department (never called).
UNASSIGNED = {
    "window": ("未叫号（无窗口）", "not called (no window)"),
    "staff": ("未叫号（无人员）", "not called (no staff)"),
    "department": ("未叫号或未分部门", "not called or no department"),
    "service": ("未知事项", "unknown service"),
    "hall": ("未知大厅", "unknown hall"),
}
TOTAL = {"zh": "合计", "en": "Total"}


def row_label(by: str, row: dict[str, Any], lang: str = "zh") -> str:
    """A row's name; the group of tickets with no window (staff …) says what it is."""
    if row.get("key", "") is None:
        zh, en = UNASSIGNED.get(by, ("未分组", "ungrouped"))
        return zh if lang == "zh" else en
    return str(row["label"])


def table(report: dict[str, Any], lang: str = "zh") -> list[list[Any]]:
    """Header row, one row per group, and the total; 无数据 / n/a for a figure with no data."""
    head = [zh if lang == "zh" else en for zh, en, _ in COLUMNS]
    no_data = NO_DATA.get(lang, NO_DATA["zh"])
    body = []
    for r in report["rows"]:
        values = [get(r) for _, _, get in COLUMNS[1:]]
        body.append([row_label(report["by"], r, lang),
                     *[no_data if v is None else v for v in values]])
    values = [get(report["total"]) for _, _, get in COLUMNS[1:]]
    body.append([TOTAL.get(lang, TOTAL["zh"]), *[no_data if v is None else v for v in values]])
    return [head, *body]


def title(report: dict[str, Any]) -> str:
    """A file name stem: hall, period label and dimension."""
    return f"hallq-{report['hall']}-{report['label']}-{report['by']}"


def to_csv(report: dict[str, Any], lang: str = "zh") -> bytes:
    """CSV text, UTF-8 with a BOM."""
    buf = io.StringIO()
    writer = csv.writer(buf)
    for row in table(report, lang):
        writer.writerow(["" if v is None else v for v in row])
    return ("\ufeff" + buf.getvalue()).encode("utf-8")


def to_xlsx(report: dict[str, Any], lang: str = "zh") -> bytes:
    """An XLSX workbook: the table, and a chart of tickets served per row."""
    wb = Workbook()
    ws = wb.active
    assert ws is not None
    ws.title = "report"
    rows = table(report, lang)
    for row in rows:
        ws.append(row)
    for cell in ws[1]:
        cell.font = Font(bold=True)
    ws[f"A{len(rows) + 2}"] = (f"{report['label']} · {report['start']} – {report['end']} · "
                               f"{', '.join(report['halls'])}")
    n = len(report["rows"])
    if n:
        chart = BarChart()
        chart.title = "办结数" if lang == "zh" else "served"
        data = Reference(ws, min_col=3, min_row=1, max_row=n + 1)
        cats = Reference(ws, min_col=1, min_row=2, max_row=n + 1)
        chart.add_data(data, titles_from_data=True)
        chart.set_categories(cats)
        ws.add_chart(chart, f"B{len(rows) + 4}")
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


__all__ = ["COLUMNS", "NO_DATA", "UNASSIGNED", "row_label", "table", "title", "to_csv", "to_xlsx"]
